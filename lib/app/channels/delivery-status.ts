/**
 * `POST /v1/channels/{id}/messages/{messageId}/status`: the channel's integration reports what
 * became of a reply in the messenger. The message's `_deliveryStatus` (and `isRead` on `read`)
 * and a `message.status_changed` event (through the session's outbox) in one transaction.
 * Which report moves a reply on, changes nothing or is refused: lib/domain/channels/delivery-status.ts
 * (sent → delivered → read; failed only before delivery, and final). A report that changes
 * nothing is answered 200 with the message as it is and makes no event; a refused one is a 409.
 */

import { conditionFailedAt, getItem, type Item, type TransactItem, tableName, transact, writeOnly } from '../../adapters/dynamodb/db.ts';
import { readMessage } from '../../adapters/dynamodb/items.ts';
import { messageRefKey, messageSortKey, sessionKey } from '../../adapters/dynamodb/keys.ts';
import { getChannelWith, getLineCached } from '../../adapters/dynamodb/lines.ts';
import { sessionUpdate } from '../../adapters/dynamodb/sessions.ts';
import type { Caller } from '../../contract/caller.ts';
import { conflict, notFound } from '../../contract/errors.ts';
import type { OutboxEntry } from '../../contract/events.ts';
import type { Message } from '../../contract/schemas.ts';
import { mayPostInbound, requireInboundPoster } from '../../domain/auth/policy.ts';
import { type DeliveryStatus, decideStatusReport, replaceableBy } from '../../domain/channels/delivery-status.ts';
import { nowIso } from '../../domain/ids.ts';

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
 * transaction that applies the report only over a status it may replace (the condition says
 * so; nothing is read to decide). A report that fails that condition then reads the message to
 * decide between "unchanged" (200, the message as it is) and "refused" (409): 3 round trips.
 */
export async function reportMessageStatus(
  caller: Caller,
  channelId: string,
  messageId: string,
  input: { status: DeliveryStatus; error?: string | undefined },
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
  const replaceable = replaceableBy(input.status);
  const after: Message = { ...written, _deliveryStatus: input.status, isRead: written.isRead || input.status === 'read' };
  const entry: OutboxEntry = {
    t: 'message.status_changed',
    at: nowIso(),
    by: caller.sub,
    m: messageId,
    status: input.status,
    ...(input.error ? { error: input.error } : {}),
  };
  const replaceableValues = Object.fromEntries(replaceable.map((s, i) => [`:l${i}`, s]));
  let notReplaceable = false;
  try {
    await transact(
      [
        {
          Update: {
            TableName: tableName(),
            Key: key,
            UpdateExpression: 'SET #ds = :status, isRead = :read',
            // No status yet, or one the reported status may replace.
            ConditionExpression: `attribute_exists(pk) AND (attribute_not_exists(#ds) OR #ds = :null${replaceable.length ? ` OR #ds IN (${Object.keys(replaceableValues).join(', ')})` : ''})`,
            ExpressionAttributeNames: { '#ds': '_deliveryStatus' },
            ExpressionAttributeValues: { ':status': input.status, ':read': after.isRead, ':null': null, ...replaceableValues },
          },
        },
        sessionUpdate(session).outbox([entry]).condition('attribute_exists(pk)').item(),
        ...extra(after),
      ],
      'the message status was reported concurrently; report it again',
      (reasons) => {
        // The message refused: its status is one this report may not replace (or it is gone).
        if (conditionFailedAt(reasons, 0)) notReplaceable = true;
        return undefined;
      },
    );
  } catch (error) {
    if (!notReplaceable) throw error;
    const message = await current();
    const decision = decideStatusReport((message._deliveryStatus ?? null) as DeliveryStatus | null, input.status);
    if (decision.kind === 'refused') throw conflict(decision.reason);
    // Moved on by another report meanwhile, so that this one now would apply: let it be sent again.
    if (decision.kind === 'set') throw error;
    // Known already: nothing changes and no event is made; the request is still answered (and
    // its idempotency record written) with the message as it is.
    await writeOnly(extra(message));
    return message;
  }
  return after;
}
