import { route } from '../lib/http/handler.ts';
import { DeliveriesQuery, WebhookIdParams } from '../lib/webhooks/schemas.ts';
import { listDeliveries } from '../lib/webhooks/webhooks.ts';

/** `GET /v1/webhooks/{id}/deliveries?from=&size=`: newest first. */
export const handler = route({
  operation: 'list-webhook-deliveries',
  params: WebhookIdParams,
  query: DeliveriesQuery,
  run: async ({ caller, params, query }) => ({ status: 200, body: { items: await listDeliveries(caller, params.id, query.from, query.size) } }),
});
