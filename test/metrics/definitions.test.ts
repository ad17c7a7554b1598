/** The metric definitions (docs/metrics.md) on hand-computed histories. Pure: no table. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message } from '../../lib/contract/schemas.ts';
import { contributionCells, type PeriodMetric, periodOf, periodsBetween, type Sample, sessionFigures } from '../../lib/domain/metrics/definitions.ts';

const SESSION = '00000000-0000-4000-8000-000000000001';
const CLIENT = '00000000-0000-4000-8000-0000000000c1';
let seq = 0;
const T0 = Date.parse('2025-03-31T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

function base(minutes: number): Omit<Message, 'type' | 'author' | 'payload' | '_deliveryStatus'> & { _deliveryStatus: null } {
  seq += 1;
  return {
    __id: `${String(T0 + minutes * 60_000).padStart(13, '0')}-${String(seq).padStart(4, '0')}-x`,
    __createdAt: at(minutes),
    session: SESSION,
    body: 'b',
    client: null,
    operator: null,
    externalId: null,
    _deliveryStatus: null,
    files: [],
    attachments: [],
    isRead: false,
  };
}
const client = (m: number): Message => ({ ...base(m), type: 'text', author: 'client', client: CLIENT, payload: null });
const op = (m: number, who: string): Message => ({ ...base(m), type: 'text', author: 'operator', operator: who, payload: null });
const bot = (m: number): Message => ({ ...base(m), type: 'text', author: 'bot', operator: 'bot-1', payload: null });
const note = (m: number, who: string): Message => ({ ...base(m), type: 'system', author: 'operator', operator: who, payload: null });
/** A history message: field → [old, new]. */
function hist(m: number, command: string, changes: Record<string, [unknown, unknown]>, created = false): Message {
  return {
    ...base(m),
    type: 'payload',
    author: 'system',
    operator: 'someone',
    payload: {
      kind: created ? 'SessionCreated' : '_userId' in changes || '_botId' in changes || '_userGroupId' in changes ? 'SessionReassigned' : 'SessionChanged',
      command,
      by: 'someone',
      at: at(m),
      changes: Object.entries(changes).map(([field, [o, n]]) => ({ field, old: o, new: n })),
    },
  };
}
const created = (m: number) => hist(m, 'create', { _state: [null, 'Waiting'] }, true);
const take = (m: number, who: string, from: string | null = null, state = 'Waiting') =>
  hist(m, 'assignToOperator', { _state: [state, 'AssignedToOperator'], _userId: [from, who] });
const close = (m: number) => hist(m, 'close', { _state: ['AssignedToOperator', 'Closed'] });

const of = (samples: Sample[], metric: PeriodMetric) => samples.filter((s) => s.metric === metric);
const values = (samples: Sample[], metric: PeriodMetric) => of(samples, metric).map((s) => s.value);
const MIN = 60_000;

