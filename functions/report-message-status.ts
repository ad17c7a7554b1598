import { reportMessageStatus as spec } from '../infra/routes/events.ts';
import { reportMessageStatus } from '../lib/channels/delivery-status.ts';
import { route } from '../lib/http/handler.ts';

/** `POST /v1/channels/{id}/messages/{messageId}/status`: the integration reports a reply's fate in the messenger. */
export const handler = route(spec, async ({ caller, params, body, idempotency }) => ({
  body: await reportMessageStatus(caller, params.id, params.messageId, body, (m) => idempotency({ body: m })),
}));
