import { route } from '../../lib/adapters/http/handler.ts';
import { sessionMessages } from '../../lib/app/sessions/operations.ts';
import { listSessionMessages } from '../../lib/contract/routes/sessions.ts';

/** `GET /v1/sessions/{id}/messages?from&size`: the messages in order (one GetItem + one Query). */
export const handler = route(listSessionMessages, async ({ caller, params, query }) => ({
  body: await sessionMessages(caller, params.id, query.from, query.size),
}));
