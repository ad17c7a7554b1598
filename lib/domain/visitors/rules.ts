/**
 * What a visitor may do and see. Pure: no AWS imports.
 *
 * - A visitor writes as the client `account` on one `livechat` channel: its messages are the
 *   same inbound messages an integration posts, by a caller scoped to that one channel.
 * - A visitor sees the client-visible messages of its own newest session only: its own
 *   messages, the operators' and bot's text/file replies and the line's automatic text replies
 *   — never staff notes (`system`) nor history entries (`payload`).
 * - Queue position: the one of lib/domain/routing/queue.ts, the same the staff route answers.
 */
import { randomUUID } from 'node:crypto';
import type { Caller } from '../../contract/caller.ts';
import type { ChatlinesEvent } from '../../contract/events.ts';
import type { Channel, FileRef, Message, Session } from '../../contract/schemas.ts';
import { isClientVisible } from '../events/map.ts';

export const isLivechat = (channel: Channel) => channel._type === 'livechat';

/** A new visitor's account: random, never chosen by the visitor (so it cannot name another client). */
export const newVisitorAccount = () => `visitor-${randomUUID()}`;

/** The caller a visitor's inbound message is posted as: an integration of exactly that channel. */
export function visitorCaller(channelId: string, account: string): Caller {
  return { sub: `visitor:${account}`.slice(0, 128), roles: ['integration'], groups: [], channels: [channelId] };
}

export interface VisitorMessage {
  id: string;
  at: string;
  /** `visitor`: the visitor's own; `operator` / `bot`: a reply; `system`: the line's automatic reply (offline, rating request). */
  from: 'visitor' | 'operator' | 'bot' | 'system';
  body: string;
  files: FileRef[];
  /** Read by the other side: a staff reply by the visitor, the visitor's message by an operator. */
  read: boolean;
}

/** Is this message one the client may read (its own, and staff text/file replies; never notes nor history)? */
export const isClientMessage = (m: Pick<Message, 'type' | 'author'>) => m.type === 'text' || (m.type === 'file' && m.author !== 'system');

/** Only what the client may read, in order; staff notes and history are left out. */
export function clientVisible(messages: readonly Message[]): VisitorMessage[] {
  return messages.filter(isClientMessage).map((m) => ({
    id: m.__id,
    at: m.__createdAt,
    from: m.author === 'client' ? 'visitor' : (m.author as 'operator' | 'bot' | 'system'),
    body: m.body,
    files: m.attachments ?? [],
    read: m.isRead === true,
  }));
}

/** A visitor never learns that its session was marked as spam: to it the conversation ended. */
export const visitorState = (state: Session['_state']) => (state === 'MarkedAsSpam' ? 'Closed' : state);

/**
 * What a visitor's live socket follows: the client of its token (resolved when the socket
 * opens; `null` while the visitor has not written yet, and then it receives nothing until it
 * reconnects) on its one channel.
 */
export interface VisitorScope {
  readonly channel: string;
  readonly account: string;
  readonly client: string | null;
}

/** Is this session the visitor's own (its client, its channel)? */
export const isVisitorsSession = (scope: VisitorScope, session: Pick<Session, '_channel' | '_clients'> | undefined) =>
  !!session && scope.client !== null && session._channel === scope.channel && session._clients.includes(scope.client);

/**
 * May a visitor's socket receive this event? Only its own sessions' events, and of those only
 * the client-visible ones (`isClientVisible`, the rule integrations get too: its messages, text
 * replies, non-silent assignments, close, return to the queue) and read receipts.
 */
export function visitorMayReceive(scope: VisitorScope, event: ChatlinesEvent): boolean {
  if (event.session === null || event.channel !== scope.channel) return false;
  if (!isVisitorsSession(scope, event.data.session as Session | undefined)) return false;
  return event.type === 'message.read' || (event.type !== 'message.status_changed' && isClientVisible(event));
}

/** An event as a visitor's socket receives it: no line, no session image, no history, no staff ids. */
export interface VisitorEvent {
  id: string;
  type: ChatlinesEvent['type'];
  time: string;
  channel: string;
  session: string;
  sequence?: number | undefined;
  data: {
    /** The session's state as the visitor sees it (spam reads as `Closed`). */
    state: string;
    /** `message.created`: the message as the visitor routes show it. */
    message?: VisitorMessage | undefined;
    /** `message.read`: whose messages were read (`visitor`: the visitor's, by an operator; `operator`: the replies, by the visitor), up to which one. */
    read?: { of: 'visitor' | 'operator'; upTo: string; messages: string[] } | undefined;
  };
}

/** The visitor's view of an event it may receive (`visitorMayReceive`). */
export function visitorEvent(event: ChatlinesEvent): VisitorEvent {
  const session = event.data.session as Session;
  const data: VisitorEvent['data'] = { state: visitorState(session._state) };
  const message = event.data.message as Message | undefined;
  if (event.type === 'message.created' && message && isClientMessage(message)) data.message = clientVisible([message])[0];
  if (event.type === 'message.read') {
    const reader = event.data.reader as 'operator' | 'client';
    data.read = { of: reader === 'operator' ? 'visitor' : 'operator', upTo: String(event.data.upTo), messages: (event.data.messages ?? []) as string[] };
  }
  return { id: event.id, type: event.type, time: event.time, channel: event.channel, session: session.__id, sequence: event.sequence, data };
}

/**
 * Expected wait: the line's mean queue wait over the last days (from the metrics rollups),
 * less what this session has waited already; undefined without history to go on.
 */
export function expectedWaitSeconds(meanQueueWaitMs: number | undefined, waitingSince: string, now = Date.now()): number | undefined {
  if (meanQueueWaitMs === undefined) return undefined;
  const waited = Math.max(0, now - Date.parse(waitingSince));
  return Math.max(0, Math.round((meanQueueWaitMs - waited) / 1000));
}
