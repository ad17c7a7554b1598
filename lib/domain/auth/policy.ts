/**
 * Who may see and do what: the one place chatlines decides visibility and ownership.
 * Objects a caller may not see are reported as missing (404), so their existence does not
 * leak; actions on visible objects that the caller may not take are 403.
 */

import { type Caller, hasRole } from '../../contract/caller.ts';
import type { SessionCommand } from '../../contract/enums.ts';
import { ChatlinesError, forbidden, notFound } from '../../contract/errors.ts';
import type { Channel, Line, Operator, Session } from '../../contract/schemas.ts';

/** Do two lists share a member? (groups of a caller vs a line) */
export const intersects = (a: readonly string[], b: readonly string[]) => a.some((x) => b.includes(x));

/** Supervisors of the line (by group). */
export const supervisesLine = (caller: Caller, line: Line) => hasRole(caller, 'supervisor') && intersects(caller.groups, line._supervisorGroups);
/** Operators of the line (by group). */
export const operatesLine = (caller: Caller, line: Line) => hasRole(caller, 'operator') && intersects(caller.groups, line._operatorGroups);
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
export const mayPostInbound = (caller: Caller, channel: Channel) =>
  hasRole(caller, 'admin') || (hasRole(caller, 'integration') && caller.channels.includes(channel.__id));

/**
 * Refuses an inbound message the caller may not post: 403 to whoever sees the channel's line
 * (its staff), 404 to everyone else (other lines' staff, integrations of other channels), so
 * that a channel's existence does not leak. `line` is needed only on refusal (read then).
 */
