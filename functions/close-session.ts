import { route } from '../lib/http/handler.ts';
import { IdParams } from '../lib/model/schemas.ts';
import { runSessionCommand } from '../lib/sessions/operations.ts';

/**  */
export const handler = route({
  operation: 'close-session',
  params: IdParams,
  run: async ({ caller, receivedAt, ifMatch, params, idempotency }) => ({
    status: 200,
    body: await runSessionCommand(caller, params.id, { command: 'close' }, (s) => idempotency({ status: 200, body: s }), { receivedAt, expectedVersion: ifMatch }),
  }),
});
