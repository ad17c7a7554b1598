/**
 * Stream records → events. Pure: a record's images (plain objects, already unmarshalled) in,
 * event drafts out. A draft of a message event names the message it needs; the consumer reads
 * those (lib/app/events/consumer.ts) and completes the drafts with `complete()`.
 *
 * Only two item kinds make events: sessions (their outbox, see outbox.ts) and channels (a change
 * of `_state`). Everything else in the table is filtered out before it reaches the consumer
 * (see STREAM_FILTER).
 */

import { readChannel } from '../../adapters/dynamodb/items.ts';
import { readSession } from '../../adapters/dynamodb/sessions.ts';
import type { ChatlinesEvent } from '../../contract/events.ts';
import type { Channel, Client, Message, Session } from '../../contract/schemas.ts';
import { diffSession } from '../sessions/session.ts';
import { OUTBOX_ENTRIES, OUTBOX_SEQUENCE, type OutboxEntry } from './outbox.ts';

type Image = Record<string, unknown>;

/** One stream record, unmarshalled. */
export interface ChangeRecord {
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  oldImage?: Image | undefined;
  newImage?: Image | undefined;
}

/**
 * The item kinds whose records reach the consumer: the filter of the event source mapping, and of
 * the local poller. Operator records make no published event: they only trigger routing
 * (an operator coming online, lib/app/routing/sink.ts), which reads them from the raw records.
 */
export const EVENT_ENTITIES = ['session', 'channel', 'operator'] as const;
/** Lambda event-source filter criteria (one pattern), also evaluated by the local stream poller. */
export const STREAM_FILTER = { dynamodb: { NewImage: { entity: { S: [...EVENT_ENTITIES] } } } };

/** An event, possibly waiting for its message. */
export interface EventDraft {
  event: ChatlinesEvent;
  /** The message this event is about (session id + message id): read, then `complete()`. */
  message?: { session: string; id: string };
}

const who = (s: Session) => ({ operator: s._userId, group: s._userGroupId, bot: s._botId });

/** Who may see a message: client-visible (client's own and staff text replies) or staff-only (notes). */
export const messageVisibility = (m: Pick<Message, 'author' | 'type'>): 'client' | 'staff' =>
  m.author === 'client' || (m.type === 'text' && (m.author === 'operator' || m.author === 'bot')) ? 'client' : 'staff';

/** A message that goes out to the client's messenger (an operator's or the bot's text reply). */
export const isOutbound = (m: Pick<Message, 'author' | 'type'>) => m.type === 'text' && (m.author === 'operator' || m.author === 'bot');

function sessionEvents(record: ChangeRecord): EventDraft[] {
  const image = record.newImage;
  if (!image) return [];
  const newSeq = Number(image[OUTBOX_SEQUENCE] ?? 0);
  const oldSeq = Number(record.oldImage?.[OUTBOX_SEQUENCE] ?? 0);
  const entries = (image[OUTBOX_ENTRIES] ?? []) as OutboxEntry[];
  // A write that made no events (or a record seen out of its item's order) makes none.
  if (newSeq <= oldSeq || entries.length === 0) return [];
  const after = readSession(image);
  const before = record.oldImage ? readSession(record.oldImage) : null;
  const first = newSeq - entries.length + 1;
  return entries.map((entry, i): EventDraft => {
    const sequence = first + i;
    const data: Record<string, unknown> = { session: after, by: entry.by };
    if (entry.t.startsWith('session.')) data.changes = diffSession(entry.t === 'session.created' ? null : before, after);
    if (entry.t === 'session.assigned') {
      data.from = before ? who(before) : { operator: null, group: null, bot: null };
      data.to = who(after);
      data.silent = entry.silent ?? false;
    }
    if (entry.t === 'session.sla_breached') data.policy = entry.policy;
    if (entry.t === 'message.status_changed') {
      data.status = entry.status;
      if (entry.error) data.error = entry.error;
    }
    const event: ChatlinesEvent = {
      id: `${after.__id}.${sequence}`,
      type: entry.t,
      time: entry.at,
      line: after._line,
      channel: after._channel,
      session: after.__id,
      sequence,
      data,
    };
    return entry.m ? { event, message: { session: after.__id, id: entry.m } } : { event };
  });
}

function channelEvents(record: ChangeRecord): EventDraft[] {
  if (record.eventName !== 'MODIFY' || !record.newImage || !record.oldImage) return [];
  const after: Channel = readChannel(record.newImage);
  const before: Channel = readChannel(record.oldImage);
  if (before._state === after._state) return [];
  const type = after._state === 'disconnected' ? 'channel.disconnected' : after._state === 'active' ? 'channel.reconnected' : undefined;
  if (!type) return [];
  return [
    {
      event: {
        id: `${after.__id}.${after.__updatedAt}`,
        type,
        time: after.__updatedAt,
        line: after._line,
        channel: after.__id,
        session: null,
        data: { channel: after, by: after.__updatedBy, changes: [{ field: '_state', old: before._state, new: after._state }] },
      },
    },
  ];
}

/** The events one stream record makes (none for items that make none). */
export function eventsOfRecord(record: ChangeRecord): EventDraft[] {
  const entity = record.newImage?.entity;
  if (entity === 'session') return sessionEvents(record);
  if (entity === 'channel') return channelEvents(record);
  return [];
}

/**
 * Completes a message event with its message: `data.message`, `data.visibility`, and for a reply
 * that goes out to the messenger the client's account in `data.to`.
 */
export function complete(draft: EventDraft, message: Message | undefined, client: Client | undefined): ChatlinesEvent {
  if (!draft.message) return draft.event;
  const data: Record<string, unknown> = { ...draft.event.data };
  if (message) {
    data.message = message;
    data.visibility = messageVisibility(message);
    if (isOutbound(message) && client) data.to = client._username;
  }
  return { ...draft.event, data };
}

/** Is the event one the client side may see (integrations, the messenger)? */
export function isClientVisible(event: ChatlinesEvent): boolean {
  switch (event.type) {
    case 'message.created':
      return event.data.visibility === 'client';
    case 'message.status_changed':
    case 'session.created':
    case 'session.closed':
    case 'session.returned_to_queue':
      return true;
    case 'session.assigned':
      return event.data.silent !== true;
    default:
      return false;
  }
}
