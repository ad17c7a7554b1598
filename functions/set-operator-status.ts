import { setOperatorStatus as spec } from '../infra/routes/core.ts';
import { route } from '../lib/http/handler.ts';
import { setOperatorStatus } from '../lib/operators/operators.ts';

/** `PUT /v1/operators/me/status`: the calling operator goes online or offline. */
export const handler = route(spec, async ({ caller, body, idempotency }) => ({
  body: await setOperatorStatus(caller, body.status, (o) => idempotency({ body: o })),
}));
