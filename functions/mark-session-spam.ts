import { markSessionSpam } from '../infra/routes/sessions.ts';
import { route } from '../lib/http/handler.ts';
import { runSessionCommand } from '../lib/sessions/operations.ts';

/** `PUT /v1/sessions/{id}/spam`. */
export const handler = route(markSessionSpam, async ({ caller, receivedAt, ifMatch, params, idempotency }) => ({
  body: await runSessionCommand(caller, params.id, { command: 'markAsSpam' }, (s) => idempotency({ body: s }), { receivedAt, expectedVersion: ifMatch }),
}));
