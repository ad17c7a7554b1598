/**
 * Search over HTTP against DynamoDB Local: random data and random filters (fast-check), each
 * answer compared with the in-memory reference (`evaluate`) over the same data and the
 * caller's visibility — same items, same order, same total; the seed's searches; the plan
 * named for each indexed pattern; bad filters → 400 with the path.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { putNew, type TransactItem, transact } from '../../lib/adapters/dynamodb/db.ts';
import { channelItem, clientItem, lineItem } from '../../lib/adapters/dynamodb/items.ts';
import { sessionItem } from '../../lib/adapters/dynamodb/sessions.ts';
import type { Caller } from '../../lib/contract/caller.ts';
import { type Collection, FIELD_CATALOGUE, type FieldSpec, OPERATORS_BY_KIND, parseSearch, type Scalar, SearchRequestBody } from '../../lib/contract/filter.ts';
import type { Channel, Client, Line, Session } from '../../lib/contract/schemas.ts';
import { canFindOnLine, canSeeLine } from '../../lib/domain/auth/policy.ts';
import { evaluate, type Model } from '../../lib/domain/search/evaluate.ts';
import { startTestHost, type TestHost } from '../support/host.ts';
import { soak } from '../support/soak.ts';

let host: TestHost;
const data: Record<Collection, Model[]> = { lines: [], channels: [], clients: [], sessions: [] };

interface Who {
  name: string;
  token: string;
  caller: Caller;
}
const callers: Who[] = [];

/** Deterministic pseudo-random numbers for the data set (the filters come from fast-check). */
function prng(seed: number) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { int: (n: number) => Math.floor(next() * n), pick: <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]! };
}

const uuid = (n: number, kind: number) => `${String(kind).padStart(8, '0')}-0000-4000-8000-${String(n).padStart(12, '0')}`;
/** Few distinct instants, so equal `__createdAt` ties are common and `__id` must break them. */
const at = (minutes: number) => new Date(Date.UTC(2025, 0, 1, 9, 0) + minutes * 60_000).toISOString();

function base(id: string, createdAt: string, name: string) {
  return { __id: id, __name: name, __createdAt: createdAt, __createdBy: 'seed', __updatedAt: createdAt, __updatedBy: 'seed', __deletedAt: null };
}

async function writeAll(items: TransactItem[]) {
  for (let i = 0; i < items.length; i += 25) await transact(items.slice(i, i + 25), 'seed data');
}

