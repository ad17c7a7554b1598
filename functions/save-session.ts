import { route } from '../lib/http/handler.ts';
import { IdParams, SaveSessionBody } from '../lib/model/schemas.ts';
import { runSessionCommand } from '../lib/sessions/operations.ts';

/** `PATCH /v1/sessions/{id}` (`save()`): `__name` and `_apps` only; `_apps` is normalized. */
export const handler = route({
  operation: 'save-session',
  params: IdParams,
  body: SaveSessionBody,
  run: async ({ caller, receivedAt, ifMatch, params, body, idempotency }) => ({
    status: 200,
    body: await runSessionCommand(caller, params.id, { command: 'save', name: body.__name, apps: body._apps }, (s) =>
      idempotency({ status: 200, body: s }),
      { receivedAt, expectedVersion: ifMatch },
    ),
  }),
});
