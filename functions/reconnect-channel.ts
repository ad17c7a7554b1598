import { runChannelCommand } from '../lib/channels/commands.ts';
import { route } from '../lib/http/handler.ts';
import { IdParams } from '../lib/model/schemas.ts';

/** `POST /v1/channels/{id}/reconnect`: back to active, only for the reconnectable channel types. */
export const handler = route({
  operation: 'reconnect-channel',
  params: IdParams,
  run: async ({ caller, params, idempotency }) => ({
    status: 200,
    body: await runChannelCommand(caller, params.id, 'reconnect', (c) => idempotency({ status: 200, body: c })),
  }),
});
