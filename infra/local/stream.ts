/**
 * The local host's stand-in for Lambda's DynamoDB-stream event source mapping: tails DynamoDB
 * Local's stream of the table (DescribeStream, GetShardIterator, GetRecords), applies the same
 * filter criteria as the mapping in AWS, and hands the same `DynamoDBStreamEvent` shape to the
 * same handler (functions/stream/stream-consumer.ts). Like the mapping it keeps a checkpoint per shard
 * (in the table itself, so a restarted host goes on where it stopped); each batch goes through the
 * mapping's documented semantics (stream-mapping.ts: partial batch responses, bisection on a
 * function error, retries, maximum record age), and what is discarded goes to the on-failure
 * destination (`STREAM#DEADLETTER` items in the table by default); then it goes on.
 */
import { createHash } from 'node:crypto';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { getItem, putItem } from '../../lib/adapters/dynamodb/db.ts';
import { streamCheckpointKey } from '../../lib/adapters/dynamodb/keys.ts';
import { STREAM_FILTER } from '../../lib/adapters/dynamodb/stream.ts';
import { asFunction } from './current-function.ts';
import { localClient } from './dynamodb.ts';
import { inBackground, onRequestWrite } from './dynamodb-calls.ts';
import { runMappingBatch, STREAM_CONSUMER_MAPPING, type StreamFailureMessage, type StreamHandler, type StreamMappingConfig } from './stream-mapping.ts';

export type { StreamHandler } from './stream-mapping.ts';

export interface StreamPollerOptions {
  endpoint: string;
  tableName: string;
  /** Defaults to functions/stream/stream-consumer.ts's handler. */
  handler?: StreamHandler;
  /** The function the handler plays (infra/local/current-function.ts); defaults to `stream-consumer`. */
  functionName?: string;
  /** Pause between polls of an idle shard (ms). */
  idleMs?: number;
  /** Records per GetRecords / per handler call (the mapping's batch size). */
  batchSize?: number;
  /** The mapping's settings (default: the stream consumer's in AWS, STREAM_CONSUMER_MAPPING). */
  mapping?: Partial<StreamMappingConfig>;
  /**
   * Names this mapping's checkpoints, for a second mapping on the same stream (as the live
   * fan-out's beside the consumer's in AWS); default: the stream consumer's.
   */
  mappingName?: string;
  /** The mapping's filter criteria (default: STREAM_FILTER's, evaluated by `passesFilter`). */
  filter?: (record: StreamRecord) => boolean;
  /** The on-failure destination (default: a `STREAM#DEADLETTER` item per discarded batch). */
  onFailure?: (message: StreamFailureMessage) => Promise<void>;
  /** Wait before retry number `retry` of a failing batch (default 50 ms doubling, at most 1 s). */
  retryDelayMs?: (retry: number) => number;
  onError?: (error: unknown) => void;
  /**
   * Start after what the stream already holds (the shards open at start are read from LATEST,
   * closed ones skipped), instead of resuming from the checkpoint or the trim horizon: for a
   * benchmark step on a table earlier steps filled.
   */
  fromNow?: boolean;
}

