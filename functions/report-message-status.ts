import { reportMessageStatus } from '../lib/channels/delivery-status.ts';
import { route } from '../lib/http/handler.ts';
import { ChannelMessageParams, MessageStatusBody } from '../lib/model/schemas.ts';

/** `POST /v1/channels/{id}/messages/{messageId}/status`: the integration reports a reply's fate in the messenger. */
export const handler = route({
  operation: 'report-message-status',
  params: ChannelMessageParams,
  body: MessageStatusBody,
  run: async ({ caller, params, body, idempotency }) => ({
    status: 200,
    body: await reportMessageStatus(caller, params.id, params.messageId, body, (m) => idempotency({ status: 200, body: m })),
  }),
});
