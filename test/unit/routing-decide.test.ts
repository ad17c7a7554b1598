/** Routing's pure parts: picking, queue order, capacity items, triggers, the wait estimate. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { estimateWait } from '../../lib/app/routing/queue.ts';
import { routingWork } from '../../lib/app/routing/sink.ts';
import { capacityChange, takeSlots } from '../../lib/app/writes/capacity.ts';
import type { ChatlinesEvent } from '../../lib/contract/events.ts';
import type { Line, Operator, Session } from '../../lib/contract/schemas.ts';
import { effectiveCapacity, holderOf } from '../../lib/domain/routing/capacity.ts';
import { nextSessionFor, rankOperators } from '../../lib/domain/routing/decide.ts';
import { queueOrder } from '../../lib/domain/routing/queue.ts';

process.env.TABLE_NAME ??= 'unit';
const NOW = '2026-12-01T10:00:00.000Z';
const line: Line = {
  __id: '00000000-0000-4000-8000-000000000001',
  __name: 'L',
  __createdAt: NOW,
  __createdBy: 'a',
  __updatedAt: NOW,
  __updatedBy: 'a',
  __deletedAt: null,
  _operatorGroups: ['g1', 'g2'],
  _supervisorGroups: [],
  _botId: null,
  _accountApp: null,
  _sessionApps: [],
  _routing: { mode: 'auto', capacity: 3, botFirst: false },
};
const op = (id: string, active: number, idleSince: string | null, extra: Partial<Operator> = {}): Operator => ({
  __id: id,
  status: 'online',
  groups: ['g1'],
  __updatedAt: NOW,
  capacity: null,
  activeSessions: active,
  idleSince,
  ...extra,
});
let n = 0;
const session = (patch: Partial<Session> = {}): Session => ({
  __id: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  __name: 's',
  __createdAt: NOW,
  __createdBy: 'i',
  __updatedAt: NOW,
  __updatedBy: 'i',
  __deletedAt: null,
  _line: line.__id,
  _channel: line.__id,
  _clients: [],
  _state: 'Waiting',
  _priority: null,
  _userId: null,
  _userGroupId: null,
  _botId: null,
  _apps: [],
  _acceptedAt: null,
  _closedAt: null,
  _lastActivityAt: NOW,
  _externalChatId: null,
  _externalChatName: null,
  _beforeSpam: null,
  _version: 1,
  ...patch,
});

describe('picking an operator', () => {
  it('fewest active sessions first, ties to the one idle longest; full, offline and other-group operators left out', () => {
    const ops = [
      op('busy', 2, '2026-12-01T09:00:00.000Z'),
      op('recent', 1, '2026-12-01T09:59:00.000Z'),
      op('idle', 1, '2026-12-01T09:10:00.000Z'),
      op('full', 3, null),
      op('off', 0, null, { status: 'offline' }),
      op('elsewhere', 0, null, { groups: ['g9'] }),
      op('override', 3, null, { capacity: 5 }),
    ];
    assert.deepEqual(
      rankOperators(ops, session(), line).map((o) => o.__id),
      ['idle', 'recent', 'busy', 'override'],
    );
    // A session of group g2 only goes to g2's operators.
    assert.deepEqual(
      rankOperators([...ops, op('g2op', 2, null, { groups: ['g2'] })], session({ _userGroupId: 'g2' }), line).map((o) => o.__id),
      ['g2op'],
    );
  });
  it('the queue: priority, then age; an operator gets the first it may take', () => {
    const a = session({ __createdAt: '2026-12-01T09:00:00.000Z' });
    const b = session({ __createdAt: '2026-12-01T09:05:00.000Z', _priority: 'High' });
    const c = session({ __createdAt: '2026-12-01T09:01:00.000Z', _priority: 'Low' });
    const d = session({ __createdAt: '2026-12-01T08:00:00.000Z', _priority: 'High', _userGroupId: 'g2' });
    const queue = [a, b, c, d].sort(queueOrder);
    assert.deepEqual(
      queue.map((s) => s.__id),
      [d, b, c, a].map((s) => s.__id),
    );
    assert.equal(nextSessionFor(op('x', 0, null), queue, line)?.__id, b.__id);
  });
});

describe('capacity items', () => {
  it('effective capacity: the override, else the line; none at all = no limit', () => {
    assert.equal(effectiveCapacity(op('x', 0, null), line), 3);
    assert.equal(effectiveCapacity(op('x', 0, null, { capacity: 1 }), line), 1);
    assert.equal(effectiveCapacity(op('x', 0, null), { ...line, _routing: { ...line._routing, capacity: null } }), null);
  });
  it('a change of holder: -1 on the old (when counted), +1 under the capacity on the new; a full operator is refused', () => {
    const before = session({ _state: 'AssignedToOperator', _userId: 'old' });
    const after = { ...before, _userId: 'new' };
    const records = new Map([
      ['old', op('old', 2, null)],
      ['new', op('new', 1, null)],
    ]);
    const items = capacityChange(before, after, line, records, NOW);
    assert.equal(items.length, 2);
    assert.match(JSON.stringify(items[0]!.item), /activeSessions.*:minus|:minus/);
    assert.equal((items[1]!.item.Update!.ExpressionAttributeValues as Record<string, unknown>)[':cap'], 3);
    assert.throws(() => capacityChange(before, after, line, new Map([['new', op('new', 3, null)]]), NOW), /at capacity/);
    // An uncounted (pre-routing) session: no decrement.
    assert.equal(capacityChange(before, { ...before, _state: 'Closed' }, line, new Map([['old', op('old', 0, null)]]), NOW).length, 0);
    assert.equal(holderOf(session({ _state: 'MarkedAsSpam', _userId: 'x' })), null);
  });
});

describe('triggers', () => {
  const event = (type: string, s: Session, changes: { field: string; old: unknown; new: unknown }[] = []): ChatlinesEvent =>
    ({
      id: `${s.__id}.1`,
      type,
      time: NOW,
      line: line.__id,
      channel: line.__id,
      session: s.__id,
      sequence: 1,
      data: { session: s, changes },
    }) as ChatlinesEvent;
  it('Waiting sessions are routed, freed operators filled, operators coming online filled', () => {
    const queued = session();
    const closed = session({ _state: 'Closed', _userId: 'alice' });
    const work = routingWork(
      [event('session.created', queued), event('session.closed', closed, [{ field: '_state', old: 'AssignedToOperator', new: 'Closed' }])],
      [
        {
          eventName: 'MODIFY',
          oldImage: { entity: 'operator', __id: 'bob', status: 'offline' },
          newImage: { entity: 'operator', __id: 'bob', status: 'online' },
        },
        {
          eventName: 'MODIFY',
          oldImage: { entity: 'operator', __id: 'carol', status: 'online', activeSessions: 1 },
          newImage: { entity: 'operator', __id: 'carol', status: 'online', activeSessions: 2 },
        },
      ],
    );
    assert.deepEqual([...work.sessions], [[queued.__id, { created: true }]]);
    assert.deepEqual([...work.operators].sort(), ['alice', 'bob']);
  });
});

describe('the wait estimate', () => {
  const base = { mode: 'auto' as const, online: 2, freeSlots: 0, recentAccepted: [], recentWaitsMs: [], now: Date.parse(NOW) };
  it('free slots in auto mode: 0; nobody online: null; else the recent rate', () => {
    assert.equal(estimateWait({ ...base, ahead: 0, freeSlots: 1 }).expectedWaitSeconds, 0);
    assert.equal(estimateWait({ ...base, ahead: 3, online: 0 }).expectedWaitSeconds, null);
    const now = Date.parse(NOW);
    // 10 taken over the last 100 s: 0.1 per second; 4 ahead → 50 s.
    const times = Array.from({ length: 10 }, (_, i) => now - 100_000 + i * 10_000);
    const e = estimateWait({ ...base, ahead: 4, recentAccepted: times });
    assert.equal(e.expectedWaitSeconds, 50);
    assert.match(e.basis, /recent rate/);
    assert.equal(estimateWait({ ...base, ahead: 1 }).expectedWaitSeconds, null);
  });
});

describe('takeSlots: n assignments to one operator in one transaction', () => {
  const update = (caps: (number | null)[]) => takeSlots('op', caps, NOW).Update!;
  it('adds n, conditional on room as if taken one after the other', () => {
    const u = update([3, 3, 3]);
    assert.equal(u.UpdateExpression, 'SET #i = :now ADD #n :count');
    assert.equal(u.ExpressionAttributeValues![':count'], 3);
    // The third needs a count below 3 after two: at most 0 before them.
    assert.equal(u.ExpressionAttributeValues![':limit'], 0);
    assert.equal(u.ConditionExpression, '#st = :online AND (attribute_not_exists(#n) OR #n <= :limit)');
  });
  it('each session its own capacity (lines differ): the tightest one counts', () => {
    assert.equal(update([5, 2, 5]).ExpressionAttributeValues![':limit'], 0);
    assert.equal(update([5, null, 4]).ExpressionAttributeValues![':limit'], 1);
  });
  it('no limit: only online', () => {
    const u = update([null, null]);
    assert.equal(u.ConditionExpression, '#st = :online');
    assert.equal(u.ExpressionAttributeValues![':limit'], undefined);
  });
  it('more sessions than any count allows: the condition holds for no record, not even one without a count', () => {
    const u = update([1, 1]);
    assert.equal(u.ExpressionAttributeValues![':limit'], -1);
    assert.equal(u.ConditionExpression, '#st = :online AND (#n <= :limit)');
  });
});
