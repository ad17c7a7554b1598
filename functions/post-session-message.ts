import { route } from '../lib/http/handler.ts';
import { IdParams, PostMessageBody } from '../lib/model/schemas.ts';
import { postSessionMessage } from '../lib/sessions/operations.ts';

/** `POST /v1/sessions/{id}/messages`: a text reply by the assignee, or a staff-only system note. */
export const handler = route({
  operation: 'post-session-message',
  params: IdParams,
  body: PostMessageBody,
  run: async ({ caller, params, body, idempotency }) => ({
    status: 201,
    body: await postSessionMessage(caller, params.id, body, (m) => idempotency({ status: 201, body: m })),
  }),
});
