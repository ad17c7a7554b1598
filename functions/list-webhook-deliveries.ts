import { listWebhookDeliveries as spec } from '../infra/routes/events.ts';
import { route } from '../lib/http/handler.ts';
import { listDeliveries } from '../lib/webhooks/webhooks.ts';

/** `GET /v1/webhooks/{id}/deliveries?from=&size=`: newest first. */
export const handler = route(spec, async ({ caller, params, query }) => ({
  body: { items: await listDeliveries(caller, params.id, query.from, query.size) },
}));
