/**
 * Which clocks a change starts and stops: one pure function from (line policies, session
 * before, its timer state, session after, the kind of change) to the timer state after and
 * the due items to write and delete — in the same transaction as the change itself.
 *
 * Rules (docs/timers.md):
 * - firstResponse: creation → the first operator or bot text reply.
 * - nextResponse: after the first reply, a client message that nobody has answered yet → the
 *   next reply. Measured from the FIRST unanswered message: a client who writes again does not
 *   give staff more time. A reply ends the cycle; the next client message starts a new one.
 * - resolution: creation → close.
 * - autoClose: while an operator (`afterInactive`) or the bot (`botAfterInactive`) holds the
 *   session, from the client's last message or the moment the holder took it, whichever is later.
 * - returnToQueue: while an operator holds it, from taking it (or from the client's first message
 *   unanswered since the operator's last reply, when later) → the operator's next reply.
 * - Every clock runs only while the session is open (Waiting, AssignedToBot, AssignedToOperator):
 *   close and spam stop them all; unmarking starts them again (an overdue one fires at the next
 *   sweep, unless that cycle fired already).
 * - A clock whose cycle fired (`fired`) is not started again for the same cycle: once per
 *   policy and cycle.
 * - Business hours (`_schedule`): the SLA clocks count open time only (their due time is the
 *   cycle start plus that much open time, lib/domain/schedule); autoClose and returnToQueue
 *   keep wall time (the client's silence and the operator's neglect are real time). A schedule
 *   that does not open within its horizon leaves the SLA on wall time.
 */

import type { Line, Session } from '../../contract/schemas.ts';
import { addOpenTime } from '../schedule/schedule.ts';
import { SLA_POLICIES, TIMER_POLICIES, type TimerPolicy, type TimerState } from './state.ts';

export type LinePolicies = Pick<Line, '_sla' | '_autoClose' | '_returnToQueue'> & Partial<Pick<Line, '_schedule'>>;

/** What happened to the session in the write the clocks are planned for. */
export type TimerChange =
  /** The session was opened; `clientMessage`: by a client's message (inbound). */
  | { kind: 'create'; at: string; clientMessage: boolean }
  /** A client's message was appended. */
  | { kind: 'clientMessage'; at: string }
  /** An operator's or the bot's text reply was appended (notes are not replies). */
  | { kind: 'staffReply'; at: string }
  /** A session command (assign, close, spam, unspam, priority, save). */
  | { kind: 'command'; at: string }
  /** A clock fired (its effect, if any, is in `after`). */
  | { kind: 'fired'; policy: TimerPolicy; at: string };

export interface DueClock {
  policy: TimerPolicy;
  /** When it falls due (never before the change that wrote it: an overdue clock is due at once). */
  dueAt: string;
  /** Its due item's sort key: the clock's identity, kept on the session item while it runs. */
  sortKey: string;
}

/**
 * How running clocks are named. A clock's name is its due item's key, which the store encodes
 * (lib/adapters/dynamodb/keys.ts); each start gets a new name (so a restarted clock is a
 * different clock: the old one can no longer fire), and a name gives back its due time.
 */
export interface ClockNaming {
  name(dueAt: string, sessionId: string, policy: TimerPolicy): string;
  dueAtOf(name: string): string;
}

export interface TimerPlan {
  state: TimerState;
  /** Due items to write. */
  start: DueClock[];
  /** Sort keys of due items to delete. */
  stop: string[];
}

const OPEN_STATES = new Set<string>(['Waiting', 'AssignedToBot', 'AssignedToOperator']);
const HELD_STATES = new Set<string>(['AssignedToBot', 'AssignedToOperator']);

const plus = (iso: string, seconds: number) => new Date(Date.parse(iso) + seconds * 1000).toISOString();
const later = (a: string, b: string) => (a > b ? a : b);

/** Who holds the session: changes of this restart `heldSince`. */
const holder = (s: Session | null) => (s && HELD_STATES.has(s._state) ? `${s._state}|${s._userId ?? ''}|${s._botId ?? ''}` : null);

