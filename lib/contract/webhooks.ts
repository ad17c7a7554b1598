/** Webhook subscriptions and deliveries: request and response shapes (the OpenAPI document reads them). */

import { EventPatternSchema } from './events.ts';
import { Id, Timestamp } from './schemas.ts';
import * as z from './zod.ts';

export const CreateWebhookBody = z.strictObject({
  url: z.string().check(z.minLength(1), z.maxLength(2048)),
  events: z.array(EventPatternSchema).check(z.minLength(1), z.maxLength(50)),
  /** Only this line's events; absent = every line (admins only). */
  line: z.optional(Id),
});

export const WebhookSchema = z.object({
  __id: Id,
  url: z.string(),
  events: z.array(z.string()),
  line: z.nullable(Id),
  __createdAt: Timestamp,
  __createdBy: z.string(),
});
export type Webhook = z.infer<typeof WebhookSchema>;

/** The answer to `POST /v1/webhooks`: the subscription with its signing secret, shown this once. */
export const CreatedWebhookSchema = z.extend(WebhookSchema, { secret: z.string() });
export const WebhookListSchema = z.object({ items: z.array(WebhookSchema) });

export const DeliveryStatusSchema = z.enum(['pending', 'delivered', 'failed']);
export const DeliverySchema = z.object({
  /** The delivery's id is the event's id (also its `webhook-id` header). */
  id: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  status: DeliveryStatusSchema,
  attempts: z.number().check(z.int()),
  lastResponseCode: z.nullable(z.number().check(z.int())),
  lastError: z.nullable(z.string()),
  nextAttemptAt: z.nullable(Timestamp),
  createdAt: Timestamp,
  deliveredAt: z.nullable(Timestamp),
});
export type Delivery = z.infer<typeof DeliverySchema>;
export const DeliveryListSchema = z.object({ items: z.array(DeliverySchema) });

export const WebhookIdParams = z.strictObject({ id: Id });
export const DeliveryParams = z.strictObject({
  id: Id,
  deliveryId: z.string().check(z.minLength(1), z.maxLength(200), z.regex(/^[A-Za-z0-9._:-]+$/)),
});
export const DeliveriesQuery = z.strictObject({
  from: z._default(z.coerce.number().check(z.int(), z.gte(0), z.lte(10_000)), 0),
  size: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(100)), 20),
});