export function requireInboundPoster(caller: Caller, channel: Channel, line: Line | undefined): void {
  if (mayPostInbound(caller, channel)) return;
  if (!line || !canSeeLine(caller, line)) throw notFound('channel', channel.__id);
  throw forbidden("only the channel's integration may post inbound messages to it");
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

// ------------------------------------------------------------- session commands

/** What the caller is to one session: the basis of every session-command decision. */
export type SessionActor =
  | { kind: 'admin' }
  | { kind: 'supervisor' }
  /** An operator of the line; `holds`: the session names this operator in `_userId`. */
  | { kind: 'operator'; online: boolean; holds: boolean }
  /** The line's bot; `holds`: the session names this bot in `_botId`. */
  | { kind: 'bot'; holds: boolean }
  | { kind: 'none' };

/**
 * Classifies the caller for a session. An admin wins over every other role, a supervisor of
 * the line over an operator of it. `operator` is the caller's operator record (presence).
 */
export function sessionActor(caller: Caller, line: Line, session: Session, operator: Operator | undefined): SessionActor {
  if (hasRole(caller, 'admin')) return { kind: 'admin' };
  if (supervisesLine(caller, line)) return { kind: 'supervisor' };
  if (operatesLine(caller, line)) {
    return { kind: 'operator', online: operator?.status === 'online', holds: session._userId === caller.sub };
  }
  if (isLineBot(caller, line)) return { kind: 'bot', holds: session._botId === caller.sub };
  return { kind: 'none' };
}

/** Session commands: the transitions table's own list (reply and notes included). */
export type SessionCommandName = SessionCommand;

/** Commands only the current assignee (operator or bot) may run: the seed's close rule, and replies to the client. */
const ASSIGNEE_ONLY: readonly SessionCommandName[] = ['close', 'reply'];
/** What the line's bot may do with a session it holds. */
const BOT_COMMANDS: readonly SessionCommandName[] = ['close', 'reply', 'sendSystemMessage', 'assignToOperator', 'assignToOperatorGroup'];

/**
 * May the caller run `command` on this session? Throws 403 with the reason. Runs after the
 * transitions table, so the state is already known to allow the command.
 *
 * - admins and supervisors of the line: every command except `close` and `reply`, which only
 *   the current assignee may run (the seed: "anyone else is refused");
 * - operators of the line: nothing while offline (they can only read); otherwise every command
 *   on a session they hold, and taking a queued session (`assignToOperator` to themselves,
 *   see `takeRefusal`);
 * - the line's bot: close, reply, notes and handing over to an operator or group, on sessions
 *   assigned to it.
 */
export function authorizeSessionCommand(
  actor: SessionActor,
  command: SessionCommandName,
  session: Session,
  take: { caller: string; target?: string | undefined; groups: readonly string[] },
): void {
  const assignee = session._state === 'AssignedToBot' ? 'bot' : 'operator';
  if (actor.kind === 'admin' || actor.kind === 'supervisor') {
    if (ASSIGNEE_ONLY.includes(command)) {
      throw forbidden(`only the ${assignee} currently assigned to the session may ${command === 'close' ? 'close it' : 'reply to the client'}`);
    }
    return;
  }
  if (actor.kind === 'operator') {
    if (!actor.online) throw forbidden('offline operators can only read: set your status to online first');
    if (actor.holds) return;
    if (command === 'assignToOperator' && take.target === take.caller) {
      takeRefusal(session, take.groups);
      return;
    }
    throw forbidden(
      ASSIGNEE_ONLY.includes(command)
        ? `only the ${assignee} currently assigned to the session may ${command === 'close' ? 'close it' : 'reply to the client'}`
        : 'operators may act only on sessions assigned to them (take a queued session by assigning it to yourself)',
    );
  }
  if (actor.kind === 'bot') {
    if (actor.holds && session._state === 'AssignedToBot' && BOT_COMMANDS.includes(command)) return;
    throw forbidden(actor.holds ? `the bot may not ${command}` : 'the bot may act only on sessions assigned to it');
  }
  throw forbidden('you may not act on this session');
}

/**
 * An operator taking a session it does not hold. A queued session may be taken (from a
 * group's queue only by a member of that group). One that another operator holds is a 409,
 * not a 403: it is the loser's answer in the race for a queued session.
 */
function takeRefusal(session: Session, groups: readonly string[]): void {
  if (session._state === 'AssignedToOperator') {
    throw new ChatlinesError('conflict', `the session was already taken by ${session._userId ?? 'another operator'}`);
  }
  if (session._state !== 'Waiting') throw forbidden('only queued sessions can be taken; the bot holds this one');
  if (session._userGroupId && !groups.includes(session._userGroupId)) {
    throw forbidden(`the session waits in the queue of group ${session._userGroupId}, which you are not a member of`);
  }
}

/** Channels are disconnected and reconnected by admins and the line's supervisors. */
export function requireChannelManager(caller: Caller, line: Line): void {
  if (hasRole(caller, 'admin') || supervisesLine(caller, line)) return;
  throw forbidden('only an admin or a supervisor of the line may disconnect or reconnect its channels');
}

/**
 * Client changes: the account link by admins, supervisors and online operators of the line;
 * the block status by admins and supervisors only.
 */
export function authorizeClientUpdate(caller: Caller, line: Line, operator: Operator | undefined, fields: { blockedStatus: boolean }): void {
  if (hasRole(caller, 'admin') || supervisesLine(caller, line)) return;
  if (fields.blockedStatus) throw forbidden('only an admin or a supervisor of the line may block or allow a client');
  if (operatesLine(caller, line)) {
    if (operator?.status !== 'online') throw forbidden('offline operators can only read: set your status to online first');
    return;
  }
  throw forbidden('you may not change this client');
}

// ------------------------------------------------------------------------ metrics

/** A metrics series: the whole line, or one group, channel or operator of it. */
export interface MetricsDimension {
  kind: 'line' | 'group' | 'channel' | 'operator';
  value: string;
}

/**
 * Which metric series of a line the caller may read. Admins: every series of every line;
 * supervisors of the line: every series of it; operators of the line: only their own
 * (`operator=<self>`, the default for them). Anyone else does not see the line (404), or
 * sees it without metrics (the bot: 403).
 */
export function metricsDimension(caller: Caller, line: Line, requested: MetricsDimension | undefined): MetricsDimension {
  visibleLine(caller, line);
  if (hasRole(caller, 'admin') || supervisesLine(caller, line)) return requested ?? { kind: 'line', value: 'all' };
  if (operatesLine(caller, line)) {
    const own = { kind: 'operator' as const, value: caller.sub };
    if (!requested || (requested.kind === 'operator' && requested.value === caller.sub)) return own;
    throw forbidden('operators may read only their own figures (operator=<your id>)');
  }
  throw forbidden('only admins, supervisors and operators of the line may read its metrics');
}

// ------------------------------------------------------------------------ search

/** Roles that may search: everyone who works on lines. Integrations only post inbound messages. */
export function requireSearcher(caller: Caller): void {
  if (!hasRole(caller, 'admin', 'supervisor', 'operator', 'bot')) {
    throw forbidden('searching needs one of the roles: admin, supervisor, operator, bot (integrations only post inbound messages)');
  }
}

/** Admins search every line without a visibility check; everyone else within `canSeeLine`. */
export const searchesEveryLine = (caller: Caller) => hasRole(caller, 'admin');

/**
 * Whether a search may return an object of a line: lines, channels and clients whoever sees
 * the line; sessions also by `canSeeSession`. Objects of lines the caller may not see are never
 * found, so a search leaks nothing a fetch would hide.
 */
export function canFindOnLine(caller: Caller, line: Line | undefined, session?: Session): boolean {
  if (searchesEveryLine(caller)) return true;
  if (!line || !canSeeLine(caller, line)) return false;
  return session ? canSeeSession(caller, line, session) : true;
}

// ------------------------------------------------------------- webhooks and events

/**
 * Who may subscribe: an admin (to one line or every line), or a supervisor to a line it
 * supervises. Others: 403 (404 for a line they cannot see).
 */
export function requireWebhookManager(caller: Caller, line: Line | undefined): void {
  if (hasRole(caller, 'admin')) return;
  if (!hasRole(caller, 'supervisor')) throw forbidden('only an admin or a supervisor may manage webhooks');
  if (!line) throw forbidden('a supervisor subscribes to one of its lines: give `line`');
  if (!supervisesLine(caller, line)) {
    if (canSeeLine(caller, line)) throw forbidden('only a supervisor of this line may subscribe to it');
    throw notFound('line', line.__id);
  }
}

/** A subscription is visible to admins, and to the supervisors of its line. */
export function canSeeWebhook(caller: Caller, line: Line | undefined): boolean {
  if (hasRole(caller, 'admin')) return true;
  return line !== undefined && supervisesLine(caller, line);
}

// ------------------------------------------------------------------- live push

/** What the live visibility rule reads of an event (lib/contract/events.ts's shape; pure, no zod). */
export interface LiveEvent {
  readonly type: string;
  readonly line: string;
  readonly channel: string;
  readonly session: string | null;
  readonly data: Record<string, unknown>;
}

interface SessionImage {
  _state?: string;
  _userId?: string | null;
  _userGroupId?: string | null;
  _botId?: string | null;
}
type Who = { operator?: string | null; group?: string | null; bot?: string | null };
type Change = { field: string; old: unknown; new: unknown };

/** The session's state and group before the event (from `data.changes`), and after it. */
function queueStates(event: LiveEvent, after: SessionImage): { state: unknown; group: unknown }[] {
  const changes = Array.isArray(event.data.changes) ? (event.data.changes as Change[]) : [];
  const old = (field: keyof SessionImage) => {
    const c = changes.find((x) => x.field === field);
    return c ? c.old : after[field];
  };
  const states: { state: unknown; group: unknown }[] = [{ state: after._state, group: after._userGroupId ?? null }];
  if (event.type !== 'session.created') states.push({ state: old('_state'), group: old('_userGroupId') ?? null });
  return states;
}

/**
 * May this caller receive this event on the live socket? The one rule both hosts apply to every
 * event and every socket (AWS fan-out, the local WebSocket server, `resume`). `line` is the
 * event's line; an event of another line is never visible to anyone but an admin.
 *
 * - admin: every event of every line;
 * - supervisor of the line: every event of it;
 * - operator of the line: channel events of the line; every event of a session it holds
 *   (`data.session._userId`), or held until this event (`data.from.operator`, so it learns it
 *   lost the session); and *queue events*: events of a session that is, or was until this
 *   event, `Waiting` in a queue it may take from (no group, or one of its groups) — creation,
 *   messages while queued, return to the queue, and the taking that removes it from the queue;
 * - bot (role `bot`): events of sessions it holds (`AssignedToBot` with `_botId` = its `sub`)
 *   or held until this event;
 * - integration: events of sessions on the channels of its token that `isClientVisible`
 *   (passed in, so this module stays free of lib/events);
 * - anyone else, or an event of another line: nothing.
 *
 * Roles add up: a caller with several gets what any of them gives.
 */
export function mayReceiveEvent(caller: Caller, line: Line, event: LiveEvent, isClientVisible: (event: LiveEvent) => boolean): boolean {
  if (hasRole(caller, 'admin')) return true;
  if (event.line !== line.__id) return false;
  if (supervisesLine(caller, line)) return true;
  const session = (event.session !== null ? event.data.session : undefined) as SessionImage | undefined;
  const from = (event.data.from ?? {}) as Who;
  if (operatesLine(caller, line)) {
    if (event.session === null) return true;
    if (session) {
      if (session._userId === caller.sub || from.operator === caller.sub) return true;
      const takes = (s: { state: unknown; group: unknown }) => s.state === 'Waiting' && (s.group === null || caller.groups.includes(String(s.group)));
      if (queueStates(event, session).some(takes)) return true;
    }
  }
  if (hasRole(caller, 'bot') && session) {
    if ((session._state === 'AssignedToBot' && session._botId === caller.sub) || from.bot === caller.sub) return true;
  }
  if (hasRole(caller, 'integration') && event.session !== null && caller.channels.includes(event.channel)) {
    return isClientVisible(event);
  }
  return false;
}

// ------------------------------------------------------------- support operations

/**
 * A line's response templates: whoever sees the line reads them (its operators use them); its
 * supervisors and admins write them. Others: 404 (they do not see the line).
 */
export function requireTemplateWriter(caller: Caller, line: Line): void {
  visibleLine(caller, line);
  if (hasRole(caller, 'admin') || supervisesLine(caller, line)) return;
  throw forbidden('only an admin or a supervisor of the line may change its response templates');
}

/** A client's data on request (export, erasure): admins only. */
export function requireClientDataAdmin(caller: Caller): void {
  if (!hasRole(caller, 'admin')) throw forbidden("only an admin may export or erase a client's personal data");
}
/**
 * Does the caller hold this session — the operator of the line it is assigned to, or the
 * line's bot while it holds it? Who may tell the client it is typing, and mark the client's
 * messages read.
 */
export const holdsSession = (caller: Caller, line: Line, session: Session): boolean =>
  session._line === line.__id &&
  ((operatesLine(caller, line) && session._state === 'AssignedToOperator' && session._userId === caller.sub) ||
    (isLineBot(caller, line) && session._state === 'AssignedToBot' && session._botId === caller.sub));
