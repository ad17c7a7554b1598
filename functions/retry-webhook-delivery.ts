import { route } from '../lib/http/handler.ts';
import { DeliveryParams } from '../lib/webhooks/schemas.ts';
import { retryDelivery } from '../lib/webhooks/webhooks.ts';

/** `POST /v1/webhooks/{id}/deliveries/{deliveryId}/retry`: send a failed delivery again. */
export const handler = route({
  operation: 'retry-webhook-delivery',
  params: DeliveryParams,
  run: async ({ caller, params }) => ({ status: 202, body: await retryDelivery(caller, params.id, params.deliveryId) }),
});
