import { route } from '../../lib/adapters/http/handler.ts';
import { listDeliveries } from '../../lib/app/webhooks/webhooks.ts';
import { listWebhookDeliveries as spec } from '../../lib/contract/routes/events.ts';

/** `GET /v1/webhooks/{id}/deliveries?from=&size=`: newest first. */
export const handler = route(spec, async ({ caller, params, query }) => ({
  body: { items: await listDeliveries(caller, params.id, query.from, query.size) },
}));