async function seed() {
  const r = prng(20250101);
  const lines: Line[] = [
    {
      ...base(uuid(1, 1), at(0), 'Alpha'),
      _operatorGroups: ['g1'],
      _supervisorGroups: ['s1'],
      _botId: 'bot-1',
      _accountApp: 'contacts',
      _sessionApps: ['deals'],
      _routing: { mode: 'manual', capacity: null, botFirst: false },
    },
    {
      ...base(uuid(2, 1), at(1), 'Beta'),
      _operatorGroups: ['g2'],
      _supervisorGroups: ['s1'],
      _botId: null,
      _accountApp: null,
      _sessionApps: [],
      _routing: { mode: 'manual', capacity: null, botFirst: false },
    },
    {
      ...base(uuid(3, 1), at(1), 'Alpha'),
      _operatorGroups: ['g1', 'g3'],
      _supervisorGroups: ['s3'],
      _botId: 'bot-3',
      _accountApp: null,
      _sessionApps: ['deals', 'leads'],
      _routing: { mode: 'manual', capacity: null, botFirst: false },
    },
  ];
  const types = ['telegram', 'inbox', 'livechat', 'whatsapp'] as const;
  const states = ['active', 'active', 'disconnected', 'error'] as const;
  const channels: Channel[] = Array.from({ length: 7 }, (_, i) => {
    const line = r.pick(lines);
    return { ...base(uuid(i + 1, 2), at(r.int(5)), `ch-${i}`), _line: line.__id, _type: r.pick(types), _state: r.pick(states), _deliveryUrl: null };
  });
  const names = ['ann', 'bob', 'cy', 'ed', 'ed#x', 'telegram_username'];
  const clients: Client[] = Array.from({ length: 24 }, (_, i) => {
    const channel = r.pick(channels);
    return {
      ...base(uuid(i + 1, 3), at(r.int(8)), `client-${i}`),
      _line: channel._line,
      _channel: channel.__id,
      _username: r.pick(names),
      _applicationItem: r.pick([null, null, { code: 'contacts', id: '1' }, { code: 'contacts', id: '2' }]),
      _extraData: {},
      _blockedStatus: r.pick(['none', 'none', 'blocked', 'allowed'] as const),
    };
  });
  const sessionStates = ['Waiting', 'AssignedToBot', 'AssignedToOperator', 'MarkedAsSpam', 'Closed'] as const;
  const sessions: Session[] = Array.from({ length: 160 }, (_, i) => {
    const client = r.pick(clients);
    const channel = channels.find((c) => c.__id === client._channel)!;
    const created = at(10 + r.int(40));
    const state = r.pick(sessionStates);
    return {
      ...base(uuid(i + 1, 4), created, r.pick(['', 'vip', 'order 42'])),
      _line: channel._line,
      _channel: channel.__id,
      _clients: [client.__id],
      _state: state,
      _priority: r.pick([null, null, 'Low', 'Medium', 'High'] as const),
      _userId: state === 'AssignedToOperator' || r.int(3) === 0 ? r.pick(['alice', 'bob-op']) : null,
      _userGroupId: r.pick([null, 'g1', 'g2']),
      _botId: state === 'AssignedToBot' ? 'bot-1' : null,
      _apps: r.pick([
        [],
        [],
        [{ code: 'deals', id: '7' }],
        [
          { code: 'deals', id: '7' },
          { code: 'leads', id: '1' },
        ],
      ]),
      _acceptedAt: r.int(2) ? at(60 + r.int(10)) : null,
      _closedAt: state === 'Closed' ? at(70 + r.int(10)) : null,
      _lastActivityAt: at(60 + r.int(30)),
      _externalChatId: r.pick([null, 'x-1', 'x-2']),
      _externalChatName: null,
      _beforeSpam: null,
      _version: 1 + r.int(5),
    };
  });
  // A line's queue long enough that a page of 5 must stop early.
  for (let i = 0; i < 40; i++) {
    const channel = channels.find((c) => c._line === lines[1]!.__id) ?? channels[0]!;
    const client = clients.find((c) => c._channel === channel.__id) ?? clients[0]!;
    sessions.push({
      ...sessions[0]!,
      ...base(uuid(500 + i, 4), at(100 + (i % 7)), 'queue'),
      _line: channel._line,
      _channel: channel.__id,
      _clients: [client.__id],
      _state: 'Waiting',
      _priority: r.pick([null, 'High', 'Low'] as const),
      _userId: null,
      _botId: null,
      _closedAt: null,
    });
  }
  await writeAll([...lines.map(lineItem), ...channels.map(channelItem), ...clients.map(clientItem), ...sessions.map(sessionItem)].map(putNew));
  data.lines.push(...lines);
  data.channels.push(...channels);
  data.clients.push(...clients);
  data.sessions.push(...sessions);
}

/** A line, channel, client and session made through the API, so API writes are searched too. */
async function seedThroughApi(admin: string) {
  const line = await host.call('POST', '/v1/lines', { token: admin, body: { __name: 'Gamma', _operatorGroups: ['g1'], _supervisorGroups: [] } });
  assert.equal(line.status, 201);
  const channel = await host.call('POST', '/v1/channels', { token: admin, body: { _line: line.body.__id, _type: 'telegram', __name: 'tg' } });
  assert.equal(channel.status, 201);
  const integration = await host.token({ sub: 'int-1', roles: ['integration'], channels: [channel.body.__id] });
  const inbound = await host.call('POST', `/v1/channels/${channel.body.__id}/inbound`, {
    token: integration,
    body: { account: 'telegram_username', body: 'hi' },
  });
  assert.ok(inbound.status === 201, JSON.stringify(inbound.body));
  data.lines.push(line.body);
  data.channels.push(channel.body);
  data.clients.push(inbound.body.client);
  data.sessions.push(inbound.body.session);
  return { integration, channel: channel.body as Channel, client: inbound.body.client as Client, session: inbound.body.session as Session };
}

