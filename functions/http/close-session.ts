import { route } from '../../lib/adapters/http/handler.ts';
import { runSessionCommand } from '../../lib/app/sessions/operations.ts';
import { closeSession } from '../../lib/contract/routes/sessions.ts';

/** `POST /v1/sessions/{id}/close`: by the assigned operator or bot. */
export const handler = route(closeSession, async ({ caller, receivedAt, ifMatch, params, idempotency }) => ({
  body: await runSessionCommand(caller, params.id, { command: 'close' }, (s) => idempotency({ body: s }), { receivedAt, expectedVersion: ifMatch }),
}));
