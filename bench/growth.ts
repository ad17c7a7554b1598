/**
 * Step 3, growth: the table grows to 1,000 / 10,000 / 100,000 sessions (seeded with
 * BatchWriteItem, items built by lib/adapters/dynamodb/items.ts so every key is real) and at each size we
 * measure what a search page costs per indexed pattern against a Scan baseline (bench code
 * only), what one metrics aggregation costs after 100 changes, and what a metrics request costs.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mapPool } from '../lib/adapters/concurrency.ts';
import { clientItem } from '../lib/adapters/dynamodb/items.ts';
import { sessionItem } from '../lib/adapters/dynamodb/sessions.ts';
import { LineSessionState } from '../lib/contract/enums.ts';
import { type Client, ClientSchema, type Session, SessionSchema } from '../lib/contract/schemas.ts';
import { fill, served } from './ops.ts';
import { callLog, type Env, log, progress, resetCalls, round, usage } from './support.ts';
import type { World } from './world.ts';

const DAY = 86_400_000;
const LINES = 4;
const CHANNELS_PER_LINE = 2;
const OPERATORS = 20;
const SESSIONS_PER_CLIENT = 4;

interface Pattern {
  label: string;
  collection: string;
  where: unknown;
  indexed: boolean;
}

const PATTERNS: Pattern[] = [
  {
    label: "sessions: a line's waiting queue",
    collection: 'sessions',
    indexed: true,
    where: { and: [{ eq: ['_line', '$line'] }, { eq: ['_state', 'Waiting'] }] },
  },
  {
    label: "sessions: the seed's open sessions of a line",
    collection: 'sessions',
    indexed: true,
    where: { and: [{ eq: ['_line', '$line'] }, { eq: ['__deletedAt', null] }, { neq: ['_state', 'Closed'] }] },
  },
  { label: "sessions: an operator's sessions", collection: 'sessions', indexed: true, where: { eq: ['_userId', '$operator'] } },
  { label: "sessions: a client's chain", collection: 'sessions', indexed: true, where: { all: ['_clients', ['$client']] } },
  { label: "sessions: a channel's sessions", collection: 'sessions', indexed: true, where: { eq: ['_channel', '$channel'] } },
  { label: 'clients: of a channel', collection: 'clients', indexed: true, where: { eq: ['_channel', '$channel'] } },
  { label: 'sessions: High priority anywhere (no key: sweep)', collection: 'sessions', indexed: false, where: { eq: ['_priority', 'High'] } },
];

export interface GrowthCost {
  calls: number;
  rcu: number;
  wcu: number;
  itemsRead: number;
  status?: number;
  note?: string;
}

export interface GrowthSize {
  sessions: number;
  items: number;
  seedSeconds: number;
  search: Record<string, GrowthCost>;
  scan: GrowthCost;
  aggregation?: GrowthCost & { sessions?: number; transactions?: number };
  metrics?: GrowthCost;
}

export interface GrowthResult {
  sizes: GrowthSize[];
  patterns: { label: string; indexed: boolean }[];
  notes: string[];
  budget: { label: string; at1k: number; atMax: number; ratio: number; pass: boolean; unit: string }[];
}

/** Deterministic pseudo-random in [0, 1) from an integer. */
function rand(i: number, salt: number): number {
  let x = (i * 2654435761 + salt * 40503) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 2246822519) >>> 0;
  x ^= x >>> 13;
  return x / 2 ** 32;
}

