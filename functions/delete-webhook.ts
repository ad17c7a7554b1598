import { route } from '../lib/http/handler.ts';
import { WebhookIdParams } from '../lib/webhooks/schemas.ts';
import { deleteWebhook } from '../lib/webhooks/webhooks.ts';

/** `DELETE /v1/webhooks/{id}`: stop a subscription. */
export const handler = route({
  operation: 'delete-webhook',
  params: WebhookIdParams,
  run: async ({ caller, params, idempotency }) => ({
    status: 200,
    body: await deleteWebhook(caller, params.id, (hook) => idempotency({ status: 200, body: hook })),
  }),
});
