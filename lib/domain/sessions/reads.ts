/**
 * Read receipts, the rules. Pure: no AWS imports.
 *
 * A reader (`operator`: the staff side reads the client's messages; `client`: the visitor reads
 * the staff replies) says it has read the other side's messages up to one (message ids sort by
 * time). The session keeps, per reader, how far it has read (a watermark): a receipt at or
 * before it changes nothing and makes no event, so receipts are idempotent and may arrive out of
 * order. A receipt marks at most `READ_CAP` messages (bounded work per call and one transaction);
 * when more remain the watermark stops at the last one marked and the answer says `more`.
 */
import type { Message } from '../../contract/schemas.ts';

export type Reader = 'operator' | 'client';

/** Messages one receipt marks at most (one transaction: these and the session item). */
export const READ_CAP = 50;

/** Whose messages a reader marks: the client's for staff; the staff's text and file replies for the client. */
export const readerMarks = (reader: Reader): { authors: Message['author'][]; types: Message['type'][] } =>
  reader === 'operator' ? { authors: ['client'], types: ['text', 'file'] } : { authors: ['operator', 'bot'], types: ['text', 'file'] };

/** Does a receipt up to `upTo` move the reader on from `watermark`? */
export const advances = (watermark: string | null, upTo: string): boolean => watermark === null || upTo > watermark;

/**
 * The watermark after marking `unread` (the other side's unread messages after the old
 * watermark up to `upTo`, oldest first, at most `READ_CAP + 1` of them): up to `upTo` when they
 * all fit, else up to the last one marked.
 */
export function planRead(upTo: string, unread: readonly string[]): { mark: string[]; readUpTo: string; more: boolean } {
  if (unread.length <= READ_CAP) return { mark: [...unread], readUpTo: upTo, more: false };
  const mark = unread.slice(0, READ_CAP);
  return { mark, readUpTo: mark[mark.length - 1]!, more: true };
}
