import { route } from '../../lib/adapters/http/handler.ts';
import { retryDelivery } from '../../lib/app/webhooks/webhooks.ts';
import { retryWebhookDelivery as spec } from '../../lib/contract/routes/events.ts';

/** `POST /v1/webhooks/{id}/deliveries/{deliveryId}/retry`: send a failed delivery again. */
export const handler = route(spec, async ({ caller, params, idempotency }) => ({
  body: await retryDelivery(caller, params.id, params.deliveryId, (d) => idempotency({ body: d })),
}));
