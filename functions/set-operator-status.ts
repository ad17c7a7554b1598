import { route } from '../lib/http/handler.ts';
import { OperatorStatusBody } from '../lib/model/schemas.ts';
import { setOperatorStatus } from '../lib/operators/operators.ts';

/** `PUT /v1/operators/me/status`: the calling operator goes online or offline. */
export const handler = route({
  operation: 'set-operator-status',
  body: OperatorStatusBody,
  run: async ({ caller, body, idempotency }) => {
    const operator = await setOperatorStatus(caller, body.status, (o) => idempotency({ status: 200, body: o }));
    return { status: 200, body: operator };
  },
});
