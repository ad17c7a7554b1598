import { listWebhooks as spec } from '../infra/routes/events.ts';
import { route } from '../lib/http/handler.ts';
import { listWebhooks } from '../lib/webhooks/webhooks.ts';

/** `GET /v1/webhooks`: the subscriptions the caller may see (no secrets). */
export const handler = route(spec, async ({ caller }) => ({ body: { items: await listWebhooks(caller) } }));
