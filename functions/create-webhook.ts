import { createWebhook as spec } from '../infra/routes/events.ts';
import { route } from '../lib/http/handler.ts';
import { createWebhook } from '../lib/webhooks/webhooks.ts';

/** `POST /v1/webhooks`: subscribe a URL to events; the answer carries the signing secret once. */
export const handler = route(spec, async ({ caller, body, idempotency }) => ({
  body: await createWebhook(caller, body, (hook) => idempotency({ body: hook })),
}));
