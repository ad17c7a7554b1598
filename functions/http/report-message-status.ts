import { route } from '../../lib/adapters/http/handler.ts';
import { reportMessageStatus } from '../../lib/app/channels/delivery-status.ts';
import { reportMessageStatus as spec } from '../../lib/contract/routes/events.ts';

/** `POST /v1/channels/{id}/messages/{messageId}/status`: the integration reports a reply's fate in the messenger. */
export const handler = route(spec, async ({ caller, params, body, idempotency }) => ({
  body: await reportMessageStatus(caller, params.id, params.messageId, body, (m) => idempotency({ body: m })),
}));