const uuid = (kind: number, i: number) => `${kind.toString(16).padStart(8, '0')}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

function stateOf(i: number): Session['_state'] {
  const r = i % 100;
  if (r < 70) return LineSessionState.Closed;
  if (r < 80) return LineSessionState.AssignedToOperator;
  if (r < 88) return LineSessionState.Waiting;
  if (r < 93) return LineSessionState.AssignedToBot;
  return LineSessionState.MarkedAsSpam;
}

export interface Topology {
  lines: string[];
  channels: { id: string; line: string }[];
  operators: string[];
}

function seedSession(i: number, t: Topology, now: number): Session {
  const clientIndex = Math.floor(i / SESSIONS_PER_CLIENT);
  const channel = t.channels[clientIndex % t.channels.length]!;
  const state = stateOf(i);
  // Seeded history is 3-180 days old: older than the aggregation's first-run window (48 h),
  // so the changes of a run are the ones the bench makes.
  const created = now - 3 * DAY - Math.floor(rand(i, 1) * 177 * DAY);
  const updated = created + Math.floor(rand(i, 2) * 3_600_000);
  const operator = state === 'Waiting' || state === 'AssignedToBot' ? null : t.operators[i % t.operators.length]!;
  const iso = (ms: number) => new Date(ms).toISOString();
  const priorities = ['High', 'Medium', 'Low', null] as const;
  return {
    __id: uuid(0x5e55, i),
    __name: `Seeded session ${i}`,
    __createdAt: iso(created),
    __createdBy: 'bench-seed',
    __updatedAt: iso(updated),
    __updatedBy: 'bench-seed',
    __deletedAt: null,
    _line: channel.line,
    _channel: channel.id,
    _clients: [uuid(0xc11e, clientIndex)],
    _state: state,
    _priority: priorities[i % 4]!,
    _userId: operator,
    _userGroupId: state === 'Waiting' ? 'support' : null,
    _botId: state === 'AssignedToBot' ? 'bot-1' : null,
    _apps: [],
    _acceptedAt: operator ? iso(created + 60_000) : null,
    _closedAt: state === 'Closed' || state === 'MarkedAsSpam' ? iso(updated) : null,
    _lastActivityAt: iso(updated),
    _externalChatId: null,
    _externalChatName: null,
    _beforeSpam: null,
    _version: 1,
  };
}

function seedClient(c: number, t: Topology, now: number): Client {
  const channel = t.channels[c % t.channels.length]!;
  const created = new Date(now - 200 * DAY + c * 1000).toISOString();
  return {
    __id: uuid(0xc11e, c),
    __name: `client ${c}`,
    __createdAt: created,
    __createdBy: 'bench-seed',
    __updatedAt: created,
    __updatedBy: 'bench-seed',
    __deletedAt: null,
    _line: channel.line,
    _channel: channel.id,
    _username: `seed-client-${c}`,
    _applicationItem: null,
    _extraData: {},
    _blockedStatus: 'none',
  };
}

/** Writes sessions [from, to) and their clients with BatchWriteItem (25 per call, 8 in flight, unprocessed items retried). */
async function seed(client: DynamoDBDocumentClient, table: string, t: Topology, from: number, to: number, now: number): Promise<number> {
  const items: Record<string, unknown>[] = [];
  for (let i = from; i < to; i++) {
    items.push(sessionItem(seedSession(i, t, now)));
    if (i % SESSIONS_PER_CLIENT === 0) items.push(clientItem(seedClient(i / SESSIONS_PER_CLIENT, t, now)));
  }
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  const bar = progress(`seeding sessions ${from.toLocaleString('en')}–${to.toLocaleString('en')} (${items.length.toLocaleString('en')} items)`);
  let done = 0;
  await mapPool(batches, 8, async (batch) => {
    let pending = batch.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 20) throw new Error('BatchWriteItem kept returning unprocessed items');
      const out = await client.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = (out.UnprocessedItems?.[table] ?? []) as typeof pending;
      if (pending.length) await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
    }
    bar.tick(++done, batches.length);
  });
  bar.done();
  return items.length;
}

async function scanBaseline(client: DynamoDBDocumentClient, table: string): Promise<GrowthCost> {
  let start: Record<string, unknown> | undefined;
  const cost: GrowthCost = { calls: 0, rcu: 0, wcu: 0, itemsRead: 0 };
  do {
    const out = await client.send(
      new ScanCommand({
        TableName: table,
        Select: 'COUNT',
        FilterExpression: '#e = :s AND #st = :w',
        ExpressionAttributeNames: { '#e': 'entity', '#st': '_state' },
        ExpressionAttributeValues: { ':s': 'session', ':w': 'Waiting' },
        ReturnConsumedCapacity: 'TOTAL',
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    cost.calls++;
    cost.rcu += out.ConsumedCapacity?.CapacityUnits ?? 0;
    cost.itemsRead += out.ScannedCount ?? 0;
    start = out.LastEvaluatedKey;
  } while (start);
  cost.rcu = round(cost.rcu, 1);
  return cost;
}

function fromLog(status?: number): GrowthCost {
  const reads = callLog.filter((c) => ['GetItem', 'Query', 'Scan', 'BatchGetItem'].includes(c.op));
  return {
    calls: usage.calls,
    rcu: round(
      callLog.reduce((s, c) => s + c.rcu, 0),
      1,
    ),
    wcu: round(
      callLog.reduce((s, c) => s + c.wcu, 0),
      1,
    ),
    itemsRead: reads.reduce((s, c) => s + c.read, 0),
    ...(status !== undefined ? { status } : {}),
  };
}

type Aggregator = (since?: Date) => Promise<{ sessions?: number; transactions?: number; itemsRead?: number }>;

/**
 * The aggregation run of functions/schedule/aggregate-metrics.ts. Measured runs go through
 * lib/app/metrics/aggregate.ts with `since` = just before the 100 changes, so that the run's
 * 5-minute overlap does not pull in the previous size's changes (what the scheduled handler
 * would re-read when runs are minutes apart); without that entry point, the handler itself.
 */
async function loadAggregator(): Promise<Aggregator | undefined> {
  const file = join(import.meta.dirname, '..', 'functions', 'schedule', 'aggregate-metrics.ts');
  if (!existsSync(file)) return undefined;
  const lib = join(import.meta.dirname, '..', 'lib', 'app', 'metrics', 'aggregate.ts');
  // The use case itself (with `since`); a moved file must not silently fall back to the handler,
  // whose 5-minute overlap re-reads the previous sizes' changes.
  if (!existsSync(lib)) throw new Error(`growth: ${lib} not found (the aggregation use case moved?)`);
  {
    const m = (await import(pathToFileURL(lib).href)) as { aggregateMetrics?: (o?: { since?: Date }) => Promise<unknown> };
    const run = m.aggregateMetrics;
    if (typeof run === 'function') return async (since) => ((await run(since ? { since } : {})) ?? {}) as Awaited<ReturnType<Aggregator>>;
  }
  const mod = (await import(pathToFileURL(file).href)) as { handler?: (event?: unknown, context?: unknown) => Promise<unknown> };
  if (typeof mod.handler !== 'function') return undefined;
  const handler = mod.handler;
  return async () =>
    ((await handler({ source: 'aws.scheduler', 'detail-type': 'Scheduled Event', time: new Date().toISOString(), detail: {} }, {})) ?? {}) as Awaited<
      ReturnType<Aggregator>
    >;
}

/** Runs the growth step on its own table. */
export async function benchGrowth(env: Env, makeWorld: () => Promise<World>, sizes: number[]): Promise<GrowthResult> {
  const table = 'bench-growth';
  await env.useTable(table);
  const w = await makeWorld();
  const notes: string[] = [];
  // Topology through the API, so lines and channels are real: 4 lines × 2 channels.
  const t: Topology = { lines: [], channels: [], operators: Array.from({ length: OPERATORS }, (_, i) => `gop-${i}`) };
  for (let l = 0; l < LINES; l++) {
    const line = await env.call('POST', '/v1/lines', {
      token: w.admin,
      body: { __name: `Growth line ${l}`, _operatorGroups: ['support'], _supervisorGroups: ['leads'], _botId: 'bot-1' },
    });
    if (line.status !== 201) throw new Error(`growth line: ${line.status} ${JSON.stringify(line.body)}`);
    t.lines.push(line.body.__id);
    for (let c = 0; c < CHANNELS_PER_LINE; c++) {
      const ch = await env.call('POST', '/v1/channels', { token: w.admin, body: { _line: line.body.__id, _type: 'telegram', __name: `Growth ${l}.${c}` } });
      if (ch.status !== 201) throw new Error(`growth channel: ${ch.status}`);
      t.channels.push({ id: ch.body.__id, line: line.body.__id });
    }
  }
  const now = Date.now();
  // The seed must be what the model accepts.
  SessionSchema.parse(seedSession(3, t, now));
  ClientSchema.parse(seedClient(0, t, now));

  const raw = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: env.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const values = {
    line: t.lines[0]!,
    operator: t.operators[0]!,
    client: uuid(0xc11e, 0),
    channel: t.channels[0]!.id,
  };
  const searchAvailable = (collection: string) => served('POST', `/v1/${collection}/search`) !== undefined;
  const metricsAvailable = served('GET', '/v1/metrics') !== undefined;
  const aggregate = await loadAggregator();
  if (!aggregate) notes.push('aggregation: functions/schedule/aggregate-metrics.ts not available yet');
  if (!metricsAvailable) notes.push('metrics request: GET /v1/metrics not available yet');
  notes.push(
    'metrics request: the seeded history is older than the first aggregation window (48 h) and is not aggregated, so the rollups read are those of the bench changes; a series read costs by its rollup partition (line × dimension × period), which by design does not depend on the number of sessions.',
  );
  const readToken = w.admin;

  const result: GrowthSize[] = [];
  let seeded = 0;
  let items = 0;
  let changes = 0;
  try {
    if (aggregate) {
      // Catch up once so that each measured run covers only the 100 changes made before it.
      await aggregate();
    }
    for (const size of sizes) {
      const started = Date.now();
      items += await seed(raw, table, t, seeded, size, now);
      seeded = size;
      const seedSeconds = round((Date.now() - started) / 1000, 1);
      const row: GrowthSize = { sessions: size, items, seedSeconds, search: {}, scan: { calls: 0, rcu: 0, wcu: 0, itemsRead: 0 } };

      for (const p of PATTERNS) {
        if (!searchAvailable(p.collection)) {
          row.search[p.label] = { calls: 0, rcu: 0, wcu: 0, itemsRead: 0, note: 'not available yet' };
          continue;
        }
        // Warm once (function load, line cache), then measure one page.
        const body = { where: fill(p.where, values), from: 0, size: 10 };
        await env.call('POST', `/v1/${p.collection}/search`, { token: readToken, body });
        resetCalls();
        const r = await env.call('POST', `/v1/${p.collection}/search`, { token: readToken, body });
        row.search[p.label] = fromLog(r.status);
        if (r.status !== 200) row.search[p.label]!.note = `HTTP ${r.status}: ${JSON.stringify(r.body).slice(0, 160)}`;
      }
      const scanBar = progress(`Scan baseline over ${items.toLocaleString('en')} items`);
      row.scan = await scanBaseline(raw, table);
      scanBar.done();

      if (aggregate) {
        // 100 changes: 100 client messages that open sessions (each a change in the change index).
        const since = new Date(Date.now() - 1_000);
        await mapPool(
          Array.from({ length: 100 }, (_, i) => i),
          10,
          async () => {
            changes++;
            const r = await env.call('POST', `/v1/channels/${w.channelId}/inbound`, {
              token: w.integration,
              body: { account: `growth-change-${changes}-${Math.random().toString(36).slice(2)}`, body: 'a change' },
            });
            if (r.status !== 201) throw new Error(`growth change: ${r.status}`);
          },
        );
        resetCalls();
        const report = await aggregate(since);
        row.aggregation = {
          ...fromLog(),
          ...(report.sessions !== undefined ? { sessions: report.sessions } : {}),
          ...(report.transactions !== undefined ? { transactions: report.transactions } : {}),
        };
        if (report.itemsRead !== undefined) row.aggregation.itemsRead = report.itemsRead;
      }
      if (metricsAvailable) {
        const to = new Date().toISOString().slice(0, 10);
        const from = new Date(Date.now() - 30 * DAY).toISOString().slice(0, 10);
        const path = `/v1/metrics?type=processedSessions&line=${t.lines[0]}&granularity=day&from=${from}&to=${to}`;
        await env.call('GET', path, { token: readToken });
        resetCalls();
        const r = await env.call('GET', path, { token: readToken });
        row.metrics = fromLog(r.status);
        if (r.status !== 200) row.metrics.note = `HTTP ${r.status}: ${JSON.stringify(r.body).slice(0, 160)}`;
      }
      result.push(row);
      log(`  growth: ${size.toLocaleString('en')} sessions measured`);
    }
  } finally {
    raw.destroy();
  }

  // Budget: cost at the largest size ≤ 1.2 × cost at the smallest, for indexed patterns and metrics.
  const budget: GrowthResult['budget'] = [];
  const first = result[0];
  const last = result[result.length - 1];
  if (first && last && last !== first) {
    // Both the bill (RCU, in 0.5-unit steps) and the items read (finer) must stay within 1.2×.
    const ratioOf = (x: number, y: number) => (x > 0 ? y / x : y > 0 ? Infinity : 1);
    const check = (label: string, a: GrowthCost | undefined, b: GrowthCost | undefined) => {
      if (!a || !b || a.note || b.note) return;
      const rcu = ratioOf(a.rcu, b.rcu);
      const read = ratioOf(a.itemsRead, b.itemsRead);
      budget.push({ label, at1k: a.rcu, atMax: b.rcu, ratio: round(rcu, 2), pass: rcu <= 1.2, unit: 'RCU' });
      budget.push({ label, at1k: a.itemsRead, atMax: b.itemsRead, ratio: round(read, 2), pass: read <= 1.2, unit: 'items read' });
    };
    for (const p of PATTERNS.filter((x) => x.indexed)) check(`search — ${p.label}`, first.search[p.label], last.search[p.label]);
    check('metrics request', first.metrics, last.metrics);
    if (first.aggregation && last.aggregation) {
      check('aggregation after 100 changes', first.aggregation, last.aggregation);
    }
  }
  return { sizes: result, patterns: PATTERNS.map((p) => ({ label: p.label, indexed: p.indexed })), notes, budget };
}
