/** Zod schemas of the visitor routes (`/v1/visitors…`), used by the functions and the OpenAPI document. */
// Namespace import: the named `z` export keeps every locale in the bundle (~450 KB).
import * as z from 'zod';
import { FileRefSchema, Id, MAX_BODY_LENGTH, MAX_FILES_PER_MESSAGE, SessionStateSchema, Timestamp } from './schemas.ts';

/** `POST /v1/visitors`: a visitor starts on a livechat channel. */
export const CreateVisitorBody = z.strictObject({ channel: Id });

export const VisitorTokenResponse = z.object({
  token: z.string(),
  channel: Id,
  account: z.string(),
  expiresAt: Timestamp,
});

/** `POST /v1/visitors/messages`: the visitor writes: text, files it uploaded (`POST /v1/visitors/files`), or both. */
export const VisitorMessageBody = z
  .strictObject({
    body: z.string().trim().max(MAX_BODY_LENGTH).default(''),
    files: z.array(Id).min(1).max(MAX_FILES_PER_MESSAGE).optional(),
  })
  .refine((m) => m.body.length > 0 || m.files, { path: ['body'], message: 'must not be empty (or send files)' });

export const VisitorMessageSchema = z.object({
  id: z.string(),
  at: Timestamp,
  from: z.enum(['visitor', 'operator', 'bot', 'system']),
  body: z.string(),
  /** Its files; download each with `GET /v1/visitors/files/{id}`. */
  files: z.array(FileRefSchema).default([]),
  /** Read by the other side (the widget's ✓✓): the visitor's message by an operator, a reply by the visitor. */
  read: z.boolean(),
});

export const VisitorSessionSchema = z
  .object({
    id: Id,
    state: SessionStateSchema,
    /** The satisfaction survey: `requested` (closed, may rate now: `POST /v1/visitors/rating`), `rated`, or null. */
    rating: z.enum(['requested', 'rated']).nullable(),
  })
  .nullable();

/** The line's business hours as the visitor sees them: open now, and when that changes (null: never). */
export const VisitorHoursSchema = z.object({ openNow: z.boolean(), nextChangeAt: Timestamp.nullable() });

export const PostVisitorMessageResponse = z.object({ session: VisitorSessionSchema, message: VisitorMessageSchema });

/** `GET /v1/visitors/messages`: the visitor's newest session, client-visible messages only. */
export const VisitorMessagesResponse = z.object({ session: VisitorSessionSchema, messages: z.array(VisitorMessageSchema), hours: VisitorHoursSchema });

/** `POST /v1/visitors/rating`: the rating as stored on the session. */
export const VisitorRatingResponse = z.object({ session: Id, score: z.number().int(), comment: z.string().nullable(), at: Timestamp });

/** `GET /v1/visitors/queue`. */
export const VisitorQueueResponse = z.object({
  state: SessionStateSchema.nullable(),
  position: z.number().int().min(1).nullable(),
  ahead: z.number().int().min(0).nullable(),
  expectedWaitSeconds: z.number().int().min(0).nullable(),
  basis: z.string(),
});
