/** Events out (issue 12): webhook subscriptions and their deliveries; the stream consumer and the delivery sweeper. */
import type { RouteDefinition } from '../routes.ts';

export const eventRoutes: readonly RouteDefinition[] = [
  { method: 'PATCH', path: '/v1/channels/{id}', function: 'update-channel', access: 'write', auth: true, throttle: { rate: 5, burst: 10 } },
  { method: 'POST', path: '/v1/channels/{id}/messages/{messageId}/status', function: 'report-message-status', access: 'write', auth: true },
  { method: 'POST', path: '/v1/webhooks', function: 'create-webhook', access: 'write', auth: true, throttle: { rate: 5, burst: 10 } },
  { method: 'GET', path: '/v1/webhooks', function: 'list-webhooks', access: 'read', auth: true },
  { method: 'DELETE', path: '/v1/webhooks/{id}', function: 'delete-webhook', access: 'write', auth: true },
  { method: 'GET', path: '/v1/webhooks/{id}/deliveries', function: 'list-webhook-deliveries', access: 'read', auth: true },
  {
    method: 'POST',
    path: '/v1/webhooks/{id}/deliveries/{deliveryId}/retry',
    function: 'retry-webhook-delivery',
    access: 'write',
    auth: true,
    throttle: { rate: 5, burst: 10 },
  },
];
