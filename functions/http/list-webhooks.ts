import { route } from '../../lib/adapters/http/handler.ts';
import { listWebhooks } from '../../lib/app/webhooks/webhooks.ts';
import { listWebhooks as spec } from '../../lib/contract/routes/events.ts';

/** `GET /v1/webhooks`: the subscriptions the caller may see (no secrets). */
export const handler = route(spec, async ({ caller }) => ({ body: { items: await listWebhooks(caller) } }));
