import { route } from '../../lib/adapters/http/handler.ts';
import { runSessionCommand } from '../../lib/app/sessions/operations.ts';
import { assignSession } from '../../lib/contract/routes/sessions.ts';
import { assignAction } from '../../lib/domain/sessions/actions.ts';

/** `POST /v1/sessions/{id}/assign`: to an operator, an operator group or the line's bot. */
export const handler = route(assignSession, async ({ caller, receivedAt, ifMatch, params, body, idempotency }) => ({
  body: await runSessionCommand(caller, params.id, assignAction(body), (s) => idempotency({ body: s }), {
    receivedAt,
    expectedVersion: ifMatch,
    comment: body.comment,
  }),
}));
