import { route } from '../lib/http/handler.ts';
import { IdParams } from '../lib/model/schemas.ts';
import { runSessionCommand } from '../lib/sessions/operations.ts';

/**  */
export const handler = route({
  operation: 'mark-session-spam',
  params: IdParams,
  run: async ({ caller, receivedAt, ifMatch, params, idempotency }) => ({
    status: 200,
    body: await runSessionCommand(caller, params.id, { command: 'markAsSpam' }, (s) => idempotency({ status: 200, body: s }), { receivedAt, expectedVersion: ifMatch }),
  }),
});
