import { route } from '../lib/http/handler.ts';
import { AssignSessionBody, IdParams } from '../lib/model/schemas.ts';
import { assignAction } from '../lib/sessions/actions.ts';
import { runSessionCommand } from '../lib/sessions/operations.ts';

/** `POST /v1/sessions/{id}/assign`: to an operator, an operator group or the line's bot. */
export const handler = route({
  operation: 'assign-session',
  params: IdParams,
  body: AssignSessionBody,
  run: async ({ caller, receivedAt, ifMatch, params, body, idempotency }) => ({
    status: 200,
    body: await runSessionCommand(caller, params.id, assignAction(body), (s) => idempotency({ status: 200, body: s }), { receivedAt, expectedVersion: ifMatch }),
  }),
});
