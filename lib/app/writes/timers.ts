/**
 * The timer part of a write: given the line, the session before (as read) and after, and the
 * kind of change, the due items to put and delete and the session attributes to set and remove
 * — for the caller to add to its one transaction (`extra` items, `attributes` of the session
 * update). A line without timer policies still keeps the context (first/last reply, waiting
 * since, client's last message, held since), so that policies set later apply to open sessions.
 */
import { randomBytes } from 'node:crypto';
import { type TransactItem, tableName } from '../../adapters/dynamodb/db.ts';
import { dueClockNaming, dueItemKey } from '../../adapters/dynamodb/keys.ts';
import { type StoredSession, type TimersChange, timersOf } from '../../adapters/dynamodb/sessions.ts';
import type { Line, Message, Session } from '../../contract/schemas.ts';
import { type DueClock, planTimers, type TimerChange, type TimerPlan } from '../../domain/timers/clocks.ts';
import { emptyTimerState, type TimerState } from '../../domain/timers/state.ts';

export interface TimerWrites {
  /** Due items to put and delete, in the change's transaction. */
  items: TransactItem[];
  /** The session's timer state before and after, for the session repository to write with the change. */
  timers: TimersChange;
  plan: TimerPlan;
}

const randomNonce = () => randomBytes(4).toString('hex');

/** The due item of a running clock. Entity `timer`: the stream filter lets no event out of it. */
export function dueItem(clock: DueClock, session: Session): Record<string, unknown> {
  return {
    ...dueItemKey(clock.sortKey),
    entity: 'timer',
    session: session.__id,
    line: session._line,
    policy: clock.policy,
    dueAt: clock.dueAt,
  };
}

function planItems(plan: TimerPlan, session: Session): TransactItem[] {
  return [
    ...plan.stop.map((sortKey): TransactItem => ({ Delete: { TableName: tableName(), Key: dueItemKey(sortKey) } })),
    ...plan.start.map((clock): TransactItem => ({ Put: { TableName: tableName(), Item: dueItem(clock, session) } })),
  ];
}

/** The timer writes of a change. `before` is the session as read (its timer state comes with it, see `timersOf`). */
export function timerWrites(
  line: Line,
  before: StoredSession | null,
  after: Session,
  change: TimerChange,
  options: { state?: TimerState; nonce?: () => string } = {},
): TimerWrites {
  const stateBefore: TimerState = options.state ?? timersOf(before) ?? emptyTimerState();
  const plan = planTimers(line, before, stateBefore, after, change, dueClockNaming(options.nonce ?? randomNonce));
  return { items: planItems(plan, after), timers: { before: stateBefore, after: plan.state }, plan };
}

/**
 * The creation history entry with the line's SLA targets (`payload.sla`) and, with them, its
 * business hours (`payload.schedule`): the metrics measure `sla_met_share_*` against the targets
 * (in open time) a session was created under, whatever the line says later.
 */
export function withSlaTargets(created: Message, line: Pick<Line, '_sla' | '_schedule'>): Message {
  const sla = line._sla;
  if (!sla || !created.payload) return created;
  // With business hours the targets count open time: the metrics need the schedule too.
  return { ...created, payload: { ...created.payload, sla: { ...sla }, ...(line._schedule ? { schedule: line._schedule } : {}) } };
}
