/**
 * The timer state of a session: what its clocks are computed from (first and last staff reply,
 * the first client message not yet answered, the client's last message, since when the current
 * holder has it) and which clocks run (the sort key of each running clock's due item).
 *
 * It is data beside the session: the session repository (lib/adapters/dynamodb/sessions.ts) stores
 * it as hidden attributes of the session item and hands it back with the session it reads; the
 * timer rule (clocks.ts) computes the next state from it, and the change's transaction writes it.
 */

/** The clocks: three SLA targets and two actions. */
export const TIMER_POLICIES = ['firstResponse', 'nextResponse', 'resolution', 'autoClose', 'returnToQueue'] as const;
export type TimerPolicy = (typeof TIMER_POLICIES)[number];
export const SLA_POLICIES = ['firstResponse', 'nextResponse', 'resolution'] as const satisfies readonly TimerPolicy[];

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
  /** Running clocks: each one's name (its due item's key, see `ClockNaming` in clocks.ts). */
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
