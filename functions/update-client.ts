import { updateClientFields } from '../lib/clients/clients.ts';
import { route } from '../lib/http/handler.ts';
import { IdParams, UpdateClientBody } from '../lib/model/schemas.ts';

/** `PATCH /v1/clients/{id}`: the account link (`_applicationItem`) and the block status. */
export const handler = route({
  operation: 'update-client',
  params: IdParams,
  body: UpdateClientBody,
  run: async ({ caller, params, body, idempotency }) => ({
    status: 200,
    body: await updateClientFields(caller, params.id, body, (c) => idempotency({ status: 200, body: c })),
  }),
});