describe('metric definitions, one session at a time', () => {
  it('an operator session: queue wait, first response, response and waiting time, duration, processed', () => {
    const f = sessionFigures([
      created(0),
      client(0),
      take(2, 'alice'),
      op(3, 'alice'),
      client(5),
      client(6), // a second message while waiting does not restart the wait
      note(7, 'alice'), // a staff-only note is no reply
      op(10, 'alice'),
      op(11, 'alice'), // a reply with no client message waiting: no response sample
      close(20),
    ]);
    assert.equal(f.spam, false);
    assert.deepEqual(values(f.samples, 'queueWait'), [2 * MIN]);
    assert.deepEqual(values(f.samples, 'firstResponseTime'), [1 * MIN]);
    assert.deepEqual(values(f.samples, 'responseTime'), [3 * MIN, 5 * MIN]);
    assert.deepEqual(values(f.samples, 'waitingTime'), [3 * MIN, 5 * MIN]);
    assert.deepEqual(values(f.samples, 'botAnswerShare'), [0, 0, 0]);
    assert.deepEqual(values(f.samples, 'sessionDuration'), [20 * MIN]);
    assert.deepEqual(values(f.samples, 'processedSessions'), [1]);
    assert.equal(of(f.samples, 'sessionDuration')[0]!.at, at(20), 'bucketed at the close');
    assert.equal(of(f.samples, 'responseTime')[1]!.at, at(10), 'bucketed at the reply');
    assert.equal(of(f.samples, 'queueWait')[0]!.operator, 'alice');
    assert.equal(f.live, null);
  });

  it('bot replies: count in the share, answer the client (no operator response), and the queue wait ends at the bot', () => {
    const f = sessionFigures([
      created(0),
      client(0),
      hist(1, 'assignToBot', { _state: ['Waiting', 'AssignedToBot'], _botId: [null, 'bot-1'] }),
      bot(2),
      client(3),
      hist(4, 'assignToOperator', { _state: ['AssignedToBot', 'AssignedToOperator'], _botId: ['bot-1', null], _userId: [null, 'bob'] }),
      op(6, 'bob'),
      close(7),
    ]);
    assert.deepEqual(values(f.samples, 'queueWait'), [1 * MIN]);
    assert.equal(of(f.samples, 'queueWait')[0]!.operator, null);
    assert.deepEqual(values(f.samples, 'responseTime'), [3 * MIN], 'from the client message after the bot reply');
    assert.deepEqual(values(f.samples, 'firstResponseTime'), [2 * MIN], 'from being taken (minute 4), not from creation');
    assert.deepEqual(values(f.samples, 'botAnswerShare').sort(), [0, 1]);
    assert.deepEqual(values(f.samples, 'processedSessions'), [1]);
    assert.equal(of(f.samples, 'processedSessions')[0]!.operator, 'bob');
  });

  it('a bot-only session is not processed but has a duration', () => {
    const f = sessionFigures([
      created(0),
      client(0),
      hist(1, 'assignToBot', { _state: ['Waiting', 'AssignedToBot'], _botId: [null, 'bot-1'] }),
      bot(2),
      hist(3, 'close', { _state: ['AssignedToBot', 'Closed'] }),
    ]);
    assert.deepEqual(values(f.samples, 'processedSessions'), []);
    assert.deepEqual(values(f.samples, 'sessionDuration'), [3 * MIN]);
    assert.deepEqual(values(f.samples, 'firstResponseTime'), []);
    assert.deepEqual(values(f.samples, 'responseTime'), []);
  });

  it('reassignment: first response counts once (the first taker), later replies belong to whoever wrote them', () => {
    const f = sessionFigures([
      created(0),
      client(0),
      take(1, 'alice'),
      client(2),
      hist(4, 'assignToOperator', { _userId: ['alice', 'carol'] }),
      op(5, 'carol'),
      client(6),
      op(9, 'carol'),
      close(10),
    ]);
    assert.deepEqual(values(f.samples, 'firstResponseTime'), [4 * MIN], "from alice taking it at minute 1 to carol's first reply");
    assert.deepEqual(values(f.samples, 'responseTime'), [5 * MIN, 3 * MIN]);
    assert.deepEqual(
      of(f.samples, 'responseTime').map((s) => s.operator),
      ['carol', 'carol'],
    );
    assert.equal(of(f.samples, 'processedSessions')[0]!.operator, 'carol', 'the last operator');
  });

  it('returned to the queue: the queue wait is the first stay only', () => {
    const f = sessionFigures([
      created(0),
      take(3, 'alice'),
      hist(4, 'assignToOperatorGroup', { _state: ['AssignedToOperator', 'Waiting'], _userId: ['alice', null], _userGroupId: [null, 'support'] }),
      take(9, 'bob'),
    ]);
    assert.deepEqual(values(f.samples, 'queueWait'), [3 * MIN]);
    assert.deepEqual(f.live, { state: 'AssignedToOperator', operator: 'bob', group: 'support' });
  });

  it('spam leaves nothing; unmarking restores everything, the spam time included', () => {
    const history = [created(0), client(0), take(1, 'alice'), hist(2, 'markAsSpam', { _state: ['AssignedToOperator', 'MarkedAsSpam'] })];
    const spam = sessionFigures(history);
    assert.equal(spam.spam, true);
    assert.deepEqual(spam.samples, []);
    assert.equal(spam.live, null);
    const unmarked = sessionFigures([...history, hist(5, 'unmarkAsSpam', { _state: ['MarkedAsSpam', 'AssignedToOperator'] }), op(6, 'alice')]);
    assert.equal(unmarked.spam, false);
    assert.deepEqual(values(unmarked.samples, 'firstResponseTime'), [5 * MIN]);
    assert.deepEqual(values(unmarked.samples, 'responseTime'), [6 * MIN]);
    assert.deepEqual(unmarked.live, { state: 'AssignedToOperator', operator: 'alice', group: null });
    const blocked = sessionFigures([hist(0, 'create', { _state: [null, 'MarkedAsSpam'] }, true), client(0)]);
    assert.equal(blocked.spam, true);
  });

  it('an operator-created session is taken at creation and never queued', () => {
    const f = sessionFigures([
      hist(0, 'create', { _state: [null, 'AssignedToOperator'], _userId: [null, 'alice'] }, true),
      op(2, 'alice'),
      client(3),
      op(4, 'alice'),
    ]);
    assert.deepEqual(values(f.samples, 'queueWait'), []);
    assert.deepEqual(values(f.samples, 'firstResponseTime'), [2 * MIN]);
    assert.deepEqual(values(f.samples, 'responseTime'), [1 * MIN]);
  });
});

