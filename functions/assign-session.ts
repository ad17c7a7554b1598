import { assignSession } from '../infra/routes/sessions.ts';
import { route } from '../lib/http/handler.ts';
import { assignAction } from '../lib/sessions/actions.ts';
import { runSessionCommand } from '../lib/sessions/operations.ts';

/** `POST /v1/sessions/{id}/assign`: to an operator, an operator group or the line's bot. */
export const handler = route(assignSession, async ({ caller, receivedAt, ifMatch, params, body, idempotency }) => ({
  body: await runSessionCommand(caller, params.id, assignAction(body), (s) => idempotency({ body: s }), { receivedAt, expectedVersion: ifMatch }),
}));
