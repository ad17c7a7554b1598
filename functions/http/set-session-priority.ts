import { route } from '../../lib/adapters/http/handler.ts';
import { runSessionCommand } from '../../lib/app/sessions/operations.ts';
import { setSessionPriority } from '../../lib/contract/routes/sessions.ts';

/** `PUT /v1/sessions/{id}/priority`: Low / Medium / High, or `null` to clear it. */
export const handler = route(setSessionPriority, async ({ caller, receivedAt, ifMatch, params, body, idempotency }) => ({
  body: await runSessionCommand(caller, params.id, { command: 'setPriority', priority: body.priority }, (s) => idempotency({ body: s }), {
    receivedAt,
    expectedVersion: ifMatch,
  }),
}));
