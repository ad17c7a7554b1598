import { route } from '../../lib/adapters/http/handler.ts';
import { removeTemplate } from '../../lib/app/templates/templates.ts';
import { deleteTemplate as spec } from '../../lib/contract/routes/support.ts';

/** `DELETE /v1/templates/{id}`: a supervisor or admin deletes a response template. */
export const handler = route(spec, async ({ caller, params, idempotency }) => ({
  body: await removeTemplate(caller, params.id, (t) => idempotency({ body: t })),
}));
