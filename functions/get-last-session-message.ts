import { route } from '../lib/http/handler.ts';
import { IdParams } from '../lib/model/schemas.ts';
import { lastSessionMessage } from '../lib/sessions/operations.ts';

/** `GET /v1/sessions/{id}/messages/last`: the newest message, 404 when there is none. */
export const handler = route({
  operation: 'get-last-session-message',
  params: IdParams,
  run: async ({ caller, params }) => ({ status: 200, body: await lastSessionMessage(caller, params.id) }),
});
