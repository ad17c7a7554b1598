import { route } from '../../lib/adapters/http/handler.ts';
import { createSessionByOperator } from '../../lib/app/sessions/open.ts';
import { createSession } from '../../lib/contract/routes/core.ts';

/** `POST /v1/sessions`: an operator starts a session with a client (`sessions.create`). */
export const handler = route(createSession, async ({ caller, body, idempotency }) => ({
  body: await createSessionByOperator(caller, body, (s) => idempotency({ body: s })),
}));
