import { route } from '../../lib/adapters/http/handler.ts';
import { runChannelCommand } from '../../lib/app/channels/commands.ts';
import { disconnectChannel } from '../../lib/contract/routes/sessions.ts';

/** `POST /v1/channels/{id}/disconnect`: active → disconnected (admins, supervisors of the line). */
export const handler = route(disconnectChannel, async ({ caller, params, idempotency }) => ({
  body: await runChannelCommand(caller, params.id, 'disconnect', (c) => idempotency({ body: c })),
}));
