import { runChannelCommand } from '../lib/channels/commands.ts';
import { route } from '../lib/http/handler.ts';
import { IdParams } from '../lib/model/schemas.ts';

/** `POST /v1/channels/{id}/disconnect`: active → disconnected (admins, supervisors of the line). */
export const handler = route({
  operation: 'disconnect-channel',
  params: IdParams,
  run: async ({ caller, params, idempotency }) => ({
    status: 200,
    body: await runChannelCommand(caller, params.id, 'disconnect', (c) => idempotency({ status: 200, body: c })),
  }),
});
