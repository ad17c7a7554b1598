/**
 * `POST /v1/channels/{id}/messages/{messageId}/status`: the channel's integration reports what
 * became of a reply in the messenger. The message's `_deliveryStatus` (and `isRead` on `read`)
 * and a `message.status_changed` event (through the session's outbox) in one transaction.
 * Statuses only move forward (sent → delivered → read; failed from sent or delivered): a late
 * report of an earlier status changes nothing and makes no event.
 */

import { getItem, type Item, type TransactItem, tableName, transact, writeOnly } from '../../adapters/dynamodb/db.ts';
import { readMessage } from '../../adapters/dynamodb/items.ts';
import { messageRefKey, messageSortKey, sessionKey } from '../../adapters/dynamodb/keys.ts';
import { getChannelWith, getLineCached } from '../../adapters/dynamodb/lines.ts';
import { sessionUpdate } from '../../adapters/dynamodb/sessions.ts';
import { notFound } from '../../contract/errors.ts';
import type { OutboxEntry } from '../../contract/events.ts';
import type { Message } from '../../contract/schemas.ts';
import type { Caller } from '../../domain/auth/caller.ts';
import { mayPostInbound, requireInboundPoster } from '../../domain/auth/policy.ts';
import { nowIso } from '../../domain/ids.ts';

type Status = 'sent' | 'delivered' | 'read' | 'failed';
const RANK: Record<Status, number> = { sent: 1, delivered: 2, failed: 2, read: 3 };
/** The statuses a report of `status` may replace (forward only). */
const below = (status: Status) => (Object.keys(RANK) as Status[]).filter((s) => RANK[s] < RANK[status]);

/**
 * The ref item written with every reply that goes out (in the reply's transaction), so a status
 * report finds its session — and a copy of the reply as written. Only a status report changes a
 * reply afterwards (`_deliveryStatus`, and `isRead` with `read`, the last status), so the copy
 * plus the status a report sets is the message exactly, without reading it.
 */
export const messageRefItem = (message: Message, channel: string): TransactItem => ({
  Put: { TableName: tableName(), Item: { ...messageRefKey(message.__id), entity: 'ref', session: message.session, channel, message } },
});

/**
 * Round trips: the channel (cached per instance) and the ref in one BatchGetItem, then one
 * transaction that moves the status forward only (the condition says so; nothing is read to
 * decide). A late report (an earlier status than the message has) fails that condition and then
 * reads the message to answer with it: 3 round trips, for the report that changes nothing.
 */
export async function reportMessageStatus(
  caller: Caller,
  channelId: string,
  messageId: string,
  input: { status: Status; error?: string | undefined },
  extra: (message: Message) => TransactItem[],
): Promise<Message> {
  const {
    channel,
    items: [ref],
  } = await getChannelWith(channelId, [messageRefKey(messageId)]);
  requireInboundPoster(caller, channel, mayPostInbound(caller, channel) ? undefined : await getLineCached(channel._line));
  if (!ref || ref.channel !== channelId) throw notFound('message', messageId);
  const session = String(ref.session);
  const key = { pk: sessionKey(session).pk, sk: messageSortKey(messageId) };
  const current = async () => {
    const item = await getItem(key);
    if (!item) throw notFound('message', messageId);
    return readMessage(item);
  };
  const written = readMessage(ref.message as Item);
  const lower = below(input.status);
  const after: Message = { ...written, _deliveryStatus: input.status, isRead: written.isRead || input.status === 'read' };
  const entry: OutboxEntry = {
    t: 'message.status_changed',
    at: nowIso(),
    by: caller.sub,
    m: messageId,
    status: input.status,
    ...(input.error ? { error: input.error } : {}),
  };
  const lowerValues = Object.fromEntries(lower.map((s, i) => [`:l${i}`, s]));
  let late = false;
  try {
    await transact(
      [
        {
          Update: {
            TableName: tableName(),
            Key: key,
            UpdateExpression: 'SET #ds = :status, isRead = :read',
            // Only forward: no status yet, or one the reported status follows.
            ConditionExpression: `attribute_exists(pk) AND (attribute_not_exists(#ds) OR #ds = :null${lower.length ? ` OR #ds IN (${Object.keys(lowerValues).join(', ')})` : ''})`,
            ExpressionAttributeNames: { '#ds': '_deliveryStatus' },
            ExpressionAttributeValues: { ':status': input.status, ':read': after.isRead, ':null': null, ...lowerValues },
          },
        },
        sessionUpdate(session).outbox([entry]).condition('attribute_exists(pk)').item(),
        ...extra(after),
      ],
      'the message status was reported concurrently; report it again',
      (reasons) => {
        // The message refused: its status is already this one or a later one (or it is gone).
        if (reasons[0] === 'ConditionalCheckFailed') late = true;
        return undefined;
      },
    );
  } catch (error) {
    if (!late) throw error;
    // A late report changes nothing and makes no event; the request is still answered (and
    // its idempotency record written) with the message as it is.
    const message = await current();
    if (message._deliveryStatus && RANK[message._deliveryStatus as Status] >= RANK[input.status]) {
      await writeOnly(extra(message));
      return message;
    }
    throw error;
  }
  return after;
}
