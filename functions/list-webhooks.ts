import { route } from '../lib/http/handler.ts';
import { listWebhooks } from '../lib/webhooks/webhooks.ts';

/** `GET /v1/webhooks`: the subscriptions the caller may see (no secrets). */
export const handler = route({
  operation: 'list-webhooks',
  run: async ({ caller }) => ({ status: 200, body: { items: await listWebhooks(caller) } }),
});
