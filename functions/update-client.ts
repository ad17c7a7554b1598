import { updateClient } from '../infra/routes/sessions.ts';
import { updateClientFields } from '../lib/clients/clients.ts';
import { route } from '../lib/http/handler.ts';

/** `PATCH /v1/clients/{id}`: the account link (`_applicationItem`) and the block status. */
export const handler = route(updateClient, async ({ caller, params, body, idempotency }) => ({
  body: await updateClientFields(caller, params.id, body, (c) => idempotency({ body: c })),
}));
