import { route } from '../../lib/adapters/http/handler.ts';
import { setOperatorCapacity } from '../../lib/app/operators/operators.ts';
import { setOperatorCapacity as spec } from '../../lib/contract/routes/routing.ts';

/** `PUT /v1/operators/{id}`: an operator's capacity override. */
export const handler = route(spec, async ({ caller, params, body, idempotency }) => ({
  body: await setOperatorCapacity(caller, params.id, body.capacity, (o) => idempotency({ body: o })),
}));
