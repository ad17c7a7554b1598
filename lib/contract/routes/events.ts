/** Events out: channel delivery endpoints, message status reports, webhook subscriptions and their deliveries. */

import { ChannelMessageParams, ChannelWithSecretSchema, IdParams, MessageStatusBody, UpdateChannelBody } from '../schemas.ts';
import type { ScheduledFunctionDefinition, StreamFunctionDefinition } from '../spec.ts';
import { named, type RouteSpec } from '../spec.ts';
import {
  CreatedWebhookSchema,
  CreateWebhookBody,
  DeliveriesQuery,
  DeliveryListSchema,
  DeliveryParams,
  DeliverySchema,
  WebhookIdParams,
  WebhookListSchema,
  WebhookSchema,
} from '../webhooks.ts';
import { Message } from './components.ts';

export const ChannelWithSecret = named('ChannelWithSecret', ChannelWithSecretSchema);

export const updateChannel = {
  method: 'PATCH',
  path: '/v1/channels/{id}',
  function: 'update-channel',
  access: 'write',
  auth: true,
  throttle: { rate: 5, burst: 10 },
  summary:
    'Rename a channel, or set / clear the endpoint its replies are delivered to (admin). Setting `_deliveryUrl` answers `_deliverySecret` (whsec_…) once.',
  tag: 'channels',
  params: IdParams,
  body: named('UpdateChannelBody', UpdateChannelBody),
  responses: { 200: { description: 'The channel after the change', body: ChannelWithSecret } },
  problems: [403, 404, 409],
} as const satisfies RouteSpec;

export const reportMessageStatus = {
  method: 'POST',
  path: '/v1/channels/{id}/messages/{messageId}/status',
  function: 'report-message-status',
  access: 'write',
  auth: true,
  summary: "The channel's integration reports a reply's fate in the messenger: `_deliveryStatus` (and `isRead` on read), and a `message.status_changed` event.",
  tag: 'messages',
  params: ChannelMessageParams,
  body: named('MessageStatusBody', MessageStatusBody),
  responses: { 200: { description: 'The message after the report', body: Message } },
  // 409: a report the message's status refuses (lib/domain/channels/delivery-status.ts).
  problems: [403, 404, 409],
} as const satisfies RouteSpec;

export const createWebhook = {
  method: 'POST',
  path: '/v1/webhooks',
  function: 'create-webhook',
  access: 'write',
  auth: true,
  throttle: { rate: 5, burst: 10 },
  summary: 'Subscribe a URL to events (admin; a supervisor for its own line). The answer carries the signing `secret` once.',
  tag: 'webhooks',
  body: named('CreateWebhookBody', CreateWebhookBody),
  responses: { 201: { description: 'The subscription with its secret', body: named('CreatedWebhook', CreatedWebhookSchema) } },
  problems: [403, 404],
} as const satisfies RouteSpec;

export const listWebhooks = {
  method: 'GET',
  path: '/v1/webhooks',
  function: 'list-webhooks',
  access: 'read',
  auth: true,
  summary: 'The subscriptions the caller may see (no secrets), newest first.',
  tag: 'webhooks',
  responses: { 200: { description: 'Subscriptions', body: named('WebhookList', WebhookListSchema) } },
  problems: [403],
} as const satisfies RouteSpec;

export const deleteWebhook = {
  method: 'DELETE',
  path: '/v1/webhooks/{id}',
  function: 'delete-webhook',
  access: 'write',
  auth: true,
  summary: 'Stop a subscription; its pending deliveries fail.',
  tag: 'webhooks',
  params: WebhookIdParams,
  responses: { 200: { description: 'The subscription that was stopped', body: named('Webhook', WebhookSchema) } },
  problems: [403, 404],
} as const satisfies RouteSpec;

export const listWebhookDeliveries = {
  method: 'GET',
  path: '/v1/webhooks/{id}/deliveries',
  function: 'list-webhook-deliveries',
  access: 'read',
  auth: true,
  summary: "A subscription's deliveries, newest first: event, attempts, status, last response code, next attempt.",
  tag: 'webhooks',
  params: WebhookIdParams,
  query: DeliveriesQuery,
  responses: { 200: { description: 'Deliveries', body: named('DeliveryList', DeliveryListSchema) } },
  problems: [404],
} as const satisfies RouteSpec;

export const retryWebhookDelivery = {
  method: 'POST',
  path: '/v1/webhooks/{id}/deliveries/{deliveryId}/retry',
  function: 'retry-webhook-delivery',
  access: 'write',
  auth: true,
  throttle: { rate: 5, burst: 10 },
  summary: 'Send a failed delivery again (one attempt, within a sweep period).',
  tag: 'webhooks',
  params: DeliveryParams,
  responses: { 202: { description: 'The delivery, pending again', body: named('Delivery', DeliverySchema) } },
  problems: [403, 404, 409],
} as const satisfies RouteSpec;

export const eventRoutes: readonly RouteSpec[] = [
  updateChannel,
  reportMessageStatus,
  createWebhook,
  listWebhooks,
  deleteWebhook,
  listWebhookDeliveries,
  retryWebhookDelivery,
];

/** The delivery sweeper: every minute, the webhook and messenger deliveries that have come due. */
export const eventScheduledFunctions: readonly ScheduledFunctionDefinition[] = [
  {
    function: 'retry-deliveries',
    access: 'write',
    everyMinutes: 1,
    description: 'Webhook and messenger deliveries: attempts the ones that have come due (lib/app/webhooks/deliveries.ts).',
  },
];

/** The one consumer of the table's stream (lib/app/events/consumer.ts). */
export const streamFunctions: readonly StreamFunctionDefinition[] = [
  {
    function: 'stream-consumer',
    access: 'write',
    description: 'The table stream → events: EventBridge, webhook and messenger deliveries, routing (lib/app/events/consumer.ts).',
  },
];
