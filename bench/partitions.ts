/**
 * The busiest partition: one line at 1,000 new sessions per second — does any
 * partition of the table or of an index go over DynamoDB's per-partition limits (1,000 WCU/s,
 * 3,000 RCU/s)? Simulated, not timed: N sessions live a realistic life through the API
 * (bench/walk.ts) on a fresh table, with the event workers running (stream consumer, live log,
 * webhook and messenger deliveries), then one run each of the shared background jobs (metrics
 * aggregation, timer sweep, delivery sweep). Every DynamoDB call is watched (lib/adapters/dynamodb/db.ts
 * `observeDynamo`) and the table's stream is read, so the partitions come from the keys the code
 * really writes and reads — whatever key design and index projections it has when this runs.
 * bench/partitions-model.ts turns them into units per partition (DynamoDB's rules) and the rate
 * model into units per second at 1,000 new sessions per second.
 */
import { randomUUID } from 'node:crypto';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, type _Record as StreamRecord } from '@aws-sdk/client-dynamodb-streams';
import { localClient } from '../infra/local/dynamodb.ts';
import { type DynamoObservation, observeDynamo } from '../infra/local/dynamodb-calls.ts';
import { type EventWorkers, startEventWorkers } from '../infra/local/events.ts';
import { listShards } from '../infra/local/stream.ts';
import { createTableInput, tableDefinition } from '../lib/adapters/dynamodb/table.ts';
import { aggregateMetrics } from '../lib/app/metrics/aggregate.ts';
import { sweepTimers } from '../lib/app/timers/sweep.ts';
import {
  accountWrites,
  batchGetReads,
  type Image,
  localTransactionUnits,
  MODEL,
  normalizePartition,
  type PartitionKind,
  type PartitionUnits,
  partitionPattern,
  queryPartition,
  type StreamChange,
  shardOf,
  singleRead,
  type TableSpec,
  tableSpecOf,
  toImage,
  unitsPerSecond,
  type WriteOp,
  withDefinedProjections,
} from './partitions-model.ts';
import { type Env, round } from './support.ts';
import { type EventTargets, openEventTargets, walkCaller, walkSession } from './walk.ts';
import { buildWorld } from './world.ts';

/** The phases of the run; all but the first are counted. */
const SESSIONS = 'sessions';
const BACKGROUND = ['metrics aggregation', 'timer sweep', 'delivery sweep'] as const;
/** The local stream poller's checkpoints (and dead letters): kept by the event source mapping in AWS, not in the table. */
const LOCAL_ONLY = /^STREAM#/;

export interface PartitionRow {
  /** `table` or an index name. */
  target: string;
  /** The access pattern: the partition key with its time bucket and the bench's ids named. */
  partition: string;
  kind: PartitionKind;
  /** Partitions behind the row: a session's own partitions (one per session; the figures are the busiest one's) or the shards of one key. */
  partitions: number;
  /** The row is the shards of one key (`…#<shard>`): its figures are their mean; the busiest shard of this sample in units/s. */
  shards?: { busiest: number };
  /** Units per session during the sessions' lives (line partitions) or of the busiest partition (others). */
  perSession: number;
  /** Units per run of each background job, where it touched the partition. */
  perRun: Record<string, number>;
  /** Units per second at 1,000 new sessions per second. */
  perSecond: number;
  pass: boolean;
}

export interface BackgroundRun {
  run: string;
  calls: number;
  readUnits: number;
  writeUnits: number;
  busiestRead?: { target: string; partition: string; units: number };
  busiestWrite?: { target: string; partition: string; units: number };
}

export interface PartitionsResult {
  sessions: number;
  /** The deployment's `LINE_SHARDS` (stack context `lineShards`) the run used. */
  lineShards: number;
  /** A session's life in all (its requests and event work, not the background runs), as DynamoDB bills it. */
  perSession: { writeUnits: number; readUnits: number };
  model: typeof MODEL;
  /** The key design simulated: each index with its projection. */
  design: string[];
  busiest: { write: PartitionRow | undefined; read: PartitionRow | undefined };
  overLimit: { write: PartitionRow[]; read: PartitionRow[] };
  top: { write: PartitionRow[]; read: PartitionRow[] };
  background: BackgroundRun[];
  /**
   * The model's write units against DynamoDB Local's ReturnConsumedCapacity, call by call: as
   * DynamoDB bills them, and with Local's sum of a transaction's distinct item figures replayed.
   */
  crossCheck: {
    calls: number;
    transactions: number;
    agreeing: number;
    agreeingLocalStyle: number;
    modelUnits: number;
    modelUnitsLocalStyle: number;
    localUnits: number;
    worst: string[];
  };
  /** Reads whose partition could not be told from the call (none expected). */
  unresolvedReads: number;
  assumptions: string[];
}

