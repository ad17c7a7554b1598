import { route } from '../../lib/adapters/http/handler.ts';
import { updateClientFields } from '../../lib/app/clients/clients.ts';
import { updateClient } from '../../lib/contract/routes/sessions.ts';

/** `PATCH /v1/clients/{id}`: the account link (`_applicationItem`) and the block status. */
export const handler = route(updateClient, async ({ caller, params, body, idempotency }) => ({
  body: await updateClientFields(caller, params.id, body, (c) => idempotency({ body: c })),
}));
