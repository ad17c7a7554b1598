import { route } from '../../lib/adapters/http/handler.ts';
import { runChannelCommand } from '../../lib/app/channels/commands.ts';
import { reconnectChannel } from '../../lib/contract/routes/sessions.ts';

/** `POST /v1/channels/{id}/reconnect`: back to active, only for the reconnectable channel types. */
export const handler = route(reconnectChannel, async ({ caller, params, idempotency }) => ({
  body: await runChannelCommand(caller, params.id, 'reconnect', (c) => idempotency({ body: c })),
}));
