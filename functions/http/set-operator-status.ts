import { route } from '../../lib/adapters/http/handler.ts';
import { setOperatorStatus } from '../../lib/app/operators/operators.ts';
import { setOperatorStatus as spec } from '../../lib/contract/routes/core.ts';

/** `PUT /v1/operators/me/status`: the calling operator goes online or offline. */
export const handler = route(spec, async ({ caller, body, idempotency }) => ({
  body: await setOperatorStatus(caller, body.status, (o) => idempotency({ body: o })),
}));
