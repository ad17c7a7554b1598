import { route } from '../lib/http/handler.ts';
import { IdParams, SetPriorityBody } from '../lib/model/schemas.ts';
import { runSessionCommand } from '../lib/sessions/operations.ts';

/** `PUT /v1/sessions/{id}/priority`: Low / Medium / High, or `null` to clear it. */
export const handler = route({
  operation: 'set-session-priority',
  params: IdParams,
  body: SetPriorityBody,
  run: async ({ caller, receivedAt, ifMatch, params, body, idempotency }) => ({
    status: 200,
    body: await runSessionCommand(caller, params.id, { command: 'setPriority', priority: body.priority }, (s) =>
      idempotency({ status: 200, body: s }),
      { receivedAt, expectedVersion: ifMatch },
    ),
  }),
});