describe('periods and cells', () => {
  it('buckets by UTC day, ISO week (Monday) and month', () => {
    assert.equal(periodOf('day', '2025-03-30T23:59:59.999Z'), '2025-03-30');
    assert.equal(periodOf('week', '2025-03-30T23:59:59.999Z'), '2025-03-24');
    assert.equal(periodOf('week', '2025-03-31T00:00:00.000Z'), '2025-03-31');
    assert.equal(periodOf('week', '2025-04-06T12:00:00.000Z'), '2025-03-31');
    assert.equal(periodOf('month', '2025-04-01T00:00:00.000Z'), '2025-04');
    assert.deepEqual(periodsBetween('day', '2025-03-30', '2025-04-01'), ['2025-03-30', '2025-03-31', '2025-04-01']);
    assert.deepEqual(periodsBetween('week', '2025-03-30', '2025-04-08'), ['2025-03-24', '2025-03-31', '2025-04-07']);
    assert.deepEqual(periodsBetween('month', '2025-01-31', '2025-03-01'), ['2025-01', '2025-02', '2025-03']);
  });

  it("adds sums and counts per cell; waiting time is the session's longest wait per cell, counted once", () => {
    const f = sessionFigures([
      created(0),
      client(0),
      take(1, 'alice'),
      op(3, 'alice'), // wait 3 min, 2025-03-31
      client(5),
      op(10, 'alice'), // wait 5 min, same day
      client(24 * 60),
      op(24 * 60 + 1, 'alice'), // wait 1 min, next day
      close(24 * 60 + 2),
    ]);
    const cells = contributionCells({ line: 'L', channel: 'C' }, f);
    const day1 = cells['L|line:all|day#2025-03-31']!;
    assert.equal(day1.waitingTime_sum, 5 * MIN);
    assert.equal(day1.waitingTime_count, 1);
    assert.equal(day1.responseTime_sum, 8 * MIN);
    assert.equal(day1.responseTime_count, 2);
    const day2 = cells['L|operator:alice|day#2025-04-01']!;
    assert.equal(day2.waitingTime_sum, 1 * MIN);
    assert.equal(day2.processedSessions_count, 1);
    const week = cells['L|channel:C|week#2025-03-31']!;
    assert.equal(week.waitingTime_sum, 5 * MIN, 'the longest over the week');
    assert.equal(week.responseTime_count, 3);
    assert.equal(cells['L|line:all|month#2025-04']!.sessionDuration_sum, (24 * 60 + 2) * MIN);
    assert.equal(cells['L|line:all|month#2025-03']!.sessionDuration_sum, undefined);
    assert.equal(
      Object.keys(cells).some((k) => k.includes('group:')),
      false,
      'no group, no group cells',
    );
  });

  it('an open session has a live cell per dimension', () => {
    const cells = contributionCells({ line: 'L', channel: 'C' }, sessionFigures([created(0), client(0)]));
    assert.deepEqual(cells['L|line:all|live#now'], { live_Waiting: 1 });
    assert.deepEqual(cells['L|channel:C|live#now'], { live_Waiting: 1 });
  });
});
