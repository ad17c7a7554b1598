/**
 * `POST /v1/channels/{id}/messages/{messageId}/status`: the channel's integration reports what
 * became of a reply in the messenger. The message's `_deliveryStatus` (and `isRead` on `read`)
 * and a `message.status_changed` event (through the session's outbox) in one transaction.
 * Statuses only move forward (sent → delivered → read; failed from sent or delivered): a late
 * report of an earlier status changes nothing and makes no event.
 */
import type { Caller } from '../auth/caller.ts';
import { mayPostInbound, requireInboundPoster } from '../auth/policy.ts';
import { notFound } from '../errors.ts';
import type { OutboxEntry } from '../events/outbox.ts';
import { OUTBOX_ENTRIES, OUTBOX_SEQUENCE } from '../events/outbox.ts';
import { nowIso } from '../ids.ts';
import type { Message } from '../model/schemas.ts';
import { getItem, type TransactItem, tableName, transact } from '../store/db.ts';
import { readMessage } from '../store/items.ts';
import { messageRefKey, messageSortKey, sessionKey } from '../store/keys.ts';
import { getChannel, getLineCached, writeOnly } from '../store/repository.ts';

type Status = 'sent' | 'delivered' | 'read' | 'failed';
const RANK: Record<Status, number> = { sent: 1, delivered: 2, failed: 2, read: 3 };

/** The ref item written with every reply that goes out, so a status report finds its session. */
export const messageRefItem = (message: Message, channel: string): TransactItem => ({
  Put: { TableName: tableName(), Item: { ...messageRefKey(message.__id), entity: 'ref', session: message.session, channel } },
});

export async function reportMessageStatus(
  caller: Caller,
  channelId: string,
  messageId: string,
  input: { status: Status; error?: string | undefined },
  extra: (message: Message) => TransactItem[],
): Promise<Message> {
  const channel = await getChannel(channelId);
  requireInboundPoster(caller, channel, mayPostInbound(caller, channel) ? undefined : await getLineCached(channel._line));
  const ref = await getItem(messageRefKey(messageId));
  if (!ref || ref.channel !== channelId) throw notFound('message', messageId);
  const session = String(ref.session);
  const key = { pk: sessionKey(session).pk, sk: messageSortKey(messageId) };
  const item = await getItem(key);
  if (!item) throw notFound('message', messageId);
  const message = readMessage(item);
  const current = message._deliveryStatus;
  if (current && RANK[current] >= RANK[input.status]) {
    await writeOnly(extra(message));
    return message;
  }
  const after: Message = { ...message, _deliveryStatus: input.status, isRead: message.isRead || input.status === 'read' };
  const entry: OutboxEntry = {
    t: 'message.status_changed',
    at: nowIso(),
    by: caller.sub,
    m: messageId,
    status: input.status,
    ...(input.error ? { error: input.error } : {}),
  };
  await transact(
    [
      {
        Update: {
          TableName: tableName(),
          Key: key,
          UpdateExpression: 'SET #ds = :status, isRead = :read',
          // Only forward: the status read above must still be the current one.
          ConditionExpression: current ? '#ds = :current' : 'attribute_not_exists(#ds) OR #ds = :null',
          ExpressionAttributeNames: { '#ds': '_deliveryStatus' },
          ExpressionAttributeValues: { ':status': input.status, ':read': after.isRead, ...(current ? { ':current': current } : { ':null': null }) },
        },
      },
      {
        Update: {
          TableName: tableName(),
          Key: sessionKey(session),
          UpdateExpression: 'SET #out = :out ADD #seq :one',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#out': OUTBOX_ENTRIES, '#seq': OUTBOX_SEQUENCE },
          ExpressionAttributeValues: { ':out': [entry], ':one': 1 },
        },
      },
      ...extra(after),
    ],
    'the message status was reported concurrently; report it again',
  );
  return after;
}
