import { retryWebhookDelivery as spec } from '../infra/routes/events.ts';
import { route } from '../lib/http/handler.ts';
import { retryDelivery } from '../lib/webhooks/webhooks.ts';

/** `POST /v1/webhooks/{id}/deliveries/{deliveryId}/retry`: send a failed delivery again. */
export const handler = route(spec, async ({ caller, params }) => ({ body: await retryDelivery(caller, params.id, params.deliveryId) }));
