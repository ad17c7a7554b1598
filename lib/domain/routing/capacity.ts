/**
 * Capacity rules: whom a session counts against, and how many sessions an operator may hold on a
 * line. Pure; the conditional writes that hold them are in lib/app/writes/capacity.ts.
 */
import type { Line, Operator, Session } from '../../contract/schemas.ts';

/** The operator a session counts against: only while it is AssignedToOperator (not queued, bot, spam or closed). */
export const holderOf = (session: Pick<Session, '_state' | '_userId'> | null | undefined): string | null =>
  session && session._state === 'AssignedToOperator' ? session._userId : null;

/** The operator's override, else the line's capacity; null = no limit. */
export const effectiveCapacity = (operator: Pick<Operator, 'capacity'> | undefined, line: Pick<Line, '_routing'>): number | null =>
  operator?.capacity ?? line._routing.capacity ?? null;

/** True when the operator cannot take one more session of this line. */
export function isFull(operator: Pick<Operator, 'capacity' | 'activeSessions'>, line: Pick<Line, '_routing'>): boolean {
  const cap = effectiveCapacity(operator, line);
  return cap !== null && operator.activeSessions >= cap;
}

export const fullDetail = (id: string, active: number, cap: number) =>
  `${id} is at capacity: it holds ${active} active session${active === 1 ? '' : 's'} of ${cap}; close or hand one over first`;
