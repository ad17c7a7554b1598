import { disconnectChannel } from '../infra/routes/sessions.ts';
import { runChannelCommand } from '../lib/channels/commands.ts';
import { route } from '../lib/http/handler.ts';

/** `POST /v1/channels/{id}/disconnect`: active → disconnected (admins, supervisors of the line). */
export const handler = route(disconnectChannel, async ({ caller, params, idempotency }) => ({
  body: await runChannelCommand(caller, params.id, 'disconnect', (c) => idempotency({ body: c })),
}));
