import { route } from '../lib/http/handler.ts';
import { CreateSessionBody } from '../lib/model/schemas.ts';
import { createSessionByOperator } from '../lib/sessions/open.ts';

/** `POST /v1/sessions`: an operator starts a session with a client (`sessions.create`). */
export const handler = route({
  operation: 'create-session',
  body: CreateSessionBody,
  run: async ({ caller, body, idempotency }) => {
    const session = await createSessionByOperator(caller, body, (s) => idempotency({ status: 201, body: s }));
    return { status: 201, body: session };
  },
});
