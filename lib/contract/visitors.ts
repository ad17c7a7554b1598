/** Zod schemas of the visitor routes (`/v1/visitors…`), used by the functions and the OpenAPI document. */

import { FileRefSchema, Id, MAX_BODY_LENGTH, MAX_FILES_PER_MESSAGE, SessionStateSchema, Timestamp } from './schemas.ts';
import * as z from './zod.ts';

/** What a visitor token grants (lib/adapters/visitor-token.ts): one client account on one livechat channel, until `exp`. */
export interface VisitorClaims {
  /** The livechat channel the visitor writes to. */
  readonly channel: string;
  /** The visitor's client account on that channel (`_username` of its client). */
  readonly account: string;
  /** Expiry, Unix seconds. */
  readonly exp: number;
}

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
    body: z._default(z.string().check(z.trim(), z.maxLength(MAX_BODY_LENGTH)), ''),
    files: z.optional(z.array(Id).check(z.minLength(1), z.maxLength(MAX_FILES_PER_MESSAGE))),
  })
  .check(z.refine((m) => m.body.length > 0 || m.files, { path: ['body'], message: 'must not be empty (or send files)' }));

export const VisitorMessageSchema = z.object({
  id: z.string(),
  at: Timestamp,
  from: z.enum(['visitor', 'operator', 'bot', 'system']),
  body: z.string(),
  /** Its files; download each with `GET /v1/visitors/files/{id}`. */
  files: z._default(z.array(FileRefSchema), []),
  /** Read by the other side (the widget's ✓✓): the visitor's message by an operator, a reply by the visitor. */
  read: z.boolean(),
});

export const VisitorSessionSchema = z.nullable(
  z.object({
    id: Id,
    state: SessionStateSchema,
    /** The satisfaction survey: `requested` (closed, may rate now: `POST /v1/visitors/rating`), `rated`, or null. */
    rating: z.nullable(z.enum(['requested', 'rated'])),
  }),
);

/** The line's business hours as the visitor sees them: open now, and when that changes (null: never). */
export const VisitorHoursSchema = z.object({ openNow: z.boolean(), nextChangeAt: z.nullable(Timestamp) });

export const PostVisitorMessageResponse = z.object({ session: VisitorSessionSchema, message: VisitorMessageSchema });

/** `GET /v1/visitors/messages`: the visitor's newest session, client-visible messages only. */
export const VisitorMessagesResponse = z.object({ session: VisitorSessionSchema, messages: z.array(VisitorMessageSchema), hours: VisitorHoursSchema });

/** `POST /v1/visitors/rating`: the rating as stored on the session. */
export const VisitorRatingResponse = z.object({ session: Id, score: z.number().check(z.int()), comment: z.nullable(z.string()), at: Timestamp });

/** `GET /v1/visitors/queue`. */
export const VisitorQueueResponse = z.object({
  state: z.nullable(SessionStateSchema),
  position: z.nullable(z.number().check(z.int(), z.gte(1))),
  ahead: z.nullable(z.number().check(z.int(), z.gte(0))),
  expectedWaitSeconds: z.nullable(z.number().check(z.int(), z.gte(0))),
  basis: z.string(),
});
