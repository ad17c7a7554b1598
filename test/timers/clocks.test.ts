/** The pure clock planner (lib/domain/timers/clocks.ts): which clocks each kind of change starts and stops. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dueAtOfSortKey, dueClockNaming, dueItemKey, minuteBucket } from '../../lib/adapters/dynamodb/keys.ts';
import { attributeChanges, timerAttributes, timerStateFromItem } from '../../lib/adapters/dynamodb/sessions.ts';
import type { Session } from '../../lib/contract/schemas.ts';
import { openSession } from '../../lib/domain/sessions/session.ts';
import { desiredClocks, type LinePolicies, planTimers, type TimerChange } from '../../lib/domain/timers/clocks.ts';
import { emptyTimerState, type TimerState } from '../../lib/domain/timers/state.ts';

const T0 = '2026-01-01T10:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();

const ALL: LinePolicies = {
  _sla: { firstResponse: 60, nextResponse: 30, resolution: 3600 },
  _autoClose: { afterInactive: 600, botAfterInactive: 120 },
  _returnToQueue: { afterNoReply: 90 },
};
const NONE: LinePolicies = { _sla: null, _autoClose: null, _returnToQueue: null };

let n = 0;
const nonce = dueClockNaming(() => `n${n++}`);

const waiting = (): Session =>
  openSession({
    line: '00000000-0000-4000-8000-000000000001',
    channel: '00000000-0000-4000-8000-000000000002',
    client: '00000000-0000-4000-8000-000000000003',
    state: 'Waiting',
    by: 'integration',
    now: T0,
  });
const withState = (s: Session, patch: Partial<Session>, seconds: number): Session => ({ ...s, ...patch, __updatedAt: at(seconds), _version: s._version + 1 });

/** Applies a sequence of changes; returns the state and every plan. */
function run(policies: LinePolicies, steps: { after: Session; change: TimerChange }[]) {
  let state: TimerState = emptyTimerState();
  let before: Session | null = null;
  const plans = [];
  for (const step of steps) {
    const plan = planTimers(policies, before, state, step.after, step.change, nonce);
    plans.push(plan);
    state = plan.state;
    before = step.after;
  }
  return { state, plans, running: Object.fromEntries(Object.entries(state.clocks).map(([p, k]) => [p, dueAtOfSortKey(k!)])) };
}