// ------------------------------------------------------------------------------------------
// What the calls did

interface ReadHit {
  phase: string;
  target: string;
  partition: string;
  units: number;
}
interface CallRecord {
  id: number;
  phase: string;
  command: string;
  kind: 'read' | 'write';
  /** Units DynamoDB reported (undefined for a failed condition: no answer). */
  reported: number | undefined;
}

const capacityOf = (consumed: unknown): number | undefined => {
  if (consumed === undefined) return undefined;
  const list = (Array.isArray(consumed) ? consumed : [consumed]) as { CapacityUnits?: number }[];
  return list.reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
};

type Plain = Record<string, unknown>;

class Recorder {
  phase = 'setup';
  readonly ops: WriteOp[] = [];
  readonly reads: ReadHit[] = [];
  readonly calls: CallRecord[] = [];
  unresolved = 0;

  constructor(
    private readonly table: TableSpec,
    private readonly tableName: string,
  ) {}

  /** An item's (or a key's) table key, by the table's key attribute names. */
  private readonly keyOf = (item: Plain | undefined) => ({
    pk: String(item?.[this.table.pk] ?? '?'),
    sk: this.table.sk ? String(item?.[this.table.sk] ?? '') : '',
  });

  readonly observe = (o: DynamoObservation): void => {
    const id = this.calls.length;
    const phase = this.phase;
    const input = o.input as Plain;
    const output = (o.output ?? {}) as Plain;
    const reported = o.output ? capacityOf(output.ConsumedCapacity) : undefined;
    const read = o.command === 'GetItem' || o.command === 'Query' || o.command === 'BatchGetItem';
    this.calls.push({ id, phase, command: o.command, kind: read ? 'read' : 'write', reported });
    const failed = o.conditionFailed === true;
    const keyOf = this.keyOf;
    const op = (key: { pk: string; sk: string }, kind: WriteOp['kind'], transactional: boolean, after?: Image) =>
      this.ops.push({ call: id, phase, key, kind, transactional, failed, ...(after ? { after } : {}) });
    switch (o.command) {
      case 'GetItem':
        this.reads.push({ phase, target: 'table', partition: keyOf(input.Key as Plain).pk, units: singleRead(reported, input.ConsistentRead === true) });
        break;
      case 'Query': {
        const at = queryPartition(input, this.table);
        if (!at) this.unresolved++;
        this.reads.push({
          phase,
          target: at?.target ?? String(input.IndexName ?? 'table'),
          partition: at?.partition ?? '?',
          units: singleRead(reported, input.ConsistentRead === true),
        });
        break;
      }
      case 'BatchGetItem': {
        const request = (input.RequestItems as Record<string, { Keys: Plain[]; ConsistentRead?: boolean }>)[this.tableName];
        if (!request) break;
        const found = ((output.Responses as Record<string, Plain[]>)?.[this.tableName] ?? []).map(toImage);
        const unprocessed = new Set(
          ((output.UnprocessedKeys as Record<string, { Keys: Plain[] }>)?.[this.tableName]?.Keys ?? []).map((k) => `${k.pk}\u0000${k.sk}`),
        );
        const keys = request.Keys.map(keyOf).filter((k) => !unprocessed.has(`${k.pk}\u0000${k.sk}`));
        for (const r of batchGetReads(keys, found, request.ConsistentRead === true, reported, this.table)) this.reads.push({ phase, ...r });
        break;
      }
      case 'PutItem':
        op(keyOf(input.Item as Plain), 'put', false, toImage(input.Item as Plain));
        break;
      case 'UpdateItem':
        op(keyOf(input.Key as Plain), 'update', false, input.ReturnValues === 'ALL_NEW' && output.Attributes ? toImage(output.Attributes as Plain) : undefined);
        break;
      case 'DeleteItem':
        op(keyOf(input.Key as Plain), 'delete', false);
        break;
      case 'TransactWriteItems':
        for (const t of input.TransactItems as Record<string, Plain>[]) {
          if (t.Put) op(keyOf(t.Put.Item as Plain), 'put', true, toImage(t.Put.Item as Plain));
          else if (t.Update) op(keyOf(t.Update.Key as Plain), 'update', true);
          else if (t.Delete) op(keyOf(t.Delete.Key as Plain), 'delete', true);
          else if (t.ConditionCheck) op(keyOf(t.ConditionCheck.Key as Plain), 'check', true);
        }
        break;
      case 'BatchWriteItem': {
        type Request = { PutRequest?: { Item: Plain }; DeleteRequest?: { Key: Plain } };
        const requests = (input.RequestItems as Record<string, Request[]>)[this.tableName] ?? [];
        const left = new Set(
          ((output.UnprocessedItems as Record<string, Request[]>)?.[this.tableName] ?? []).map((r) => {
            const k = keyOf(r.PutRequest?.Item ?? r.DeleteRequest?.Key);
            return `${k.pk}\u0000${k.sk}`;
          }),
        );
        for (const r of requests) {
          const k = keyOf(r.PutRequest?.Item ?? r.DeleteRequest?.Key);
          if (left.has(`${k.pk}\u0000${k.sk}`)) continue;
          if (r.PutRequest) op(k, 'put', false, toImage(r.PutRequest.Item));
          else op(k, 'delete', false);
        }
        break;
      }
    }
  };
}