let api: Awaited<ReturnType<typeof seedThroughApi>>;

before(async () => {
  host = await startTestHost();
  const make = async (name: string, caller: Caller) =>
    callers.push({ name, caller, token: await host.token({ sub: caller.sub, roles: [...caller.roles], groups: [...caller.groups] }) });
  await make('admin', { sub: 'admin-1', roles: ['admin'], groups: [], channels: [] });
  await make('supervisor s1', { sub: 'sup-1', roles: ['supervisor'], groups: ['s1'], channels: [] });
  await make('operator g1', { sub: 'alice', roles: ['operator'], groups: ['g1'], channels: [] });
  await make('bot-1', { sub: 'bot-1', roles: ['bot'], groups: [], channels: [] });
  await make('operator without lines', { sub: 'zed', roles: ['operator'], groups: ['nobody'], channels: [] });
  await seed();
  api = await seedThroughApi(callers[0]!.token);
});
after(() => host.close());

/** What the search should answer, from the in-memory reference over the caller's part of the data. */
function expected(who: Who, collection: Collection, body: unknown) {
  const search = parseSearch(collection, SearchRequestBody.parse(body));
  const lines = new Map((data.lines as Line[]).map((l) => [l.__id, l]));
  const visible = data[collection].filter((item) => {
    if (collection === 'lines') return canSeeLine(who.caller, item as Line) || who.caller.roles.includes('admin');
    return canFindOnLine(who.caller, lines.get(item._line as string), collection === 'sessions' ? (item as Session) : undefined);
  });
  const result = evaluate(search, visible);
  return { ids: result.items.map((i) => i.__id), total: result.total };
}

async function search(who: Who, collection: Collection, body: unknown) {
  const r = await host.call('POST', `/v1/${collection}/search`, { token: who.token, body });
  assert.equal(r.status, 200, JSON.stringify({ body, reply: r.body }));
  return r;
}

async function check(who: Who, collection: Collection, body: unknown) {
  const r = await search(who, collection, body);
  const want = expected(who, collection, body);
  const context = JSON.stringify({ who: who.name, collection, body, plan: r.body.plan });
  assert.deepEqual(
    r.body.items.map((i: Model) => i.__id),
    want.ids,
    context,
  );
  assert.equal(r.body.total, want.total, context);
  return r;
}

// ------------------------------------------------------------------ random filters

function valuePool(collection: Collection, field: string, spec: FieldSpec): Scalar[] {
  const seen = new Map<string, Scalar>();
  for (const item of data[collection]) {
    const v = item[field];
    for (const x of Array.isArray(v) ? v : [v]) if (x !== undefined && (x !== null || spec.nullable)) seen.set(JSON.stringify(x), x as Scalar);
  }
  if (spec.nullable) seen.set('null', null);
  if (spec.kind === 'enum') for (const e of spec.values!) seen.set(JSON.stringify(e), e);
  if (spec.kind === 'timestamp') seen.set('"t"', at(30));
  return [...seen.values()];
}

function conditionArb(collection: Collection): fc.Arbitrary<unknown> {
  const fields = Object.entries(FIELD_CATALOGUE[collection]);
  return fc.constantFrom(...fields).chain(([field, spec]) => {
    const pool = valuePool(collection, field, spec);
    const nonNull = pool.filter((v) => v !== null);
    const ops = OPERATORS_BY_KIND[spec.kind];
    return fc.constantFrom(...ops).chain((op): fc.Arbitrary<unknown> => {
      if (op === 'in') return fc.subarray(pool, { maxLength: Math.min(3, pool.length) }).map((vs) => ({ in: [field, vs] }));
      if (op === 'all') return fc.subarray(nonNull, { maxLength: Math.min(2, nonNull.length) }).map((vs) => ({ all: [field, vs] }));
      if (op === 'eq' || op === 'neq') return fc.constantFrom(...pool).map((v) => ({ [op]: [field, v] }));
      if (nonNull.length === 0) return fc.constant({ eq: ['__deletedAt', null] });
      return fc.constantFrom(...nonNull).map((v) => ({ [op]: [field, v] }));
    });
  });
}

