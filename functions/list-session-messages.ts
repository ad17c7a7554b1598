import { route } from '../lib/http/handler.ts';
import { IdParams, MessagesQuery } from '../lib/model/schemas.ts';
import { sessionMessages } from '../lib/sessions/operations.ts';

/** `GET /v1/sessions/{id}/messages?from&size`: the messages in order (one GetItem + one Query). */
export const handler = route({
  operation: 'list-session-messages',
  params: IdParams,
  query: MessagesQuery,
  run: async ({ caller, params, query }) => ({ status: 200, body: await sessionMessages(caller, params.id, query.from, query.size) }),
});
