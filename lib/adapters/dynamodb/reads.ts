/**
 * Read receipts' storage: per session and reader a watermark on the session item
 * (`readUpTo_operator`, `readUpTo_client`: the newest message id read), and the unread
 * messages of one side between the watermark and a message id (one Query of the session's
 * partition by sort key range, filtered by author, type and `isRead`).
 */
import type { Message } from '../../contract/schemas.ts';
import { getItem, type Item, queryPages } from './db.ts';
import { messageSortKey, sessionKey } from './keys.ts';

export const watermarkAttribute = (reader: 'operator' | 'client') => `readUpTo_${reader}`;

/** The session item (raw, with its watermarks) and the message `upTo` of it, read together. */
export async function readTarget(sessionId: string, messageId: string): Promise<{ session: Item | undefined; message: Item | undefined }> {
  const [session, message] = await Promise.all([getItem(sessionKey(sessionId)), getItem({ pk: sessionKey(sessionId).pk, sk: messageSortKey(messageId) })]);
  return { session, message };
}

/**
 * The ids of the unread messages by these authors and of these types after `after` (exclusive;
 * null: from the start) up to `upTo` (inclusive), oldest first, at most `max`.
 */
export async function unreadBetween(
  sessionId: string,
  after: string | null,
  upTo: string,
  authors: readonly Message['author'][],
  types: readonly Message['type'][],
  max: number,
): Promise<string[]> {
  const values: Record<string, unknown> = {
    ':pk': sessionKey(sessionId).pk,
    ':from': messageSortKey(after ?? ''),
    ':to': messageSortKey(upTo),
    ':read': true,
  };
  for (const [i, a] of authors.entries()) values[`:a${i}`] = a;
  for (const [i, t] of types.entries()) values[`:t${i}`] = t;
  const out: string[] = [];
  const pages = queryPages({
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    FilterExpression: `isRead <> :read AND author IN (${authors.map((_, i) => `:a${i}`).join(', ')}) AND #type IN (${types.map((_, i) => `:t${i}`).join(', ')})`,
    ExpressionAttributeNames: { '#type': 'type' },
    ExpressionAttributeValues: values,
    ConsistentRead: true,
  });
  for await (const page of pages) {
    for (const item of page.items) {
      const id = String(item.__id);
      if (id !== after && out.length < max) out.push(id);
    }
    if (out.length >= max) break;
  }
  return out;
}