/** Conditions the planner serves by key, so random filters exercise every index. */
function keyConditionArb(collection: Collection): fc.Arbitrary<unknown> {
  const ids = (c: Collection) => data[c].map((i) => i.__id as string);
  const pick = (field: string, c: Collection = collection) => fc.constantFrom(...valuePool(c, field, FIELD_CATALOGUE[c][field]!));
  const byCollection: Record<Collection, () => fc.Arbitrary<unknown>[]> = {
    sessions: () => [
      fc.constantFrom(...ids('sessions')).map((id) => ({ eq: ['__id', id] })),
      fc.constantFrom(...ids('clients')).map((c) => ({ all: ['_clients', [c]] })),
      fc.constantFrom(...ids('clients')).map((c) => ({ eq: ['_clients', c] })),
      fc.constantFrom('alice', 'bob-op').map((u) => ({ eq: ['_userId', u] })),
      fc.constantFrom(...ids('lines')).map((l) => ({ eq: ['_line', l] })),
      fc.constantFrom(...ids('channels')).map((c) => ({ eq: ['_channel', c] })),
      pick('_state').map((s) => ({ eq: ['_state', s] })),
      pick('_state').map((s) => ({ neq: ['_state', s] })),
      fc.subarray(valuePool('sessions', '_state', FIELD_CATALOGUE.sessions._state!), { minLength: 1, maxLength: 3 }).map((s) => ({ in: ['_state', s] })),
      pick('_priority').map((p) => ({ eq: ['_priority', p] })),
    ],
    channels: () => [
      pick('_state').map((s) => ({ eq: ['_state', s] })),
      pick('_state').map((s) => ({ neq: ['_state', s] })),
      pick('_type').map((t) => ({ eq: ['_type', t] })),
      fc.subarray(['telegram', 'inbox', 'livechat'], { minLength: 1 }).map((t) => ({ in: ['_type', t] })),
      fc.constantFrom(...ids('lines')).map((l) => ({ eq: ['_line', l] })),
      fc.constantFrom(...ids('channels')).map((id) => ({ eq: ['__id', id] })),
    ],
    clients: () => [
      fc.constantFrom(...ids('channels')).map((c) => ({ eq: ['_channel', c] })),
      pick('_username').map((u) => ({ eq: ['_username', u] })),
      fc.subarray(['ed', 'ed#x', 'bob'], { minLength: 1 }).map((u) => ({ in: ['_username', u] })),
      fc.constantFrom(...ids('lines')).map((l) => ({ eq: ['_line', l] })),
    ],
    lines: () => [pick('__name').map((n) => ({ eq: ['__name', n] })), fc.constantFrom(...ids('lines')).map((id) => ({ eq: ['__id', id] }))],
  };
  return fc.oneof(...byCollection[collection]());
}

function filterArb(collection: Collection): fc.Arbitrary<unknown> {
  const { tree } = fc.letrec<{ tree: unknown }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      conditionArb(collection),
      fc.array(tie('tree'), { maxLength: 3 }).map((items) => ({ and: items })),
      fc.array(tie('tree'), { maxLength: 3 }).map((items) => ({ or: items })),
      tie('tree').map((f) => ({ not: f })),
    ),
  }));
  const keyed = fc
    .tuple(keyConditionArb(collection), fc.array(fc.oneof(keyConditionArb(collection), conditionArb(collection)), { maxLength: 2 }))
    .map(([key, rest]) => ({ and: [key, ...rest] }));
  return fc.oneof(keyed, keyed, tree);
}

function bodyArb(collection: Collection): fc.Arbitrary<Record<string, unknown>> {
  const sortable = Object.entries(FIELD_CATALOGUE[collection])
    .filter(([, s]) => ['string', 'enum', 'ref', 'timestamp', 'number'].includes(s.kind))
    .map(([f]) => f);
  return fc.record(
    {
      where: filterArb(collection),
      from: fc.oneof(fc.constant(0), fc.nat(12)),
      size: fc.oneof(fc.constant(10), fc.integer({ min: 0, max: 40 })),
      sort: fc.oneof(
        fc.constant([]),
        fc.constant([{ field: '__createdAt', ascending: true }]),
        fc
          .uniqueArray(fc.constantFrom(...sortable), { maxLength: 2 })
          .chain((fs) => fc.tuple(...fs.map((f) => fc.boolean().map((ascending) => ({ field: f, ascending }))))),
      ),
      count: fc.boolean(),
    },
    { requiredKeys: ['where'] },
  );
}

