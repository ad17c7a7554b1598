import { route } from '../../lib/adapters/http/handler.ts';
import { runSessionCommand } from '../../lib/app/sessions/operations.ts';
import { unmarkSessionSpam } from '../../lib/contract/routes/sessions.ts';

/** `DELETE /v1/sessions/{id}/spam`: back to the state before spam (lib/domain/sessions/commands.ts). */
export const handler = route(unmarkSessionSpam, async ({ caller, receivedAt, ifMatch, params, idempotency }) => ({
  body: await runSessionCommand(caller, params.id, { command: 'unmarkAsSpam' }, (s) => idempotency({ body: s }), { receivedAt, expectedVersion: ifMatch }),
}));
