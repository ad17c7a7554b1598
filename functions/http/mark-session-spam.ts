import { route } from '../../lib/adapters/http/handler.ts';
import { runSessionCommand } from '../../lib/app/sessions/operations.ts';
import { markSessionSpam } from '../../lib/contract/routes/sessions.ts';

/** `PUT /v1/sessions/{id}/spam`. */
export const handler = route(markSessionSpam, async ({ caller, receivedAt, ifMatch, params, idempotency }) => ({
  body: await runSessionCommand(caller, params.id, { command: 'markAsSpam' }, (s) => idempotency({ body: s }), { receivedAt, expectedVersion: ifMatch }),
}));
