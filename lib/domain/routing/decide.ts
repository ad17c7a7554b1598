/**
 * Routing decisions, pure. The runner (runner.ts) reads, calls these, and tries the
 * conditional assignment; a loser picks again.
 */

import type { Line, Operator, Session } from '../../contract/schemas.ts';
import { intersects } from '../auth/policy.ts';
import { effectiveCapacity } from './capacity.ts';

/** The groups whose operators may take the session: its group when it has one, else the line's. */
export const eligibleGroups = (session: Pick<Session, '_userGroupId'>, line: Line): string[] =>
  session._userGroupId ? [session._userGroupId] : line._operatorGroups;

/** May this operator take this session of this line (online, member of the right group)? */
export function mayTake(operator: Operator, session: Pick<Session, '_userGroupId'>, line: Line): boolean {
  return operator.status === 'online' && intersects(operator.groups, eligibleGroups(session, line));
}

/** Free slots of an operator on a line (Infinity without a limit). */
export function room(operator: Operator, line: Line): number {
  const cap = effectiveCapacity(operator, line);
  return cap === null ? Infinity : Math.max(0, cap - operator.activeSessions);
}

/**
 * The operators that may take a session, best first: fewest active sessions, then idle longest
 * (oldest `idleSince`; never-idle-stamped first), then id for a stable order. Full ones are left out.
 */
export function rankOperators(
  operators: readonly Operator[],
  session: Pick<Session, '_userGroupId'>,
  line: Line,
  exclude: ReadonlySet<string> = new Set(),
): Operator[] {
  return operators
    .filter((o) => !exclude.has(o.__id) && mayTake(o, session, line) && room(o, line) > 0)
    .sort((a, b) => a.activeSessions - b.activeSessions || (a.idleSince ?? '').localeCompare(b.idleSince ?? '') || a.__id.localeCompare(b.__id));
}

/** The session an operator with room should get next: the first in queue order it may take. */
export function nextSessionFor(operator: Operator, queue: readonly Session[], line: Line, exclude: ReadonlySet<string> = new Set()): Session | undefined {
  return queue.find((s) => !exclude.has(s.__id) && s._line === line.__id && mayTake(operator, s, line));
}