describe('random filters over random data: DynamoDB answers like the in-memory reference', () => {
  // Random cases per collection (twice as many under CHATLINES_SOAK=1).
  const runs: Record<Collection, number> = soak({ sessions: 40, channels: 15, clients: 15, lines: 10 }, { sessions: 80, channels: 30, clients: 30, lines: 20 });
  for (const collection of ['sessions', 'channels', 'clients', 'lines'] as const) {
    it(`${collection}: same items, same order, same total`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat(callers.length - 1), bodyArb(collection), async (who, body) => {
          await check(callers[who]!, collection, body);
        }),
        { numRuns: runs[collection], seed: 5 },
      );
    });
  }

  it('every operator and combinator, for every caller', async () => {
    const filters: unknown[] = [
      { eq: ['_priority', null] },
      { neq: ['_priority', null] },
      { in: ['_state', ['Waiting', 'Closed']] },
      {
        all: [
          '_apps',
          [
            { code: 'deals', id: '7' },
            { code: 'leads', id: '1' },
          ],
        ],
      },
      { gt: ['__createdAt', at(30)] },
      { gte: ['_version', 3] },
      { lt: ['_lastActivityAt', at(70)] },
      { lte: ['__name', 'order 42'] },
      { and: [{ neq: ['_state', 'Closed'] }, { eq: ['__deletedAt', null] }] },
      { or: [{ eq: ['_state', 'Closed'] }, { eq: ['_userId', 'alice'] }] },
      { not: { in: ['_state', ['Waiting']] } },
    ];
    for (const who of [callers[0]!, callers[2]!, callers[3]!]) {
      await Promise.all(filters.map((where) => check(who, 'sessions', { where, count: true, size: 50 })));
    }
  });
});

describe('the seed searches', () => {
  const del = { eq: ['__deletedAt', null] };
  it('answers each seed example with the right items and an index', async () => {
    const admin = callers[0]!;
    const cases: [Collection, Record<string, unknown>, string][] = [
      ['lines', { where: { and: [del, { eq: ['__name', 'Alpha'] }] }, size: 1 }, 'gsi1'],
      ['channels', { where: { and: [del, { neq: ['_state', 'active'] }] }, size: 1000 }, 'gsi1'],
      ['channels', { where: { and: [del, { eq: ['_state', 'active'] }] }, size: 1 }, 'gsi1'],
      [
        'channels',
        { where: { and: [del, { neq: ['_state', 'active'] }, { in: ['_type', ['inbox', 'telegramBot', 'viberbot', 'livechat', 'instagram']] }] }, size: 100 },
        'gsi1',
      ],
      ['channels', { where: { and: [del, { eq: ['_type', 'telegram'] }] }, size: 1 }, 'gsi1'],
      ['clients', { where: { and: [del, { eq: ['_channel', api.channel.__id] }, { eq: ['_username', 'telegram_username'] }] }, size: 1 }, 'gsi1'],
      ['clients', { where: { and: [del, { eq: ['_username', 'telegram_username'] }] }, size: 1 }, 'gsi1'],
      ['sessions', { where: { and: [del, { all: ['_clients', [api.client.__id]] }, { neq: ['_state', 'Closed'] }] }, size: 1 }, 'gsi3'],
      ['sessions', { where: { and: [del, { eq: ['__id', api.session.__id] }] }, size: 1 }, 'table'],
    ];
    for (const [collection, body, index] of cases) {
      const r = await check(admin, collection, body);
      assert.equal(r.body.plan.index, index, JSON.stringify(body));
      assert.notEqual(r.body.plan.type, 'sweep', JSON.stringify(body));
      assert.match(r.headers.get('x-search-plan') ?? '', new RegExp(`index=${index}`));
      assert.ok(Number(r.headers.get('x-consumed-read-capacity')) > 0);
      assert.equal(r.body.consumedReadCapacity, Number(r.headers.get('x-consumed-read-capacity')));
    }
    // The client's open session, found the seed's way, is the one the API opened.
    const found = await search(admin, 'sessions', cases[7]![1]);
    assert.deepEqual(
      found.body.items.map((s: Session) => s.__id),
      [api.session.__id],
    );
    const line = await search(admin, 'lines', cases[0]![1]);
    assert.equal(line.body.items[0].__name, 'Alpha');
  });
});