export interface StreamPoller {
  /** Resolves once every record written before the call has been handed to the handler. */
  drain(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
  /** Records handed to the handler (after filtering) since start. */
  readonly delivered: number;
}

const entities = new Set<string>(STREAM_FILTER.dynamodb.NewImage.entity.S);
/** The mapping's filter criteria, evaluated locally. */
export const passesFilter = (r: StreamRecord) => entities.has(String(r.dynamodb?.NewImage?.entity?.S ?? ''));

export function toLambdaRecord(r: StreamRecord, streamArn: string): DynamoDBRecord {
  const d = r.dynamodb ?? {};
  return {
    eventID: r.eventID,
    eventName: r.eventName as DynamoDBRecord['eventName'],
    eventVersion: r.eventVersion,
    eventSource: 'aws:dynamodb',
    awsRegion: r.awsRegion ?? 'local',
    eventSourceARN: streamArn,
    dynamodb: {
      ...(d.ApproximateCreationDateTime ? { ApproximateCreationDateTime: Math.floor(new Date(d.ApproximateCreationDateTime).getTime() / 1000) } : {}),
      Keys: d.Keys as never,
      ...(d.NewImage ? { NewImage: d.NewImage as never } : {}),
      ...(d.OldImage ? { OldImage: d.OldImage as never } : {}),
      SequenceNumber: d.SequenceNumber,
      SizeBytes: d.SizeBytes,
      StreamViewType: d.StreamViewType as never,
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The partition key of a stream record (its `pk`), as a string. */
const partitionKeyOf = (r: StreamRecord) => String(r.dynamodb?.Keys?.pk?.S ?? '');

/**
 * Spreads records over `n` batchers by a hash of their partition key (Lambda's parallelization
 * factor): one key always goes to the same batcher, so its records keep their stream order.
 * Batchers with nothing are left out.
 */
export function byPartitionKey(records: readonly StreamRecord[], n: number): StreamRecord[][] {
  if (n <= 1) return records.length ? [[...records]] : [];
  const slots: StreamRecord[][] = Array.from({ length: n }, () => []);
  for (const r of records) slots[createHash('sha1').update(partitionKeyOf(r)).digest().readUInt32BE(0) % n]!.push(r);
  return slots.filter((s) => s.length > 0);
}

/** Every shard of a stream, parents before their children (DescribeStream, page by page). */
export async function listShards(streams: DynamoDBStreamsClient, streamArn: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let start: string | undefined;
  do {
    const out = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn, ...(start ? { ExclusiveStartShardId: start } : {}) }));
    shards.push(...(out.StreamDescription?.Shards ?? []));
    start = out.StreamDescription?.LastEvaluatedShardId;
  } while (start);
  return shards;
}

export async function startStreamPoller(options: StreamPollerOptions): Promise<StreamPoller> {
  const handler = options.handler ?? (await import('../../functions/stream/stream-consumer.ts')).handler;
  const functionName = options.functionName ?? 'stream-consumer';
  const idleMs = options.idleMs ?? 50;
  const mapping: StreamMappingConfig = {
    ...STREAM_CONSUMER_MAPPING,
    ...(options.batchSize ? { BatchSize: options.batchSize } : {}),
    ...options.mapping,
  };
  const batchSize = mapping.BatchSize;
  const parallel = Math.max(1, Math.min(10, mapping.ParallelizationFactor ?? 1));
  // As many records as GetRecords answers (1,000): the filter drops most of them (a new session
  // writes six items, one of which the consumer wants), and each batcher still takes what it gets
  // in batches of at most BatchSize. A consumer that fell behind so catches up in larger batches,
  // each costing about the calls of a small one.
  const readLimit = 1_000;
  const checkpointKey = (shardId: string) => streamCheckpointKey(options.mappingName ? `${options.mappingName}#${shardId}` : shardId);
  const ddb = localClient(options.endpoint);
  const streams = new DynamoDBStreamsClient({
    endpoint: options.endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const { Table } = await ddb.send(new DescribeTableCommand({ TableName: options.tableName }));
  const streamArn = Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`the table ${options.tableName} has no stream`);

  let stopped = false;
  let delivered = 0;
  /** Shards whose records have all been handed over (closed and read to the end). */
  const finished = new Set<string>();
  const running = new Map<string, Promise<void>>();
  /** Per shard: the last sequence number handed over (or skipped by the filter). */
  const position = new Map<string, string>();
  /** Per shard: the newest sequence number seen in the stream (to know when a drain is done). */
  let drainWaiters: (() => void)[] = [];
  let idleRounds = 0;
  /**
   * An idle shard's pause ends early when a request writes to the table: the stream is read at
   * once, so a message reaches the consumer (and the live sockets) without waiting out the pause.
   */
  let wakeIdle: (() => void)[] = [];
  const stopWaking = onRequestWrite(() => {
    const waiting = wakeIdle;
    wakeIdle = [];
    for (const wake of waiting) wake();
  });
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        wakeIdle = wakeIdle.filter((w) => w !== wake);
        resolve();
      }, ms);
      wakeIdle.push(wake);
    });

  const report = (error: unknown) => (options.onError ?? ((e) => console.error(`chatlines stream: ${(e as Error).message}`)))(error);
  /** The on-failure destination: the caller's, else a `STREAM#DEADLETTER` item in the table. */
  const onFailure =
    options.onFailure ??
    (async (message: StreamFailureMessage) => {
      const info = message.DDBStreamBatchInfo;
      await putItem({
        pk: 'STREAM#DEADLETTER',
        sk: `${info.shardId}#${info.startSequenceNumber}`,
        entity: 'deadletter',
        message: JSON.stringify(message),
        at: message.timestamp,
      }).catch(report);
      report(new Error(`records ${info.startSequenceNumber}…${info.endSequenceNumber} (${info.batchSize}) discarded: ${message.requestContext.condition}`));
    });

  async function handOver(records: StreamRecord[], shardId: string): Promise<void> {
    await runMappingBatch(
      records.map((r) => toLambdaRecord(r, streamArn!)),
      {
        handler: (event) => asFunction(functionName, () => handler(event)),
        config: mapping,
        streamArn: streamArn!,
        shardId,
        onFailure,
        onFunctionError: report,
        retryDelayMs: options.retryDelayMs ?? ((retry) => Math.min(1_000, 25 * 2 ** retry)),
        stopped: () => stopped,
      },
    );
    delivered += records.length;
  }

  async function readShard(shard: Shard, latest = false): Promise<void> {
    const shardId = shard.ShardId!;
    const checkpoint = latest ? undefined : ((await getItem(checkpointKey(shardId)))?.sequenceNumber as string | undefined);
    let iterator = (
      await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shardId,
          ...(checkpoint
            ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: checkpoint }
            : { ShardIteratorType: latest ? 'LATEST' : 'TRIM_HORIZON' }),
        }),
      )
    ).ShardIterator;
    while (!stopped && iterator) {
      const out = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: readLimit }));
      const records = out.Records ?? [];
      iterator = out.NextShardIterator;
      const wanted = records.filter(options.filter ?? passesFilter);
      if (wanted.length > 0) {
        // The mapping's batchers: each takes the records of its partition keys in stream order,
        // in batches of at most BatchSize, one after the other; the batchers run side by side.
        await Promise.all(
          byPartitionKey(wanted, parallel).map(async (mine) => {
            for (let at = 0; at < mine.length; at += batchSize) await handOver(mine.slice(at, at + batchSize), shardId);
          }),
        );
        const last = wanted[wanted.length - 1]!.dynamodb!.SequenceNumber!;
        // Only after the handler took them: a restart resumes after the last record handed over.
        await putItem({ ...checkpointKey(shardId), entity: 'checkpoint', sequenceNumber: last });
      }
      if (records.length > 0) position.set(shardId, records[records.length - 1]!.dynamodb!.SequenceNumber!);
      if (records.length === 0) {
        if (!iterator) break;
        idleRounds++;
        flushDrains();
        await pause(idleMs);
      }
    }
    if (!iterator) finished.add(shardId);
  }

  function flushDrains() {
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const w of waiters) w();
  }

  async function discover(): Promise<void> {
    let first = true;
    while (!stopped) {
      try {
        const shards = await listShards(streams, streamArn!);
        const known = new Set(shards.map((s) => s.ShardId!));
        const fromNow = first && options.fromNow === true;
        first = false;
        for (const shard of shards) {
          const id = shard.ShardId!;
          if (running.has(id) || finished.has(id)) continue;
          if (fromNow && shard.SequenceNumberRange?.EndingSequenceNumber) {
            // Closed before the start: what it holds is not wanted.
            finished.add(id);
            continue;
          }
          // A child shard waits until its parent has been read to the end (order per item).
          if (shard.ParentShardId && known.has(shard.ParentShardId) && !finished.has(shard.ParentShardId)) continue;
          running.set(
            id,
            readShard(shard, fromNow)
              .catch((error: unknown) => {
                if (!stopped) report(error);
              })
              .finally(() => running.delete(id)),
          );
        }
      } catch (error) {
        if (!stopped) report(error);
      }
      await sleep(stopped ? 0 : 1_000);
    }
  }
  const discovering = inBackground(discover);

  return {
    get delivered() {
      return delivered;
    },
    /** Waits until every shard has come back empty twice after this call (all earlier writes handed over). */
    async drain(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      const startRound = idleRounds;
      while (idleRounds < startRound + 2 * Math.max(1, running.size)) {
        if (Date.now() > deadline) throw new Error('the stream was not drained in time');
        await new Promise<void>((resolve) => {
          drainWaiters.push(resolve);
          setTimeout(resolve, idleMs * 4);
        });
      }
    },
    async stop() {
      stopped = true;
      stopWaking();
      for (const wake of wakeIdle.splice(0)) wake();
      flushDrains();
      await Promise.allSettled([...running.values()]);
      await discovering;
      streams.destroy();
      ddb.destroy();
    },
  };
}
