import { route } from '../../lib/adapters/http/handler.ts';
import { runSessionCommand } from '../../lib/app/sessions/operations.ts';
import { saveSession } from '../../lib/contract/routes/sessions.ts';

/** `PATCH /v1/sessions/{id}` (`save()`): `__name` and `_apps` only; `_apps` is normalized. */
export const handler = route(saveSession, async ({ caller, receivedAt, ifMatch, params, body, idempotency }) => ({
  body: await runSessionCommand(caller, params.id, { command: 'save', name: body.__name, apps: body._apps }, (s) => idempotency({ body: s }), {
    receivedAt,
    expectedVersion: ifMatch,
  }),
}));
