import { route } from '../lib/http/handler.ts';
import { CreateWebhookBody } from '../lib/webhooks/schemas.ts';
import { createWebhook } from '../lib/webhooks/webhooks.ts';

/** `POST /v1/webhooks`: subscribe a URL to events; the answer carries the signing secret once. */
export const handler = route({
  operation: 'create-webhook',
  body: CreateWebhookBody,
  run: async ({ caller, body, idempotency }) => ({
    status: 201,
    body: await createWebhook(caller, body, (hook) => idempotency({ status: 201, body: hook })),
  }),
});