describe('plans and cost', () => {
  it('stops early on a line queue: a page reads a fraction of the matches', async () => {
    const admin = callers[0]!;
    const line = (data.lines[1] as Line).__id;
    const where = { and: [{ eq: ['_line', line] }, { eq: ['_state', 'Waiting'] }] };
    const all = await check(admin, 'sessions', { where, count: true, size: 1000 });
    assert.ok(all.body.total >= 40);
    const page = await check(admin, 'sessions', { where, size: 5 });
    assert.equal(page.body.plan.index, 'gsi1');
    assert.ok(page.body.plan.itemsRead < all.body.total / 2, JSON.stringify(page.body.plan));
    assert.ok(page.body.consumedReadCapacity < all.body.consumedReadCapacity);
  });

  it('sweeps (never scans) when no key fits, and still answers right', async () => {
    for (const who of callers) {
      const r = await check(who, 'sessions', { where: { eq: ['__name', 'vip'] }, count: true });
      assert.equal(r.body.plan.type, 'sweep');
      assert.match(r.headers.get('x-search-plan') ?? '', /^sweep; index=gsi1/);
    }
  });

  it('an operator finds only the sessions of its lines; a line-less operator finds nothing', async () => {
    const op = callers[2]!;
    const r = await check(op, 'sessions', { count: true, size: 0 });
    const mine = new Set((data.lines as Line[]).filter((l) => l._operatorGroups.includes('g1')).map((l) => l.__id));
    assert.equal(r.body.total, data.sessions.filter((s) => mine.has(s._line as string)).length);
    const none = await check(callers[4]!, 'sessions', { count: true });
    assert.equal(none.body.total, 0);
    const beta = (data.lines[1] as Line).__id;
    const hidden = await check(op, 'sessions', { where: { eq: ['_line', beta] }, count: true });
    assert.equal(hidden.body.total, 0);
  });

  it('refuses integrations (403) and bad filters (400 naming the path)', async () => {
    // The OpenAPI document does not list 403 for search yet: check the status here only.
    process.env.CHATLINES_CHECK_RESPONSES = '0';
    const r = await host.call('POST', '/v1/sessions/search', { token: api.integration, body: {} });
    delete process.env.CHATLINES_CHECK_RESPONSES;
    assert.equal(r.status, 403);
    const admin = callers[0]!.token;
    const bad: [string, unknown, string][] = [
      ['sessions', { where: { and: [{ eq: ['__deletedAt', null] }, { eq: ['_nope', 1] }] } }, 'where.and.1.eq.0'],
      ['sessions', { where: { and: [{ eq: ['__deletedAt', null] }, { gt: ['_state', 'Closed'] }] } }, 'where.and.1.gt'],
      ['channels', { where: { eq: ['_type', 7] } }, 'where.eq.1'],
      ['sessions', { size: 1001 }, 'size'],
      ['sessions', { from: 20_000 }, 'from'],
      [
        'lines',
        { where: { not: { not: { not: { not: { not: { not: { not: { not: { eq: ['__name', 'x'] } } } } } } } } } },
        'where.not.not.not.not.not.not.not.not',
      ],
      ['clients', { sort: [{ field: '_extraData', ascending: true }] }, 'sort.0.field'],
    ];
    for (const [collection, body, path] of bad) {
      const reply = await host.call('POST', `/v1/${collection}/search`, { token: admin, body });
      assert.equal(reply.status, 400, JSON.stringify(body));
      assert.match(reply.headers.get('content-type') ?? '', /problem\+json/);
      assert.equal(reply.body.errors[0].path, path, JSON.stringify(reply.body));
    }
  });
});
