/** The filter language in memory: parser errors, the reference semantics, the planner's choices. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  channelClientsByAgePartition,
  channelClientsPartition,
  channelIndexKeys,
  channelSessionsPartition,
  channelsByStatePartition,
  clientIndexKeys,
  clientSessionsPartition,
  LINES_PARTITION,
  lineChannelsPartition,
  lineIndexKeys,
  lineNamePrefix,
  lineSessionsByStatePartition,
  lineShardOf,
  lineShards,
  lineUnclosedPartition,
  operatorSessionsPartition,
  operatorUnclosedPartition,
  sessionIndexKeys,
  sharded,
} from '../../lib/adapters/dynamodb/keys.ts';
import { planSearch } from '../../lib/adapters/dynamodb/planner.ts';
import { ChatlinesError } from '../../lib/contract/errors.ts';
import { type Collection, FilterSchema, type ParsedSearch, parseSearch, SearchRequestBody } from '../../lib/contract/filter.ts';
import type { Channel, Client, Line, Session } from '../../lib/contract/schemas.ts';
import { evaluate, matches } from '../../lib/domain/search/evaluate.ts';

const parse = (collection: Collection, body: unknown): ParsedSearch => parseSearch(collection, SearchRequestBody.parse(body));
const where = (collection: Collection, filter: unknown) => parse(collection, { where: filter });

function errorsOf(collection: Collection, body: unknown): { path: string; message: string }[] {
  try {
    parse(collection, body);
  } catch (error) {
    assert.ok(error instanceof ChatlinesError);
    assert.equal(error.kind, 'invalid');
    return error.errors ?? [];
  }
  assert.fail('expected a 400');
}

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const C = '33333333-3333-4333-8333-333333333333';

const base = (id: string, createdAt: string) => ({
  __id: id,
  __name: `n-${id.slice(0, 1)}`,
  __createdAt: createdAt,
  __createdBy: 'x',
  __updatedAt: createdAt,
  __updatedBy: 'x',
  __deletedAt: null,
});
const session = (id: string, createdAt: string, extra: Partial<Session>): Session => ({
  ...base(id, createdAt),
  _line: A,
  _channel: B,
  _clients: [C],
  _state: 'Waiting',
  _priority: null,
  _userId: null,
  _userGroupId: null,
  _botId: null,
  _apps: [],
  _acceptedAt: null,
  _closedAt: null,
  _lastActivityAt: createdAt,
  _externalChatId: null,
  _externalChatName: null,
  _beforeSpam: null,
  _version: 1,
  ...extra,
});

const s1 = session(A, '2025-01-01T10:00:00.000Z', { _state: 'Closed', _priority: 'High', _apps: [{ code: 'deals', id: '7' }] });
const s2 = session(B, '2025-01-02T10:00:00.000Z', { _state: 'AssignedToOperator', _userId: 'alice', _clients: [C, A] });
const s3 = session(C, '2025-01-02T10:00:00.000Z', { _priority: 'Low', _version: 5 });
const all = [s1, s2, s3];
const ids = (filter: unknown, body: Record<string, unknown> = {}) => evaluate(parse('sessions', { where: filter, ...body }), all).items.map((s) => s.__id);

describe('filter parsing', () => {
  it('accepts the seed filter as JSON and matches the structural zod schema', () => {
    const filter = { and: [{ eq: ['__deletedAt', null] }, { neq: ['_state', 'Closed'] }] };
    assert.ok(where('sessions', filter).where);
    assert.ok(FilterSchema.safeParse(filter).success);
  });

  it('names the path of each problem', () => {
    const cases: [Collection, unknown, string, RegExp][] = [
      ['sessions', { where: { and: [{ eq: ['__deletedAt', null] }, { eq: ['_nope', 1] }] } }, 'where.and.1.eq.0', /unknown field "_nope"/],
      ['sessions', { where: { and: [{ eq: ['__deletedAt', null] }, { gt: ['_state', 'Closed'] }] } }, 'where.and.1.gt', /does not fit _state/],
      ['sessions', { where: { all: ['_state', ['Closed']] } }, 'where.all', /does not fit/],
      ['sessions', { where: { eq: ['_state', 'Open'] } }, 'where.eq.1', /one of Waiting/],
      ['sessions', { where: { eq: ['_version', '1'] } }, 'where.eq.1', /a number/],
      ['sessions', { where: { eq: ['_line', 'abc'] } }, 'where.eq.1', /UUID/],
      ['sessions', { where: { gt: ['__createdAt', 'yesterday'] } }, 'where.gt.1', /ISO 8601/],
      ['sessions', { where: { eq: ['_state', null] } }, 'where.eq.1', /never null/],
      ['sessions', { where: { gt: ['_closedAt', null] } }, 'where.gt.1', /only allowed with eq/],
      ['sessions', { where: { in: ['_state', 'Closed'] } }, 'where.in.1', /list/],
      ['sessions', { where: { or: [{ eq: ['_state', 'Closed'] }, { like: ['__name', 'x'] }] } }, 'where.or.1.like', /unknown operator/],
      ['sessions', { where: { eq: ['_state', 'Closed'], neq: ['_state', 'Closed'] } }, 'where', /exactly one operator/],
      ['sessions', { where: { and: {} } }, 'where.and', /list of filters/],
      ['lines', { where: { eq: ['_state', 'Closed'] } }, 'where.eq.0', /unknown field "_state" of lines/],
      ['channels', { where: { eq: ['_type', 'fax'] } }, 'where.eq.1', /one of inbox/],
      ['sessions', { sort: [{ field: '_clients', ascending: true }] }, 'sort.0.field', /cannot be sorted/],
      ['sessions', { sort: [{ field: 'nope', ascending: true }] }, 'sort.0.field', /unknown field/],
    ];
    for (const [collection, body, path, message] of cases) {
      const errors = errorsOf(collection, body);
      assert.equal(errors[0]?.path, path, JSON.stringify(body));
      assert.match(errors[0]!.message, message, JSON.stringify(body));
    }
  });

  it('refuses nesting deeper than 8 and more than 50 conditions', () => {
    let deep: unknown = { eq: ['_state', 'Closed'] };
    for (let i = 0; i < 8; i++) deep = { not: deep };
    const errors = errorsOf('sessions', { where: deep });
    assert.match(errors[0]!.message, /deeper than 8/);
    assert.equal(errors[0]!.path, `where${'.not'.repeat(8)}`);
    let ok: unknown = { eq: ['_state', 'Closed'] };
    for (let i = 0; i < 7; i++) ok = { not: ok };
    assert.ok(where('sessions', ok));
    const many = { or: Array.from({ length: 51 }, () => ({ eq: ['_state', 'Closed'] })) };
    assert.match(errorsOf('sessions', { where: many })[0]!.message, /more than 50 conditions/);
  });

  it('checks size, from and sort through the envelope', () => {
    assert.equal(SearchRequestBody.safeParse({ size: 1001 }).success, false);
    assert.equal(SearchRequestBody.safeParse({ size: -1 }).success, false);
    assert.equal(SearchRequestBody.safeParse({ from: 10_001 }).success, false);
    assert.equal(SearchRequestBody.safeParse({ bogus: 1 }).success, false);
    const p = parse('sessions', {});
    assert.equal(p.size, 10);
    assert.deepEqual(p.sort, [
      { field: '__createdAt', ascending: false },
      { field: '__id', ascending: false },
    ]);
    assert.deepEqual(parse('sessions', { sort: [{ field: '__createdAt', ascending: true }] }).sort, [
      { field: '__createdAt', ascending: true },
      { field: '__id', ascending: true },
    ]);
  });
});

describe('reference semantics', () => {
  it('eq, neq, in with null and enums', () => {
    assert.deepEqual(ids({ eq: ['_priority', null] }), [B]);
    assert.deepEqual(ids({ neq: ['_priority', null] }), [C, A]);
    assert.deepEqual(ids({ neq: ['_priority', 'High'] }), [C, B]);
    assert.deepEqual(ids({ in: ['_priority', ['Low', null]] }), [C, B]);
    assert.deepEqual(ids({ in: ['_priority', []] }), []);
    assert.deepEqual(ids({ eq: ['_userId', null] }), [C, A]);
    // absent counts as null
    assert.equal(matches(where('sessions', { eq: ['_userId', null] }).where, { _userId: undefined }), true);
  });

  it('array fields: eq / in test elements, all needs every value', () => {
    assert.deepEqual(ids({ eq: ['_clients', A] }), [B]);
    assert.deepEqual(ids({ all: ['_clients', [C, A]] }), [B]);
    assert.deepEqual(ids({ all: ['_clients', [C]] }), [C, B, A]);
    assert.deepEqual(ids({ all: ['_clients', []] }), [C, B, A]);
    assert.deepEqual(ids({ neq: ['_clients', A] }), [C, A]);
    assert.deepEqual(ids({ in: ['_clients', [A, B]] }), [B]);
    assert.deepEqual(ids({ eq: ['_apps', { code: 'deals', id: '7' }] }), [A]);
  });

  it('ordering operators on timestamps, numbers, strings; null never compares', () => {
    assert.deepEqual(ids({ gt: ['__createdAt', '2025-01-01T12:00:00+02:00'] }), [C, B]);
    assert.deepEqual(ids({ lte: ['__createdAt', '2025-01-01T12:00:00+02:00'] }), [A]);
    assert.deepEqual(ids({ eq: ['__createdAt', '2025-01-02T12:00:00+02:00'] }), [C, B]);
    assert.deepEqual(ids({ gte: ['_version', 5] }), [C]);
    assert.deepEqual(ids({ lt: ['__name', 'n-2'] }), [A]);
    assert.deepEqual(ids({ gt: ['_userId', ''] }), [B]);
    assert.deepEqual(ids({ lt: ['_closedAt', '2100-01-01T00:00:00Z'] }), []);
  });

  it('and, or, not and empty combinators', () => {
    assert.deepEqual(ids({ and: [] }), [C, B, A]);
    assert.deepEqual(ids({ or: [] }), []);
    assert.deepEqual(ids({ not: { eq: ['_state', 'Closed'] } }), [C, B]);
    assert.deepEqual(ids({ or: [{ eq: ['_state', 'Closed'] }, { eq: ['_userId', 'alice'] }] }), [B, A]);
    assert.deepEqual(ids({ and: [{ neq: ['_state', 'Closed'] }, { not: { eq: ['_userId', null] } }] }), [B]);
  });

  it('orders by the canonical sort: ties by __id, nulls last both ways, from/size/count', () => {
    assert.deepEqual(ids(undefined), [C, B, A]);
    assert.deepEqual(ids(undefined, { sort: [{ field: '__createdAt', ascending: true }] }), [A, B, C]);
    assert.deepEqual(ids(undefined, { sort: [{ field: '_priority', ascending: true }] }), [A, C, B]);
    assert.deepEqual(ids(undefined, { sort: [{ field: '_priority', ascending: false }] }), [C, A, B]);
    const r = evaluate(parse('sessions', { from: 1, size: 1, count: true }), all);
    assert.deepEqual(
      r.items.map((s) => s.__id),
      [B],
    );
    assert.equal(r.total, 3);
  });
});

describe('index keys agree with the partitions searches read', () => {
  it('builds the same partitions as the item builders', () => {
    const line = { ...base(A, '2025-01-01T00:00:00.000Z'), __name: 'Sales' } as Line;
    assert.equal(lineIndexKeys(line).gsi1pk, LINES_PARTITION);
    assert.ok(lineIndexKeys(line).gsi1sk.startsWith(lineNamePrefix('Sales')));
    const channel = { ...base(B, '2025-01-01T00:00:00.000Z'), _line: A, _type: 'telegram', _state: 'active' } as Channel;
    assert.equal(channelIndexKeys(channel).gsi1pk, channelsByStatePartition('active'));
    assert.ok(channelIndexKeys(channel).gsi1sk.startsWith('telegram#'));
    assert.equal(channelIndexKeys(channel).gsi2pk, lineChannelsPartition(A));
    const client = { ...base(C, '2025-01-01T00:00:00.000Z'), _channel: B, _username: 'bob' } as Client;
    assert.equal(clientIndexKeys(client).gsi1pk, channelClientsPartition(B));
    assert.ok(clientIndexKeys(client).gsi1sk.startsWith('bob#'));
    assert.equal(clientIndexKeys(client).gsi2pk, channelClientsByAgePartition(B));
    assert.equal(clientIndexKeys(client).gsi2sk, `${client.__createdAt}#${C}`);
    const keys = sessionIndexKeys(s2);
    assert.equal(keys.gsi1pk, lineSessionsByStatePartition(A, 'AssignedToOperator'));
    assert.equal(keys.gsi1sk, `${s2.__createdAt}#${s2.__id}`);
    assert.equal(keys.gsi2pk, operatorSessionsPartition('alice'));
    assert.equal(keys.gsi2sk, `${s2.__createdAt}#${s2.__id}`);
    assert.equal(keys.gsi7pk, operatorUnclosedPartition('alice'));
    assert.equal(keys.gsi6pk, lineUnclosedPartition(A));
    const closed = sessionIndexKeys({ ...s2, _state: 'Closed' } as Session);
    assert.equal(closed.gsi6pk, undefined, 'a closed session leaves the unclosed indexes');
    assert.equal(closed.gsi7pk, undefined);
    assert.equal(keys.gsi3pk, clientSessionsPartition(C));
    assert.equal(keys.gsi4pk, channelSessionsPartition(B));
  });
});

describe('planner', () => {
  const plan = (collection: Collection, filter: unknown, wantOrdered = true) => planSearch(where(collection, filter), { wantOrdered });
  const del = { eq: ['__deletedAt', null] };

  it('names the index of each access pattern', () => {
    const cases: [Collection, unknown, string, string][] = [
      ['sessions', { and: [del, { eq: ['__id', A] }] }, 'get', 'table'],
      ['sessions', { and: [del, { all: ['_clients', [C]] }, { neq: ['_state', 'Closed'] }] }, 'query', 'gsi3'],
      ['sessions', { eq: ['_clients', C] }, 'query', 'gsi3'],
      ['sessions', { and: [{ eq: ['_userId', 'alice'] }, { eq: ['_state', 'AssignedToOperator'] }] }, 'query', 'gsi7'],
      ['sessions', { eq: ['_userId', 'alice'] }, 'query', 'gsi2'],
      ['sessions', { and: [{ eq: ['_userId', 'alice'] }, { eq: ['_state', 'Closed'] }] }, 'query', 'gsi2'],
      ['sessions', { and: [{ eq: ['_line', A] }, { eq: ['_state', 'Waiting'] }] }, 'query', 'gsi1'],
      ['sessions', { and: [{ eq: ['_line', A] }, { in: ['_state', ['Waiting', 'AssignedToBot']] }] }, 'query', 'gsi6'],
      ['sessions', { and: [{ eq: ['_line', A] }, { neq: ['_state', 'Closed'] }] }, 'query', 'gsi6'],
      ['sessions', { eq: ['_channel', B] }, 'query', 'gsi4'],
      ['sessions', { eq: ['_line', A] }, 'query', 'gsi1'],
      ['sessions', { eq: ['_state', 'Waiting'] }, 'query', 'gsi1'],
      ['sessions', { eq: ['__name', 'x'] }, 'sweep', 'gsi1'],
      ['sessions', { and: [{ eq: ['_state', 'Waiting'] }, { eq: ['_state', 'Closed'] }] }, 'empty', 'null'],
      ['channels', { and: [del, { neq: ['_state', 'active'] }] }, 'query', 'gsi1'],
      ['channels', { and: [del, { eq: ['_type', 'telegram'] }] }, 'query', 'gsi1'],
      ['channels', { eq: ['_line', A] }, 'query', 'gsi2'],
      ['channels', del, 'sweep', 'gsi2'],
      ['clients', { and: [del, { eq: ['_channel', B] }, { eq: ['_username', 'bob'] }] }, 'query', 'gsi1'],
      ['clients', { and: [del, { eq: ['_username', 'bob'] }] }, 'query', 'gsi1'],
      ['clients', { and: [del, { eq: ['_channel', B] }] }, 'query', 'gsi2'],
      ['clients', { and: [del, { in: ['_channel', [A, B]] }, { eq: ['_blockedStatus', 'none'] }] }, 'query', 'gsi2'],
      ['clients', del, 'sweep', 'gsi1'],
      ['lines', { and: [del, { eq: ['__name', 'Sales'] }] }, 'query', 'gsi1'],
      ['lines', del, 'sweep', 'gsi1'],
    ];
    for (const [collection, filter, type, index] of cases) {
      const p = plan(collection, filter);
      assert.equal(`${p.type} ${p.index}`, `${type} ${index}`, `${collection} ${JSON.stringify(filter)}`);
    }
  });

  it("reads a line's queue as one createdAt-ordered Query per state, priority filtered on what it returns", (t) => {
    if (lineShards() !== 1) return t.skip('counts Queries of an unsharded line');
    const p = plan('sessions', { and: [{ eq: ['_line', A] }, { eq: ['_state', 'Waiting'] }] });
    assert.equal(p.source.over, 'keys');
    if (p.source.over !== 'keys') return;
    assert.equal(p.source.queries.length, 1);
    assert.ok(p.source.queries.every((q) => q.ordered && q.skPrefix === undefined && q.pk === lineSessionsByStatePartition(A, 'Waiting')));
    const high = plan('sessions', { and: [{ eq: ['_line', A] }, { eq: ['_state', 'Waiting'] }, { eq: ['_priority', 'High'] }] });
    assert.ok(high.source.over === 'keys' && high.source.queries.length === 1 && high.type === 'query');
    const open = plan('sessions', { and: [{ eq: ['_line', A] }, { neq: ['_state', 'Closed'] }] });
    assert.ok(open.source.over === 'keys', 'the open sessions of a line are read by key');
    if (open.source.over !== 'keys') return;
    assert.deepEqual(open.source.queries, [{ index: 'gsi6', pk: lineUnclosedPartition(A), ordered: true }], "one Query per page: the line's unclosed sessions");
    const mine = plan('sessions', { eq: ['_userId', 'alice'] });
    assert.ok(mine.source.over === 'keys');
    if (mine.source.over !== 'keys') return;
    assert.deepEqual(
      mine.source.queries,
      [{ index: 'gsi2', pk: operatorSessionsPartition('alice'), ordered: true }],
      "an operator's sessions: one Query per page",
    );
  });

  it('reads every shard of a sharded line (LINE_SHARDS), each in creation order', () => {
    const before = process.env.LINE_SHARDS;
    process.env.LINE_SHARDS = '4';
    try {
      const p = plan('sessions', { and: [{ eq: ['_line', A] }, { eq: ['_state', 'Waiting'] }] });
      assert.ok(p.source.over === 'keys');
      if (p.source.over !== 'keys') return;
      assert.deepEqual(
        p.source.queries.map((q) => q.pk),
        [0, 1, 2, 3].map((n) => sharded(lineSessionsByStatePartition(A, 'Waiting'), n)),
      );
      assert.ok(p.source.queries.every((q) => q.ordered));
      // The item builder puts a session in the shard its id picks, which the plan reads.
      const keys = sessionIndexKeys({ ...s2, _state: 'Waiting' } as Session);
      assert.ok(p.source.queries.some((q) => q.pk === keys.gsi1pk));
      assert.equal(keys.gsi1pk, sharded(lineSessionsByStatePartition(A, 'Waiting'), lineShardOf(s2.__id)));
      assert.equal(keys.gsi6pk, sharded(lineUnclosedPartition(A), lineShardOf(s2.__id)));
    } finally {
      if (before === undefined) delete process.env.LINE_SHARDS;
      else process.env.LINE_SHARDS = before;
    }
  });

  it("reads a channel's clients by age (gsi2) for the default order, by username (gsi1) otherwise", () => {
    const p = plan('clients', { eq: ['_channel', B] });
    assert.ok(p.source.over === 'keys');
    if (p.source.over !== 'keys') return;
    assert.deepEqual(p.source.queries, [{ index: 'gsi2', pk: channelClientsByAgePartition(B), ordered: true }]);
    // Another order or a total reads the whole channel anyway: the username index serves it.
    assert.equal(plan('clients', { eq: ['_channel', B] }, false).index, 'gsi1');
    // A username narrows the read more than the order helps.
    assert.equal(plan('clients', { and: [{ eq: ['_channel', B] }, { eq: ['_username', 'bob'] }] }).index, 'gsi1');
  });
});
