/** Zod schemas of the visitor routes (`/v1/visitors…`), used by the functions and the OpenAPI document. */
// Namespace import: the named `z` export keeps every locale in the bundle (~450 KB).
import * as z from 'zod';
import { Id, MAX_BODY_LENGTH, SessionStateSchema, Timestamp } from './schemas.ts';

/** `POST /v1/visitors`: a visitor starts on a livechat channel. */
export const CreateVisitorBody = z.strictObject({ channel: Id });

export const VisitorTokenResponse = z.object({
  token: z.string(),
  channel: Id,
  account: z.string(),
  expiresAt: Timestamp,
});

/** `POST /v1/visitors/messages`: the visitor writes. */
export const VisitorMessageBody = z.strictObject({ body: z.string().trim().min(1).max(MAX_BODY_LENGTH) });

export const VisitorMessageSchema = z.object({
  id: z.string(),
  at: Timestamp,
  from: z.enum(['visitor', 'operator', 'bot']),
  body: z.string(),
  /** Read by the other side (the widget's ✓✓): the visitor's message by an operator, a reply by the visitor. */
  read: z.boolean(),
});

export const VisitorSessionSchema = z.object({ id: Id, state: SessionStateSchema }).nullable();

export const PostVisitorMessageResponse = z.object({ session: VisitorSessionSchema, message: VisitorMessageSchema });

/** `GET /v1/visitors/messages`: the visitor's newest session, client-visible messages only. */
export const VisitorMessagesResponse = z.object({ session: VisitorSessionSchema, messages: z.array(VisitorMessageSchema) });

/** `GET /v1/visitors/queue`. */
export const VisitorQueueResponse = z.object({
  state: SessionStateSchema.nullable(),
  position: z.number().int().min(1).nullable(),
  ahead: z.number().int().min(0).nullable(),
  expectedWaitSeconds: z.number().int().min(0).nullable(),
  basis: z.string(),
});
