import { setOperatorCapacity as spec } from '../infra/routes/routing.ts';
import { route } from '../lib/http/handler.ts';
import { setOperatorCapacity } from '../lib/operators/operators.ts';

/** `PUT /v1/operators/{id}`: an operator's capacity override. */
export const handler = route(spec, async ({ caller, params, body, idempotency }) => ({
  body: await setOperatorCapacity(caller, params.id, body.capacity, (o) => idempotency({ body: o })),
}));
