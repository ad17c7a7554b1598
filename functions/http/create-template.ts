import { route } from '../../lib/adapters/http/handler.ts';
import { createTemplate } from '../../lib/app/templates/templates.ts';
import { createTemplate as spec } from '../../lib/contract/routes/support.ts';

/** `POST /v1/lines/{id}/templates`: a supervisor or admin adds a response template. */
export const handler = route(spec, async ({ caller, params, body, idempotency }) => ({
  body: await createTemplate(caller, params.id, body, (t) => idempotency({ body: t })),
}));
