/** Zod schemas of read receipts (`POST /v1/sessions/{id}/read`, `POST /v1/visitors/read`). */
import * as z from './zod.ts';

/** A message id (`<epoch ms>-<sequence>-<random>`): they sort by time. */
export const MessageIdSchema = z.string().check(z.minLength(1), z.maxLength(64), z.regex(/^[0-9]{13}-[0-9]{4}-[0-9a-f]{8}$/, { error: 'not a message id' }));

/** The other side's messages up to this one (inclusive) were read. */
export const ReadBody = z.strictObject({ upTo: MessageIdSchema });

export const ReadResponse = z.object({
  session: z.string(),
  /** How far the reader has read now: `upTo`, or the last message marked when `more` (the cap was reached). */
  readUpTo: z.nullable(MessageIdSchema),
  /** The messages this call marked `isRead: true` (at most 50; none when the receipt was known already). */
  marked: z.array(MessageIdSchema),
  /** True when more unread messages up to `upTo` remain (the cap was reached): send the receipt again. */
  more: z.boolean(),
});
export type ReadResult = z.infer<typeof ReadResponse>;