// ------------------------------------------------------------------------------------------
// The table's stream, read from its first record on

async function openStreamTap(endpoint: string, tableName: string, table: TableSpec) {
  const ddb = localClient(endpoint);
  const streams = new DynamoDBStreamsClient({
    endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const { Table } = await ddb.send(new DescribeTableCommand({ TableName: tableName }));
  ddb.destroy();
  const streamArn = Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`the table ${tableName} has no stream`);
  const iterators = new Map<string, string | undefined>();
  const records: StreamChange[] = [];
  const str = (v: unknown) => String((v as { S?: string; N?: string } | undefined)?.S ?? (v as { N?: string } | undefined)?.N ?? '');
  return {
    records,
    /** Reads every record written since the last read (labelled `phase`). */
    async read(phase: string): Promise<void> {
      const shards = await listShards(streams, streamArn);
      // Parents before children: each item's changes stay in order.
      for (const shard of shards) {
        const id = shard.ShardId!;
        let iterator = iterators.has(id)
          ? iterators.get(id)
          : (await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: id, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
        while (iterator) {
          const out = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
          for (const r of (out.Records ?? []) as StreamRecord[]) {
            const d = r.dynamodb ?? {};
            records.push({
              key: { pk: str(d.Keys?.[table.pk]), sk: table.sk ? str(d.Keys?.[table.sk]) : '' },
              old: d.OldImage as Image | undefined,
              new: d.NewImage as Image | undefined,
              phase,
            });
          }
          iterator = out.NextShardIterator;
          if ((out.Records ?? []).length === 0) break;
        }
        iterators.set(id, iterator);
      }
    },
    close: () => streams.destroy(),
  };
}

// ------------------------------------------------------------------------------------------
// The step

/**
 * The line shards a deployment for 1,000 new sessions a second on one line is given (stack
 * context `lineShards`): a line's state partition takes about 0.5 WCU per session per shard of
 * `LINE_SHARDS`, so 8 shards keep it near 500 WCU/s. `LINE_SHARDS` in the bench's environment
 * overrides it (to see where a smaller deployment tops out).
 */
export const LINE_SHARDS_AT_LOAD = 8;

export async function benchPartitions(env: Env, quick: boolean): Promise<PartitionsResult> {
  const sessions = quick ? 10 : 40;
  const previousShards = process.env.LINE_SHARDS;
  const lineShards = Number(previousShards ?? LINE_SHARDS_AT_LOAD);
  process.env.LINE_SHARDS = String(lineShards);
  const previousTable = process.env.TABLE_NAME;
  const tableName = `bench-partitions-${randomUUID().slice(0, 8)}`;
  await env.useTable(tableName);
  const table = withDefinedProjections(tableSpecOf(createTableInput(tableName)), tableDefinition.globalSecondaryIndexes);
  const recorder = new Recorder(table, tableName);
  const tap = await openStreamTap(env.endpoint, tableName, table);
  let workers: EventWorkers | undefined;
  let targets: EventTargets | undefined;
  observeDynamo(recorder.observe);
  try {
    const w = await buildWorld(env);
    // A line as a busy one is run: response and resolution targets (so each session's clocks are written too).
    const line = await env.call('PATCH', `/v1/lines/${w.lineId}`, {
      token: w.admin,
      body: { _sla: { firstResponse: 120, nextResponse: 300, resolution: 3_600 } },
    });
    if (line.status !== 200) throw new Error(`line SLA: ${line.status} ${JSON.stringify(line.body)}`);
    // Retries only when asked: the delivery sweep is one of the measured background runs.
    workers = await startEventWorkers({ endpoint: env.endpoint, tableName, sweepEveryMs: 3_600_000, onError: () => undefined });
    targets = await openEventTargets(env, w);
    await workers.poller.drain(30_000);
    // Watermarks set, so that the measured runs read from here.
    await aggregateMetrics();
    await sweepTimers();
    await tap.read('setup');

    recorder.phase = SESSIONS;
    const { call } = walkCaller(env);
    const delivered = targets.expectWalks(sessions);
    const operators = new Map<string, number>();
    for (let i = 0; i < sessions; i++) {
      const walked = await walkSession(call, w, `partitions-${randomUUID()}`);
      operators.set(walked.operatorId, (operators.get(walked.operatorId) ?? 0) + 1);
    }
    await delivered();
    await workers.poller.drain(30_000);
    await tap.read(SESSIONS);
    const runs: Record<(typeof BACKGROUND)[number], () => Promise<unknown>> = {
      'metrics aggregation': () => aggregateMetrics(),
      'timer sweep': () => sweepTimers(),
      'delivery sweep': () => workers!.sweep(),
    };
    for (const run of BACKGROUND) {
      recorder.phase = run;
      await runs[run]();
      await workers.poller.drain(30_000);
      await tap.read(run);
    }
    recorder.phase = 'after';
    const known: Record<string, string> = { [w.lineId]: 'line', [w.channelId]: 'channel', [targets.webhookId]: 'webhook' };
    for (const id of operators.keys()) known[id] = 'operator';
    const operatorSessions = Math.max(...operators.values());
    return { ...analyse(recorder, tap.records, table, sessions, operatorSessions, known), lineShards };
  } finally {
    observeDynamo(undefined);
    await targets?.close();
    await workers?.stop();
    tap.close();
    if (previousTable) process.env.TABLE_NAME = previousTable;
    if (previousShards === undefined) delete process.env.LINE_SHARDS;
    else process.env.LINE_SHARDS = previousShards;
  }
}

// ------------------------------------------------------------------------------------------
// From hits to rows

interface Hit {
  phase: string;
  target: string;
  partition: string;
  units: number;
}

function rows(hits: readonly Hit[], limit: number, sessions: number, operatorSessions: number, known: Record<string, string>): PartitionRow[] {
  // Units per (target, normalized partition) per phase.
  const byPartition = new Map<string, { target: string; normalized: string; phases: Map<string, number> }>();
  for (const h of hits) {
    if (h.phase === 'setup' || h.phase === 'after' || LOCAL_ONLY.test(h.partition)) continue;
    const normalized = normalizePartition(h.partition);
    const k = `${h.target}\u0000${normalized}`;
    let p = byPartition.get(k);
    if (!p) byPartition.set(k, (p = { target: h.target, normalized, phases: new Map() }));
    p.phases.set(h.phase, (p.phases.get(h.phase) ?? 0) + h.units);
  }
  // Each partition's figures, then one row per access pattern: the shards of a line partition
  // averaged (a hash spreads the load evenly at 1,000 sessions/s), otherwise the busiest partition.
  const groups = new Map<string, { target: string; pattern: string; kind: PartitionKind; sharded: boolean; members: PartitionRow[] }>();
  for (const p of byPartition.values()) {
    const { pattern, kind } = partitionPattern(p.normalized, known);
    let perSecond = 0;
    const perRun: Record<string, number> = {};
    for (const [phase, units] of p.phases) {
      perSecond += unitsPerSecond(kind, units, sessions, operatorSessions);
      if (phase !== SESSIONS) perRun[phase] = units;
    }
    const own = p.phases.get(SESSIONS) ?? 0;
    const perSession = kind === 'line' ? own / sessions : kind === 'operator' ? own / Math.max(1, operatorSessions) : own;
    const shard = kind === 'line' ? shardOf(pattern) : undefined;
    const group = shard?.group ?? pattern;
    const k = `${p.target}\u0000${group}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { target: p.target, pattern: group, kind, sharded: shard !== undefined, members: [] }));
    g.members.push({ target: p.target, partition: pattern, kind, partitions: 1, perSession, perRun, perSecond, pass: perSecond <= limit });
  }
  // Shard 0 of a sharded key keeps the plain name (lib/adapters/dynamodb/keys.ts `sharded`): fold it into its shards.
  for (const g of groups.values()) {
    if (!g.sharded) continue;
    const base = `${g.target}\u0000${g.pattern.slice(0, -'#<shard>'.length)}`;
    const plain = groups.get(base);
    if (plain && !plain.sharded && plain.kind === 'line') {
      g.members.push(...plain.members);
      groups.delete(base);
    }
  }
  const out: PartitionRow[] = [];
  for (const g of groups.values()) {
    // The key's load divided among its shards: as many as the highest shard seen says there are
    // (a small sample does not touch every shard; an unseen shard still takes its share).
    const highest = Math.max(0, ...g.members.map((m) => shardOf(m.partition)?.shard ?? 0));
    const n = g.sharded ? Math.max(g.members.length, highest + 1) : g.members.length;
    if (g.sharded) {
      const perRun: Record<string, number> = {};
      for (const m of g.members) for (const [run, units] of Object.entries(m.perRun)) perRun[run] = (perRun[run] ?? 0) + units / n;
      const perSecond = g.members.reduce((x, m) => x + m.perSecond, 0) / n;
      out.push({
        target: g.target,
        partition: g.pattern,
        kind: g.kind,
        partitions: n,
        shards: { busiest: round(Math.max(...g.members.map((m) => m.perSecond)), 0) },
        perSession: round(g.members.reduce((x, m) => x + m.perSession, 0) / n, 2),
        perRun: Object.fromEntries(Object.entries(perRun).map(([run, units]) => [run, round(units, 1)])),
        perSecond: round(perSecond, 0),
        pass: perSecond <= limit,
      });
    } else {
      const top = g.members.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
      out.push({
        ...top,
        partition: g.pattern,
        partitions: n,
        perSession: round(top.perSession, 2),
        perRun: Object.fromEntries(Object.entries(top.perRun).map(([run, units]) => [run, round(units, 1)])),
        perSecond: round(top.perSecond, 0),
      });
    }
  }
  return out.sort((a, b) => b.perSecond - a.perSecond || a.partition.localeCompare(b.partition));
}

function busiestOf(hits: readonly Hit[], phase: string): { target: string; partition: string; units: number } | undefined {
  const sums = new Map<string, { target: string; partition: string; units: number }>();
  for (const h of hits) {
    if (h.phase !== phase || LOCAL_ONLY.test(h.partition)) continue;
    const partition = normalizePartition(h.partition);
    const k = `${h.target}\u0000${partition}`;
    const s = sums.get(k) ?? { target: h.target, partition, units: 0 };
    s.units += h.units;
    sums.set(k, s);
  }
  const best = [...sums.values()].sort((a, b) => b.units - a.units)[0];
  return best ? { ...best, units: round(best.units, 1) } : undefined;
}

function analyse(
  recorder: Recorder,
  records: readonly StreamChange[],
  table: TableSpec,
  sessions: number,
  operatorSessions: number,
  known: Record<string, string>,
): Omit<PartitionsResult, 'lineShards'> {
  const accounted = accountWrites(recorder.ops, records, table);
  const writeHits: Hit[] = accounted.flatMap((a) => a.writes.map((w) => ({ phase: a.phase, ...w })));
  const readHits: Hit[] = recorder.reads;

  // Cross-check: the model's units per write call against what DynamoDB Local reported for it,
  // as billed and with Local's way of adding up a transaction replayed.
  const byCall = new Map<number, PartitionUnits[][]>();
  for (const a of accounted) if (a.call !== undefined) byCall.set(a.call, [...(byCall.get(a.call) ?? []), a.writes]);
  const compared = recorder.calls.filter((c) => c.kind === 'write' && c.reported !== undefined);
  const diffs = compared.map((c) => {
    const items = byCall.get(c.id) ?? [];
    const model = items.flat().reduce((n, w) => n + w.units, 0);
    return { c, model, localStyle: c.command === 'TransactWriteItems' ? localTransactionUnits(items) : model, local: c.reported! };
  });
  const equal = (a: number, b: number) => Math.abs(a - b) < 0.01;
  const worst = diffs
    .filter((d) => !equal(d.localStyle, d.local))
    .sort((a, b) => Math.abs(b.localStyle - b.local) - Math.abs(a.localStyle - a.local))
    .slice(0, 3)
    .map((d) => `${d.c.command} (${d.c.phase}): model ${d.localStyle}, Local ${d.local}`);
  const sum = (f: (d: (typeof diffs)[number]) => number) =>
    round(
      diffs.reduce((n, d) => n + f(d), 0),
      1,
    );
  const writeRows = rows(writeHits, MODEL.writeLimit, sessions, operatorSessions, known);
  const readRows = rows(readHits, MODEL.readLimit, sessions, operatorSessions, known);
  const background: BackgroundRun[] = BACKGROUND.map((run) => {
    const calls = recorder.calls.filter((c) => c.phase === run);
    const busiestRead = busiestOf(readHits, run);
    const busiestWrite = busiestOf(writeHits, run);
    return {
      run,
      calls: calls.length,
      readUnits: round(
        calls.filter((c) => c.kind === 'read').reduce((n, c) => n + (c.reported ?? 0), 0),
        1,
      ),
      writeUnits: round(
        writeHits.filter((h) => h.phase === run).reduce((n, h) => n + h.units, 0),
        1,
      ),
      ...(busiestRead ? { busiestRead: { ...busiestRead, partition: partitionPattern(busiestRead.partition, known).pattern } } : {}),
      ...(busiestWrite ? { busiestWrite: { ...busiestWrite, partition: partitionPattern(busiestWrite.partition, known).pattern } } : {}),
    };
  });
  const f = (n: number) => n.toLocaleString('en');
  const lives = (hits: readonly Hit[]) =>
    round(hits.filter((h) => h.phase === SESSIONS && !LOCAL_ONLY.test(h.partition)).reduce((n, h) => n + h.units, 0) / sessions, 1);
  return {
    sessions,
    perSession: { writeUnits: lives(writeHits), readUnits: lives(readHits) },
    model: MODEL,
    design: table.indexes.map(
      (i) =>
        `${i.name} (${i.pk}${i.sk ? ` / ${i.sk}` : ''}, ${i.projection.type}${i.projection.type === 'INCLUDE' ? `: ${i.projection.attributes.join(', ')}` : ''})`,
    ),
    busiest: { write: writeRows[0], read: readRows[0] },
    overLimit: { write: writeRows.filter((r) => !r.pass), read: readRows.filter((r) => !r.pass) },
    top: { write: writeRows.slice(0, 10), read: readRows.slice(0, 10) },
    background,
    crossCheck: {
      calls: compared.length,
      transactions: diffs.filter((d) => d.c.command === 'TransactWriteItems').length,
      agreeing: diffs.filter((d) => equal(d.model, d.local)).length,
      agreeingLocalStyle: diffs.filter((d) => equal(d.localStyle, d.local)).length,
      modelUnits: sum((d) => d.model),
      modelUnitsLocalStyle: sum((d) => d.localStyle),
      localUnits: sum((d) => d.local),
      worst,
    },
    unresolvedReads: recorder.unresolved,
    assumptions: [
      `Load: one line, one channel, ${f(MODEL.newSessionsPerSecond)} new sessions per second, each living the life walked here; in steady state as many lives are under way as start, so a partition every session touches carries ${f(MODEL.newSessionsPerSecond)} × its units per session each second (a session's whole life counted at the rate of new sessions).`,
      `Units: 1 WCU/s = one write of up to 1 KB a second (2 inside a transaction, index writes included), 1 RCU/s = one strongly consistent read of up to 4 KB (half for an eventually consistent one, as every index read is). Limits: ${f(MODEL.writeLimit)} WCU/s and ${f(MODEL.readLimit)} RCU/s per partition key value, for the table and each index alike; split for heat (DynamoDB dividing a hot key's sort-key range) is not counted on.`,
      "Writes: from the table stream's item images (so each index's keys before and after), paired with the calls that made them (transactional or not, unchanged writes, failed conditions); reads: the partition each Query, GetItem and BatchGetItem named, with the units DynamoDB Local reported (at least a read's minimum, which Local leaves out for an empty result; a BatchGetItem split by item size).",
      "Partitions of one session, client, message, event or delivery (`<id>`, `<msg>`) carry one life: at most its units, as if the whole life came within a second — never hot. An operator's partitions (`<operator>`) carry that operator's sessions, at most one new one a second.",
      `Background runs (${BACKGROUND.join(', ')}) run once after the sessions; their load is per run, taken as proportional to the sessions the run processed (÷ ${sessions} × ${f(MODEL.newSessionsPerSecond)}/s): an overstatement of the sweeps' fixed part, and of the aggregation's rollup writes when fewer than 25 sessions ran (it writes up to 25 sessions per transaction, each rollup once per transaction, so a run at load writes a line's rollups once per 25 sessions; here once per ${Math.min(sessions, 25)}); averaged over the schedule (a run that finishes faster than its period concentrates it).`,
      "Cached reads: a function instance keeps a line it read for 60 s, a channel (for inbound messages) and a delivery target's endpoint for 10 s (lib/adapters/cache.ts). Here one instance serves every session, so such an item is read about once per period of the run; at load each instance reads it once per period — 300 instances, say, read a channel 30 times a second, 15 to 30 RCU/s, beside the 3,000 limit. The per-session figures count the reads this run made.",
      "Time buckets in partition keys (`<hour>`, `<minute>`, `<day>`) are one partition: only the current bucket is written. The local stream poller's checkpoints (`STREAM#…`) are left out (the event source mapping keeps them in AWS). The stream consumer runs small batches here; at load its batches are larger, so its per-batch reads are overstated.",
    ],
  };
}

// ------------------------------------------------------------------------------------------
// The report

const KIND: Record<PartitionKind, string> = { line: 'every session of the line', operator: 'one operator', entity: 'one session / item' };

export function partitionsMarkdown(p: PartitionsResult, row: (cells: unknown[]) => string): string[] {
  const f = (n: number) => n.toLocaleString('en');
  const mark = (pass: boolean) => (pass ? '✅' : '❌');
  const busiest = (r: PartitionRow | undefined, unit: string, limit: number) =>
    r
      ? row([
          `${r.target}`,
          `\`${r.partition}\`${r.shards ? ` (mean of ${r.partitions} shards)` : ''}`,
          KIND[r.kind],
          `${f(r.perSecond)} ${unit}/s`,
          `${mark(r.pass)} ≤ ${f(limit)}`,
        ])
      : row(['—', '—', '—', '—', '—']);
  const perRun = (r: PartitionRow) =>
    Object.entries(r.perRun)
      .map(([run, units]) => `${run} ${units}`)
      .join(', ') || '';
  const table = (list: PartitionRow[], unit: string, limit: number) => [
    row([
      '#',
      'Index',
      'Partition (access pattern)',
      'Shared by',
      'Units per session',
      'Units per background run',
      `${unit}/s at ${f(p.model.newSessionsPerSecond)} new sessions/s`,
      `≤ ${f(limit)}`,
    ]),
    row(['---:', '---', '---', '---', '---:', '---', '---:', '---']),
    ...list.map((r, i) =>
      row([
        i + 1,
        r.target,
        `\`${r.partition}\`${r.shards ? ` (mean of ${r.partitions} shards; busiest shard in this sample ${f(r.shards.busiest)})` : r.partitions > 1 ? ` (busiest of ${r.partitions})` : ''}`,
        KIND[r.kind],
        r.perSession || (Object.keys(r.perRun).length ? '—' : 0),
        perRun(r),
        f(r.perSecond),
        mark(r.pass),
      ]),
    ),
  ];
  const c = p.crossCheck;
  return [
    '## Busiest partition at 1,000 new sessions per second',
    '',
    `A deployment with \`LINE_SHARDS\` = ${p.lineShards} (stack context \`lineShards\`; the line's hot partitions split in ${p.lineShards}, the event log and deliveries lists in ${8 * p.lineShards}, the change index and due clocks in ${4 * p.lineShards}). ${p.sessions} sessions lived through the API on a fresh table (each: 4 client messages, taken by an operator, 4 replies, a note, a priority change, a close, on a line with SLA targets), with a webhook subscription on the line and the channel's messenger endpoint, the event workers running (stream consumer, live log, deliveries); then one run each of ${p.background.map((b) => b.run).join(', ')}. Every DynamoDB call is watched and the table stream read, so the partitions are those of the keys the code writes and reads — the key design simulated: table \`pk / sk\`; ${p.design.join('; ')}. Units per partition by DynamoDB's rules (bench/partitions-model.ts), then the rate model:`,
    '',
    ...p.assumptions.map((a) => `- ${a}`),
    '',
    row(['Busiest', 'Index', 'Partition', 'Shared by', 'At 1,000 new sessions/s', 'Limit']),
    row(['---', '---', '---', '---', '---:', '---']),
    busiest(p.busiest.write, 'WCU', p.model.writeLimit).replace(/^\| /, '| writes | '),
    busiest(p.busiest.read, 'RCU', p.model.readLimit).replace(/^\| /, '| reads | '),
    '',
    `Over the limit: ${p.overLimit.write.length} write and ${p.overLimit.read.length} read partitions. A session's life in all: ${p.perSession.writeUnits} WCU and ${p.perSession.readUnits} RCU as DynamoDB bills them.`,
    '',
    `### Top ${p.top.write.length} partitions by write rate`,
    '',
    ...table(p.top.write, 'WCU', p.model.writeLimit),
    '',
    `### Top ${p.top.read.length} partitions by read rate`,
    '',
    ...table(p.top.read, 'RCU', p.model.readLimit),
    '',
    '### Background runs (per run, not per session)',
    '',
    row(['Run', 'DynamoDB calls', 'RCU', 'WCU', 'Busiest read partition (RCU in the run)', 'Busiest write partition (WCU in the run)']),
    row(['---', '---:', '---:', '---:', '---', '---']),
    ...p.background.map((b) =>
      row([
        b.run,
        b.calls,
        b.readUnits,
        b.writeUnits,
        b.busiestRead ? `${b.busiestRead.target} \`${b.busiestRead.partition}\` ${b.busiestRead.units}` : '—',
        b.busiestWrite ? `${b.busiestWrite.target} \`${b.busiestWrite.partition}\` ${b.busiestWrite.units}` : '—',
      ]),
    ),
    '',
    `Model check — the model's write units (from the stream's item images) against DynamoDB Local's ReturnConsumedCapacity, call by call, over ${f(c.calls)} write calls (${f(c.transactions)} transactions): ${f(c.agreeing)} equal as billed (${f(c.modelUnits)} WCU vs Local's ${f(c.localUnits)}); ${f(c.agreeingLocalStyle)} equal (${f(c.modelUnitsLocalStyle)} WCU) once Local's way of adding up a transaction is replayed — Local counts the items of a transaction whose units are identical once (three 1 KB puts: 2 units, where DynamoDB bills 6; test/unit/partitions-model.test.ts shows it), so the simulation uses the billed figure${c.worst.length ? `; remaining differences: ${c.worst.join('; ')}` : ''}. Read units are Local's own figures (raised to a read's minimum where Local reports 0)${p.unresolvedReads ? `; ${p.unresolvedReads} Query calls whose partition could not be read from the key condition are counted under \`?\`` : ''}.`,
    '',
  ];
}
