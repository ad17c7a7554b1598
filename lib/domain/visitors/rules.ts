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
import type { Channel, FileRef, Message } from '../../contract/schemas.ts';

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
}

/** Only what the client may read, in order; staff notes and history are left out. */
export function clientVisible(messages: readonly Message[]): VisitorMessage[] {
  return messages
    .filter((m) => (m.type === 'text' || m.type === 'file') && (m.author !== 'system' || m.type === 'text'))
    .map((m) => ({
      id: m.__id,
      at: m.__createdAt,
      from: m.author === 'client' ? 'visitor' : (m.author as 'operator' | 'bot' | 'system'),
      body: m.body,
      files: m.attachments,
    }));
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
