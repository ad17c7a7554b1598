/**
 * Who may see and do what: the one place chatlines decides visibility and ownership.
 * Objects a caller may not see are reported as missing (404), so their existence does not
 * leak; actions on visible objects that the caller may not take are 403.
 */
import type { Channel, Line, Operator, Session } from '../model/schemas.ts';
import { ChatlinesError, forbidden, notFound } from '../errors.ts';
import { hasRole, type Caller } from './caller.ts';

const intersects = (a: readonly string[], b: readonly string[]) => a.some((x) => b.includes(x));

/** Supervisors of the line (by group). */
export const supervisesLine = (caller: Caller, line: Line) =>
  hasRole(caller, 'supervisor') && intersects(caller.groups, line._supervisorGroups);
/** Operators of the line (by group). */
export const operatesLine = (caller: Caller, line: Line) =>
  hasRole(caller, 'operator') && intersects(caller.groups, line._operatorGroups);
/** The line's connected bot. */
export const isLineBot = (caller: Caller, line: Line) => hasRole(caller, 'bot') && line._botId === caller.sub;

/** Admins see every line; supervisors, operators and the bot see their own lines. */
export function canSeeLine(caller: Caller, line: Line): boolean {
  return hasRole(caller, 'admin') || supervisesLine(caller, line) || operatesLine(caller, line) || isLineBot(caller, line);
}

/** A line, or 404 when the caller may not see it. */
export function visibleLine(caller: Caller, line: Line): Line {
  if (!canSeeLine(caller, line)) throw notFound('line', line.__id);
  return line;
}

/** Sessions are visible to whoever sees their line (the bot: sessions assigned to it). */
export function canSeeSession(caller: Caller, line: Line, session: Session): boolean {
  if (hasRole(caller, 'admin') || supervisesLine(caller, line) || operatesLine(caller, line)) return true;
  return isLineBot(caller, line) || (hasRole(caller, 'bot') && session._botId === caller.sub);
}

export function visibleSession(caller: Caller, line: Line, session: Session): Session {
  if (!canSeeSession(caller, line, session)) throw notFound('session', session.__id);
  return session;
}

/** Admins configure lines and channels. */
export function requireAdmin(caller: Caller): void {
  if (!hasRole(caller, 'admin')) throw forbidden('only an admin may configure lines and channels');
}

/** Integrations post inbound messages to the channels in their token; admins to any. */
export function requireInboundPoster(caller: Caller, channel: Channel): void {
  if (hasRole(caller, 'admin')) return;
  if (hasRole(caller, 'integration') && caller.channels.includes(channel.__id)) return;
  throw forbidden('only the channel\'s integration may post inbound messages to it');
}

/**
 * An operator acting on the line: must be an operator of the line and online
 * (offline operators can only read).
 */
export function requireOnlineOperator(caller: Caller, line: Line, operator: Operator | undefined): void {
  if (!operatesLine(caller, line)) throw forbidden('only an operator of this line may do this');
  if (operator?.status !== 'online') {
    throw new ChatlinesError('forbidden', 'offline operators can only read: set your status to online first');
  }
}
