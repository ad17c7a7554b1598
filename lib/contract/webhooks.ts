/** Webhook subscriptions and deliveries: request and response shapes (the OpenAPI document reads them). */
import * as z from 'zod';
import { EventPatternSchema } from './events.ts';
import { Id, Timestamp } from './schemas.ts';

export const CreateWebhookBody = z.strictObject({
  url: z.string().min(1).max(2048),
  events: z.array(EventPatternSchema).min(1).max(50),
  /** Only this line's events; absent = every line (admins only). */
  line: Id.optional(),
});

export const WebhookSchema = z.object({
  __id: Id,
  url: z.string(),
  events: z.array(z.string()),
  line: Id.nullable(),
  __createdAt: Timestamp,
  __createdBy: z.string(),
});
export type Webhook = z.infer<typeof WebhookSchema>;

/** The answer to `POST /v1/webhooks`: the subscription with its signing secret, shown this once. */
export const CreatedWebhookSchema = WebhookSchema.extend({ secret: z.string() });
export const WebhookListSchema = z.object({ items: z.array(WebhookSchema) });

export const DeliveryStatusSchema = z.enum(['pending', 'delivered', 'failed']);
export const DeliverySchema = z.object({
  /** The delivery's id is the event's id (also its `webhook-id` header). */
  id: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  status: DeliveryStatusSchema,
  attempts: z.number().int(),
  lastResponseCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  nextAttemptAt: Timestamp.nullable(),
  createdAt: Timestamp,
  deliveredAt: Timestamp.nullable(),
});
export type Delivery = z.infer<typeof DeliverySchema>;
export const DeliveryListSchema = z.object({ items: z.array(DeliverySchema) });

export const WebhookIdParams = z.strictObject({ id: Id });
export const DeliveryParams = z.strictObject({
  id: Id,
  deliveryId: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9._:-]+$/),
});
export const DeliveriesQuery = z.strictObject({
  from: z.coerce.number().int().min(0).max(10_000).default(0),
  size: z.coerce.number().int().min(1).max(100).default(20),
});
