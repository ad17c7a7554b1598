/**
 * The timer state of a session: what its clocks are computed from (first and last staff reply,
 * the first client message not yet answered, the client's last message, since when the current
 * holder has it) and which clocks run (the sort key of each running clock's due item).
 *
 * It lives on the session item as hidden attributes (`tm…`, like the outbox's `evOut`/`evSeq`):
 * not part of the Session object (the schema strips them on read), never in an API answer, and
 * written in the same transaction as the change that moves them. `readSession` (lib/adapters/dynamodb/items.ts)
 * hands each item it reads to {@link rememberTimerState}, so whoever read a session can ask
 * {@link timerStateOf} for its timer state without another read. Pure: no AWS imports.
 */

/** The clocks of issue 15: three SLA targets and two actions. */
export const TIMER_POLICIES = ['firstResponse', 'nextResponse', 'resolution', 'autoClose', 'returnToQueue'] as const;
export type TimerPolicy = (typeof TIMER_POLICIES)[number];
export const SLA_POLICIES = ['firstResponse', 'nextResponse', 'resolution'] as const satisfies readonly TimerPolicy[];
export type SlaPolicyName = (typeof SLA_POLICIES)[number];

export interface TimerState {
  /** The first operator or bot text reply (null: none yet). */
  firstReplyAt: string | null;
  /** The last operator or bot text reply. */
  lastReplyAt: string | null;
  /** The first client message that no staff reply has answered yet (null: nothing unanswered). */
  waitingSince: string | null;
  /** The client's last message. */
  clientAt: string | null;
  /** Since when the current holder (operator or bot) holds the session; null in the queue or closed. */
  heldSince: string | null;
  /** Running clocks: the sort key of each one's due item (lib/adapters/dynamodb/keys.ts pattern 28). */
  clocks: Partial<Record<TimerPolicy, string>>;
  /** The cycle (its start time) of the last firing of each clock: a cycle fires once. */
  fired: Partial<Record<TimerPolicy, string>>;
}

export const emptyTimerState = (): TimerState => ({
  firstReplyAt: null,
  lastReplyAt: null,
  waitingSince: null,
  clientAt: null,
  heldSince: null,
  clocks: {},
  fired: {},
});

const SCALARS = {
  firstReplyAt: 'tmFirstReply',
  lastReplyAt: 'tmLastReply',
  waitingSince: 'tmWaiting',
  clientAt: 'tmClient',
  heldSince: 'tmHeld',
} as const satisfies Partial<Record<keyof TimerState, string>>;
/** The session item attribute holding the due-item sort key of a running clock. */
export const clockAttribute = (policy: TimerPolicy) => `tmClock_${policy}`;
const firedAttribute = (policy: TimerPolicy) => `tmFired_${policy}`;

/** The timer state as session item attributes (absent = null). */
export function timerAttributes(state: TimerState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, attribute] of Object.entries(SCALARS)) {
    const value = state[field as keyof typeof SCALARS];
    if (value) out[attribute] = value;
  }
  for (const policy of TIMER_POLICIES) {
    const clock = state.clocks[policy];
    if (clock) out[clockAttribute(policy)] = clock;
    const fired = state.fired[policy];
    if (fired) out[firedAttribute(policy)] = fired;
  }
  return out;
}

/** The timer state stored on a session item (sessions written before timers have none: empty). */
export function timerStateFromItem(item: Record<string, unknown>): TimerState {
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : null);
  const state = emptyTimerState();
  for (const [field, attribute] of Object.entries(SCALARS)) state[field as keyof typeof SCALARS] = str(item[attribute]);
  for (const policy of TIMER_POLICIES) {
    const clock = str(item[clockAttribute(policy)]);
    if (clock) state.clocks[policy] = clock;
    const fired = str(item[firedAttribute(policy)]);
    if (fired) state.fired[policy] = fired;
  }
  return state;
}

/** What to SET and REMOVE on the session item to go from one timer state to another. */
export interface AttributeChanges {
  set: Record<string, unknown>;
  remove: string[];
}
export function attributeChanges(before: TimerState, after: TimerState): AttributeChanges {
  const a = timerAttributes(before);
  const b = timerAttributes(after);
  const set: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(b)) if (a[k] !== v) set[k] = v;
  const remove = Object.keys(a).filter((k) => !(k in b));
  return { set, remove };
}

const remembered = new WeakMap<object, TimerState>();
/** Called by `readSession` with the item it read: keeps the session's timer state beside the object. */
export function rememberTimerState(session: object, item: Record<string, unknown>): void {
  remembered.set(session, timerStateFromItem(item));
}
/** The timer state of a session object as it was read (empty for a session built in memory). */
export function timerStateOf(session: object | null | undefined): TimerState {
  return (session && remembered.get(session)) ?? emptyTimerState();
}
