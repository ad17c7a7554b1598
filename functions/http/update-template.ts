import { route } from '../../lib/adapters/http/handler.ts';
import { updateTemplate } from '../../lib/app/templates/templates.ts';
import { updateTemplate as spec } from '../../lib/contract/routes/support.ts';

/** `PATCH /v1/templates/{id}`: a supervisor or admin changes a response template. */
export const handler = route(spec, async ({ caller, params, body, idempotency }) => ({
  body: await updateTemplate(caller, params.id, body, (t) => idempotency({ body: t })),
}));
