import { route } from '../../lib/adapters/http/handler.ts';
import { postSessionMessage } from '../../lib/app/sessions/messages.ts';
import { postSessionMessage as spec } from '../../lib/contract/routes/sessions.ts';

/** `POST /v1/sessions/{id}/messages`: a text or file reply by the assignee, or a staff-only note (files allowed). */
export const handler = route(spec, async ({ caller, params, body, idempotency }) => ({
  body: await postSessionMessage(caller, params.id, body, (m) => idempotency({ body: m })),
}));
