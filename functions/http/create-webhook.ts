import { route } from '../../lib/adapters/http/handler.ts';
import { createWebhook } from '../../lib/app/webhooks/webhooks.ts';
import { createWebhook as spec } from '../../lib/contract/routes/events.ts';

/** `POST /v1/webhooks`: subscribe a URL to events; the answer carries the signing secret once. */
export const handler = route(spec, async ({ caller, body, idempotency }) => ({
  body: await createWebhook(caller, body, (hook) => idempotency({ body: hook })),
}));
