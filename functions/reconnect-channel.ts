import { reconnectChannel } from '../infra/routes/sessions.ts';
import { runChannelCommand } from '../lib/channels/commands.ts';
import { route } from '../lib/http/handler.ts';

/** `POST /v1/channels/{id}/reconnect`: back to active, only for the reconnectable channel types. */
export const handler = route(reconnectChannel, async ({ caller, params, idempotency }) => ({
  body: await runChannelCommand(caller, params.id, 'reconnect', (c) => idempotency({ body: c })),
}));
