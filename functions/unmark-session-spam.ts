import { unmarkSessionSpam } from '../infra/routes/sessions.ts';
import { route } from '../lib/http/handler.ts';
import { runSessionCommand } from '../lib/sessions/operations.ts';

/** `DELETE /v1/sessions/{id}/spam`: back to the state before spam (lib/sessions/commands.ts). */
export const handler = route(unmarkSessionSpam, async ({ caller, receivedAt, ifMatch, params, idempotency }) => ({
  body: await runSessionCommand(caller, params.id, { command: 'unmarkAsSpam' }, (s) => idempotency({ body: s }), { receivedAt, expectedVersion: ifMatch }),
}));
