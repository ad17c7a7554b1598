import { closeSession } from '../infra/routes/sessions.ts';
import { route } from '../lib/http/handler.ts';
import { runSessionCommand } from '../lib/sessions/operations.ts';

/** `POST /v1/sessions/{id}/close`: by the assigned operator or bot. */
export const handler = route(closeSession, async ({ caller, receivedAt, ifMatch, params, idempotency }) => ({
  body: await runSessionCommand(caller, params.id, { command: 'close' }, (s) => idempotency({ body: s }), { receivedAt, expectedVersion: ifMatch }),
}));