describe('clock planner', () => {
  it('a line without policies runs no clocks but keeps the context', () => {
    const s = waiting();
    const { state, plans } = run(NONE, [{ after: s, change: { kind: 'create', at: T0, clientMessage: true } }]);
    assert.deepEqual(state.clocks, {});
    assert.equal(plans[0]!.start.length, 0);
    assert.equal(state.waitingSince, T0);
    assert.equal(state.clientAt, T0);
  });

  it('creation by a client message starts first response and resolution (not next response)', () => {
    const s = waiting();
    const { running } = run(ALL, [{ after: s, change: { kind: 'create', at: T0, clientMessage: true } }]);
    assert.deepEqual(running, { firstResponse: at(60), resolution: at(3600) });
  });

  it('an operator taking the session starts return-to-queue and auto-close; a reply stops first response and return-to-queue', () => {
    const s = waiting();
    const taken = withState(s, { _state: 'AssignedToOperator', _userId: 'alice', _acceptedAt: at(10) }, 10);
    const r = run(ALL, [
      { after: s, change: { kind: 'create', at: T0, clientMessage: true } },
      { after: taken, change: { kind: 'command', at: at(10) } },
    ]);
    assert.deepEqual(r.running, { firstResponse: at(60), resolution: at(3600), autoClose: at(610), returnToQueue: at(100) });
    const replied = run(ALL, [
      { after: s, change: { kind: 'create', at: T0, clientMessage: true } },
      { after: taken, change: { kind: 'command', at: at(10) } },
      { after: taken, change: { kind: 'staffReply', at: at(20) } },
    ]);
    assert.deepEqual(replied.running, { resolution: at(3600), autoClose: at(610) });
    // The reply's write deletes exactly the two due items it stops.
    assert.equal(replied.plans[2]!.stop.length, 2);
    assert.equal(replied.plans[2]!.start.length, 0);
  });

  it('next response starts at the first unanswered client message after a reply, and not again for the next ones', () => {
    const s = withState(waiting(), { _state: 'AssignedToOperator', _userId: 'alice' }, 0);
    const steps = [
      { after: s, change: { kind: 'create', at: T0, clientMessage: true } as TimerChange },
      { after: s, change: { kind: 'staffReply', at: at(5) } as TimerChange },
      { after: s, change: { kind: 'clientMessage', at: at(100) } as TimerChange },
    ];
    const first = run(ALL, steps);
    assert.equal(first.running.nextResponse, at(130));
    const again = run(ALL, [...steps, { after: s, change: { kind: 'clientMessage', at: at(110) } }]);
    assert.equal(again.running.nextResponse, at(130), 'a second unanswered message keeps the due time');
    assert.equal(again.plans[3]!.start.filter((c) => c.policy === 'nextResponse').length, 0);
    // A reply ends the cycle; the next client message starts a new one.
    const cycle2 = run(ALL, [
      ...steps,
      { after: s, change: { kind: 'staffReply', at: at(120) } },
      { after: s, change: { kind: 'clientMessage', at: at(200) } },
    ]);
    assert.equal(cycle2.running.nextResponse, at(230));
  });

  it('auto-close restarts on every client message and uses botAfterInactive while the bot holds the session', () => {
    const bot = withState(waiting(), { _state: 'AssignedToBot', _botId: 'bot-1' }, 0);
    const r = run(ALL, [
      { after: bot, change: { kind: 'create', at: T0, clientMessage: true } },
      { after: bot, change: { kind: 'clientMessage', at: at(50) } },
    ]);
    assert.equal(r.running.autoClose, at(170));
    assert.equal(r.plans[1]!.stop.length, 1, 'the old auto-close due item is deleted');
    const op = withState(bot, { _state: 'AssignedToOperator', _botId: null, _userId: 'alice' }, 60);
    const handed = run(ALL, [
      { after: bot, change: { kind: 'create', at: T0, clientMessage: true } },
      { after: bot, change: { kind: 'clientMessage', at: at(50) } },
      { after: op, change: { kind: 'command', at: at(60) } },
    ]);
    assert.equal(handed.running.autoClose, at(660), 'from the moment the operator took it (later than the client message)');
  });

  it('a command that changes nothing about the clocks writes no due item', () => {
    const s = withState(waiting(), { _state: 'AssignedToOperator', _userId: 'alice' }, 0);
    const r = run(ALL, [
      { after: s, change: { kind: 'create', at: T0, clientMessage: true } },
      { after: { ...s, _priority: 'High', _version: 3 }, change: { kind: 'command', at: at(30) } },
    ]);
    assert.deepEqual(r.plans[1]!.start, []);
    assert.deepEqual(r.plans[1]!.stop, []);
  });

  it('close and spam stop every clock; unmarking starts them again', () => {
    const s = withState(waiting(), { _state: 'AssignedToOperator', _userId: 'alice' }, 0);
    const closed = withState(s, { _state: 'Closed', _closedAt: at(30) }, 30);
    const r = run(ALL, [
      { after: s, change: { kind: 'create', at: T0, clientMessage: true } },
      { after: closed, change: { kind: 'command', at: at(30) } },
    ]);
    assert.deepEqual(r.state.clocks, {});
    assert.equal(r.plans[1]!.stop.length, 4);
    const spam = withState(s, { _state: 'MarkedAsSpam' }, 30);
    const back = withState(s, { _state: 'Waiting', _userId: null }, 40);
    const u = run(ALL, [
      { after: s, change: { kind: 'create', at: T0, clientMessage: true } },
      { after: spam, change: { kind: 'command', at: at(30) } },
      { after: back, change: { kind: 'command', at: at(40) } },
    ]);
    assert.deepEqual(u.running, { firstResponse: at(60), resolution: at(3600) });
  });

  it('a fired SLA clock does not start again for the same cycle; an overdue clock is due at once', () => {
    const s = waiting();
    const created = run(ALL, [{ after: s, change: { kind: 'create', at: T0, clientMessage: true } }]);
    const fired = planTimers(ALL, s, created.state, s, { kind: 'fired', policy: 'firstResponse', at: at(61) }, nonce);
    assert.equal(fired.state.clocks.firstResponse, undefined);
    assert.equal(fired.state.fired.firstResponse, T0);
    assert.equal(fired.stop.length, 1);
    assert.equal(fired.start.length, 0);
    // Later changes do not restart it.
    const later = planTimers(ALL, s, fired.state, { ...s, _priority: 'Low' }, { kind: 'command', at: at(70) }, nonce);
    assert.equal(later.state.clocks.firstResponse, undefined);
    // A clock computed in the past (policy met late) is written due now, never in a past minute.
    const late = planTimers({ ...NONE, _sla: { firstResponse: 1 } }, null, emptyTimerState(), s, { kind: 'create', at: at(10), clientMessage: true }, nonce);
    assert.equal(late.start[0]!.dueAt, at(10));
  });

  it('return to queue counts from the later of taking and the first unanswered client message', () => {
    const s = waiting();
    const taken = withState(s, { _state: 'AssignedToOperator', _userId: 'alice' }, 10);
    const steps = [
      { after: s, change: { kind: 'create', at: T0, clientMessage: true } as TimerChange },
      { after: taken, change: { kind: 'command', at: at(10) } as TimerChange },
      { after: taken, change: { kind: 'staffReply', at: at(20) } as TimerChange },
    ];
    assert.equal(run(ALL, steps).running.returnToQueue, undefined, 'replied: nothing to answer');
    assert.equal(run(ALL, [...steps, { after: taken, change: { kind: 'clientMessage', at: at(40) } }]).running.returnToQueue, at(130));
    const other = withState(taken, { _userId: 'bob' }, 50);
    assert.equal(
      run(ALL, [...steps, { after: other, change: { kind: 'command', at: at(50) } }]).running.returnToQueue,
      at(140),
      'a new operator has afterNoReply from taking it',
    );
  });

  it('desired clocks: none for closed, spam or in-queue auto-close', () => {
    const s = waiting();
    assert.deepEqual(Object.keys(desiredClocks(ALL, s, emptyTimerState())).sort(), ['firstResponse', 'resolution']);
    assert.deepEqual(desiredClocks(ALL, { ...s, _state: 'Closed' }, emptyTimerState()), {});
    assert.deepEqual(desiredClocks(ALL, { ...s, _state: 'MarkedAsSpam' }, emptyTimerState()), {});
  });

  it('timer state round-trips through item attributes; changes are minimal', () => {
    const s = waiting();
    const { state } = run(ALL, [{ after: s, change: { kind: 'create', at: T0, clientMessage: true } }]);
    assert.deepEqual(timerStateFromItem(timerAttributes(state)), state);
    const changes = attributeChanges(state, { ...state, clientAt: at(5), clocks: { resolution: state.clocks.resolution! } });
    assert.deepEqual(changes.set, { tmClient: at(5) });
    assert.deepEqual(changes.remove, ['tmClock_firstResponse']);
  });

  it('a due item lives in the partition of its due minute', () => {
    const s = waiting();
    const { state } = run(ALL, [{ after: s, change: { kind: 'create', at: T0, clientMessage: true } }]);
    const key = dueItemKey(state.clocks.firstResponse!);
    assert.match(key.pk, new RegExp(`^DUE#${minuteBucket(at(60))}#[0-3]$`));
    assert.equal(key.sk, state.clocks.firstResponse);
  });
});
