/**
 * The queue, pure: the order routing serves waiting sessions in, and a session's place in it.
 * Routing, the staff route (`GET /v1/sessions/{id}/queue`) and the visitor route
 * (`GET /v1/visitors/queue`) all read these, so they cannot disagree.
 */

import type { LineSessionPriority } from '../../contract/enums.ts';
import type { Session } from '../../contract/schemas.ts';

/** Priorities in queue order: High first, then Medium, Low, and sessions without one last. */
export const PRIORITY_RANK: Readonly<Record<LineSessionPriority, number>> = { High: 0, Medium: 1, Low: 2 };
const NO_PRIORITY_RANK = 3;

/** A priority's place in queue order (0 = served first). */
export const priorityRank = (priority: LineSessionPriority | null | undefined): number =>
  priority ? (PRIORITY_RANK[priority] ?? NO_PRIORITY_RANK) : NO_PRIORITY_RANK;

/** Code-unit order: ISO timestamps and ids sort as they read, whatever the locale. */
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

type Queued = Pick<Session, '__id' | '__createdAt' | '_priority'>;

/** Queue order: priority, then age, then id (a total order). */
export function queueOrder(a: Queued, b: Queued): number {
  return priorityRank(a._priority) - priorityRank(b._priority) || compare(a.__createdAt, b.__createdAt) || compare(a.__id, b.__id);
}

/**
 * Whether two sessions wait in the same queue: a line has one queue per operator group (the
 * sessions handed to that group) and one for the sessions without a group.
 */
export const sameQueue = (a: Pick<Session, '_userGroupId'>, b: Pick<Session, '_userGroupId'>) => (a._userGroupId ?? null) === (b._userGroupId ?? null);

export interface QueuePlace {
  /** 1 = next to be taken. */
  position: number;
  ahead: number;
}

/**
 * A Waiting session's place among the waiting sessions of its line that wait in the same queue,
 * in queue order; undefined when it is not waiting. `session` is taken as it is now: a copy of it
 * in `waiting` (read from an eventually consistent index) is ignored.
 */
export function queuePosition(session: Session, waiting: readonly Session[]): QueuePlace | undefined {
  if (session._state !== 'Waiting') return undefined;
  const ahead = waiting.filter(
    (s) => s.__id !== session.__id && s._state === 'Waiting' && s._line === session._line && sameQueue(s, session) && queueOrder(s, session) < 0,
  ).length;
  return { position: ahead + 1, ahead };
}