/** The timer context after a change (clocks and fired cycles carried over unchanged). */
export function nextContext(before: TimerState, sessionBefore: Session | null, after: Session, change: TimerChange): TimerState {
  const s: TimerState = { ...before, clocks: { ...before.clocks }, fired: { ...before.fired } };
  switch (change.kind) {
    case 'create':
      s.firstReplyAt = null;
      s.lastReplyAt = null;
      s.waitingSince = change.clientMessage ? change.at : null;
      s.clientAt = change.clientMessage ? change.at : null;
      s.heldSince = HELD_STATES.has(after._state) ? change.at : null;
      s.clocks = {};
      s.fired = {};
      return s;
    case 'clientMessage':
      s.clientAt = change.at;
      s.waitingSince ??= change.at;
      return s;
    case 'staffReply':
      s.firstReplyAt ??= change.at;
      s.lastReplyAt = change.at;
      s.waitingSince = null;
      return s;
    case 'command':
    case 'fired':
      if (holder(sessionBefore) !== holder(after)) s.heldSince = HELD_STATES.has(after._state) ? change.at : null;
      return s;
  }
}

/** The clocks that should run for a session in this state: policy → cycle start and due time. */
export function desiredClocks(policies: LinePolicies, session: Session, state: TimerState): Partial<Record<TimerPolicy, { cycle: string; dueAt: string }>> {
  const out: Partial<Record<TimerPolicy, { cycle: string; dueAt: string }>> = {};
  if (!OPEN_STATES.has(session._state)) return out;
  const created = session.__createdAt;
  const sla = policies._sla;
  const schedule = policies._schedule;
  const put = (policy: TimerPolicy, cycle: string, seconds: number | undefined) => {
    if (seconds === undefined || state.fired[policy] === cycle) return;
    const open = schedule && (SLA_POLICIES as readonly string[]).includes(policy) ? addOpenTime(schedule, Date.parse(cycle), seconds) : null;
    out[policy] = { cycle, dueAt: open === null ? plus(cycle, seconds) : new Date(open).toISOString() };
  };
  if (state.firstReplyAt === null) put('firstResponse', created, sla?.firstResponse);
  put('resolution', created, sla?.resolution);
  if (state.firstReplyAt !== null && state.waitingSince !== null) put('nextResponse', state.waitingSince, sla?.nextResponse);

  const held = state.heldSince ?? session._acceptedAt ?? created;
  const inactivity =
    session._state === 'AssignedToBot'
      ? policies._autoClose?.botAfterInactive
      : session._state === 'AssignedToOperator'
        ? policies._autoClose?.afterInactive
        : undefined;
  if (inactivity !== undefined) put('autoClose', later(state.clientAt ?? created, held), inactivity);

  if (session._state === 'AssignedToOperator') {
    const repliedSinceTaken = state.lastReplyAt !== null && state.lastReplyAt >= held;
    if (!repliedSinceTaken || state.waitingSince !== null) {
      put('returnToQueue', state.waitingSince ? later(held, state.waitingSince) : held, policies._returnToQueue?.afterNoReply);
    }
  }
  return out;
}

/**
 * The clocks a change starts and stops; `naming` names each clock started (see {@link ClockNaming}).
 */
export function planTimers(
  policies: LinePolicies,
  sessionBefore: Session | null,
  stateBefore: TimerState,
  after: Session,
  change: TimerChange,
  naming: ClockNaming,
): TimerPlan {
  const state = nextContext(stateBefore, sessionBefore, after, change);
  if (change.kind === 'fired') {
    const running = state.clocks[change.policy];
    // The cycle that fired: the one this clock was started for (recomputed from the state before).
    const cycle = desiredClocks(policies, sessionBefore ?? after, stateBefore)[change.policy]?.cycle;
    if (running && cycle) state.fired[change.policy] = cycle;
  }
  const want = desiredClocks(policies, after, state);
  const start: DueClock[] = [];
  const stop: string[] = [];
  for (const policy of TIMER_POLICIES) {
    const running = state.clocks[policy];
    const desired = want[policy];
    if (change.kind === 'fired' && policy === change.policy && running) {
      // The clock that fired is spent whatever comes next.
      stop.push(running);
      delete state.clocks[policy];
      if (desired && state.fired[policy] !== desired.cycle) start.push(startClock(policy, desired.dueAt, after, change.at, naming, state));
      continue;
    }
    if (running && desired) {
      const runningDue = naming.dueAtOf(running);
      // Same due time, or both already due: keep the running clock (no write).
      if (runningDue === desired.dueAt || (runningDue <= change.at && desired.dueAt <= change.at)) continue;
    }
    if (running) {
      stop.push(running);
      delete state.clocks[policy];
    }
    if (desired) start.push(startClock(policy, desired.dueAt, after, change.at, naming, state));
  }
  return { state, start, stop };
}

function startClock(policy: TimerPolicy, dueAt: string, session: Session, at: string, naming: ClockNaming, state: TimerState): DueClock {
  const due = later(dueAt, at);
  const sortKey = naming.name(due, session.__id, policy);
  state.clocks[policy] = sortKey;
  return { policy, dueAt: due, sortKey };
}
