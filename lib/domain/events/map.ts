/**
 * Stream records → events. Pure: a record's items read into objects (the session before and
 * after with its write's outbox entries, or a channel) in, event drafts out. A draft of a message
 * event names the message it needs; the consumer reads those (lib/app/events/consumer.ts) and
 * completes the drafts with `complete()`.
 *
 * Only two item kinds make events: sessions (their outbox, see outbox.ts) and channels (a change
 * of `_state`).
 */

import type { ChannelChange, ErasureChange, ItemChange, SessionChange } from '../../contract/changes.ts';
import type { ChatlinesEvent } from '../../contract/events.ts';
import type { Client, Message, Session } from '../../contract/schemas.ts';
import { diffSession } from '../sessions/session.ts';

/** An event, possibly waiting for its message. */
export interface EventDraft {
  event: ChatlinesEvent;
  /** The message this event is about (session id + message id): read, then `complete()`. */
  message?: { session: string; id: string };
}

const who = (s: Session) => ({ operator: s._userId, group: s._userGroupId, bot: s._botId });

/**
 * A message that goes out to the client's messenger: an operator's or the bot's text or file
 * reply, or the line's automatic reply (`author: 'system'`, `type: 'text'`: the offline reply,
 * the rating request). History entries (`payload`) and staff notes (`system`) never do.
 */
export const isOutbound = (m: Pick<Message, 'author' | 'type'>) =>
  ((m.type === 'text' || m.type === 'file') && (m.author === 'operator' || m.author === 'bot')) || (m.type === 'text' && m.author === 'system');

/** Who may see a message: client-visible (the client's own, replies out) or staff-only (notes, history). */
export const messageVisibility = (m: Pick<Message, 'author' | 'type'>): 'client' | 'staff' => (m.author === 'client' || isOutbound(m) ? 'client' : 'staff');

function sessionEvents(change: SessionChange): EventDraft[] {
  const { entries, before, after } = change;
  // A write that made no events (or a record seen out of its item's order) makes none.
  if (change.sequence <= change.previousSequence || entries.length === 0) return [];
  const first = change.sequence - entries.length + 1;
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
    if (entry.t === 'message.read') {
      data.reader = entry.reader;
      data.upTo = entry.upTo;
      data.messages = entry.ids ?? [];
    }
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

function channelEvents(change: ChannelChange): EventDraft[] {
  const { before, after } = change;
  if (change.eventName !== 'MODIFY' || !before) return [];
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

/**
 * `client.erased`, once: when an erasure becomes `done`. Its id is the client's, so a replayed
 * record makes the same event. It names only ids and counts: nothing personal is left to name.
 */
function erasureEvents(change: ErasureChange): EventDraft[] {
  if (change.after !== 'done' || change.before === 'done') return [];
  return [
    {
      event: {
        id: `${change.client}.erased`,
        type: 'client.erased',
        time: change.at,
        line: change.line,
        channel: change.channel,
        session: null,
        data: { client: change.client, by: change.by, sessions: change.sessions, messages: change.messages },
      },
    },
  ];
}

/** The events one stream record makes (none for items that make none: `undefined`). */
export function eventsOfChange(change: ItemChange | undefined): EventDraft[] {
  if (change?.entity === 'session') return sessionEvents(change);
  if (change?.entity === 'channel') return channelEvents(change);
  if (change?.entity === 'erasure') return erasureEvents(change);
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
    case 'message.read':
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
