import { listSessionMessages } from '../infra/routes/sessions.ts';
import { route } from '../lib/http/handler.ts';
import { sessionMessages } from '../lib/sessions/operations.ts';

/** `GET /v1/sessions/{id}/messages?from&size`: the messages in order (one GetItem + one Query). */
export const handler = route(listSessionMessages, async ({ caller, params, query }) => ({
  body: await sessionMessages(caller, params.id, query.from, query.size),
}));
