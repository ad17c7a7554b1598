import { createSession } from '../infra/routes/core.ts';
import { route } from '../lib/http/handler.ts';
import { createSessionByOperator } from '../lib/sessions/open.ts';

/** `POST /v1/sessions`: an operator starts a session with a client (`sessions.create`). */
export const handler = route(createSession, async ({ caller, body, idempotency }) => ({
  body: await createSessionByOperator(caller, body, (s) => idempotency({ body: s })),
}));
