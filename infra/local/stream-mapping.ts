/**
 * The documented semantics of a Lambda event source mapping on a DynamoDB stream, for hosts that
 * have no Lambda: the local stream poller (stream.ts) and the offline AWS harness hand each batch
 * they read to `runMappingBatch`, which invokes the handler as Lambda would and returns once every
 * record of the batch has either been taken or been discarded to the on-failure destination:
 *
 * - Success (no `batchItemFailures`, an empty or null list): the whole batch is done.
 * - Partial response, with ReportBatchItemFailures on: Lambda checkpoints before the record with the
 *   lowest reported sequence number (the records before it are done) and retries from there to the
 *   batch's end; with BisectBatchOnFunctionError on too, the batch is "bisected at the returned
 *   sequence number": the same cut. Without ReportBatchItemFailures the list is ignored (success).
 * - A function error — the handler throws, or a reported identifier is empty, null or not one of
 *   the batch's sequence numbers: the whole batch failed. With BisectBatchOnFunctionError the batch
 *   is split in two and each half retried (a split consumes no retry); a single record is retried.
 * - MaximumRetryAttempts (-1: until the record expires): a batch whose retries are spent is
 *   discarded. MaximumRecordAgeInSeconds (-1: no limit): records older than that are discarded
 *   before an invocation. A discarded batch sends one message to the on-failure destination with
 *   its metadata only (shard, first and last sequence number, size: `DDBStreamBatchInfo`, as Lambda's
 *   SQS destination receives it), and the mapping goes on with the stream.
 *
 * The handler of a stream function of chatlines reports exactly its failed records, or throws when
 * the first record of the batch failed (lib/adapters/dynamodb/stream.ts `partialBatchResponse`), so
 * a poison record ends alone at the destination and the records around it take effect.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

export type StreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined | null>;

/** The mapping's settings, named as in CreateEventSourceMapping. */
export interface StreamMappingConfig {
  /** Records per invocation (what the source reads per batch). */
  BatchSize: number;
  BisectBatchOnFunctionError: boolean;
  /** `FunctionResponseTypes: ['ReportBatchItemFailures']`. */
  ReportBatchItemFailures: boolean;
  /** -1: retried until the record expires. */
  MaximumRetryAttempts: number;
  /** -1: no limit. */
  MaximumRecordAgeInSeconds: number;
  /**
   * Concurrent batches per shard (1–10). Lambda spreads a shard's records over this many batchers
   * by partition key: the records of one partition key keep their order, records of different
   * keys may be handled side by side (the local poller does the same: stream.ts).
   */
  ParallelizationFactor?: number;
}

/** The stream consumer's mapping as the stack configures it (infra/aws/events.ts). */
export const STREAM_CONSUMER_MAPPING: StreamMappingConfig = {
  BatchSize: 100,
  BisectBatchOnFunctionError: true,
  ReportBatchItemFailures: true,
  MaximumRetryAttempts: 10,
  MaximumRecordAgeInSeconds: 86_400,
  // Arrivals of many sessions are routed side by side; a session's own records (one partition
  // key: the session, its messages and history) stay in order (docs/routing.md, throughput).
  ParallelizationFactor: 4,
};

/** The live fan-out's mapping as the stack configures it (infra/aws/live.ts). */
export const LIVE_FANOUT_MAPPING: StreamMappingConfig = {
  BatchSize: 100,
  BisectBatchOnFunctionError: true,
  ReportBatchItemFailures: true,
  MaximumRetryAttempts: 5,
  MaximumRecordAgeInSeconds: 3_600,
};

/** What Lambda sends to a stream mapping's on-failure destination (metadata only, never the records). */
export interface StreamFailureMessage {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
    approximateInvokeCount: number;
  };
  responseContext: { statusCode: number; executedVersion: string; functionError?: string };
  version: '1.0';
  timestamp: string;
  DDBStreamBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

export interface StreamMappingContext {
  handler: StreamHandler;
  config: StreamMappingConfig;
  /** The on-failure destination. */
  onFailure: (message: StreamFailureMessage) => Promise<void>;
  streamArn: string;
  shardId: string;
  functionArn?: string;
  /** Wait before retry number `retry` (1, 2, …) of a batch. Lambda retries at once; hosts may back off. */
  retryDelayMs?: (retry: number) => number;
  /** A function error (a throw, or a response Lambda reads as one). */
  onFunctionError?: (error: unknown) => void;
  /** Checked before each invocation: a stopping host gives up the batch (it is read again on restart). */
  stopped?: () => boolean;
  now?: () => number;
  /** With MaximumRetryAttempts -1, a host that cannot wait for a record to expire stops after this many retries. */
  retryCap?: number;
}

/** What the mapping did with one batch (for tests and the harness's report). */
export interface StreamMappingReport {
  invocations: number;
  /** Records discarded to the destination. */
  discarded: number;
}

interface Pending {
  records: DynamoDBRecord[];
  /** Retries spent on these records. */
  retries: number;
}

type Outcome = { kind: 'done' } | { kind: 'partial'; from: number } | { kind: 'error'; error: unknown };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const arrival = (r: DynamoDBRecord) => new Date((r.dynamodb?.ApproximateCreationDateTime ?? 0) * 1000).toISOString();

/** Invokes the handler once and reads its answer as Lambda does. */
async function invoke(handler: StreamHandler, records: DynamoDBRecord[], config: StreamMappingConfig): Promise<Outcome> {
  let response: DynamoDBBatchResponse | undefined | null;
  try {
    response = await handler({ Records: records });
  } catch (error) {
    return { kind: 'error', error };
  }
  const failures = response?.batchItemFailures;
  if (!config.ReportBatchItemFailures || !failures || failures.length === 0) return { kind: 'done' };
  let lowest = Number.POSITIVE_INFINITY;
  for (const failure of failures) {
    const id = failure?.itemIdentifier;
    const at = id ? records.findIndex((r) => r.dynamodb?.SequenceNumber === id) : -1;
    if (at < 0) return { kind: 'error', error: new Error(`the response names no record of the batch: ${JSON.stringify(id ?? null)}`) };
    lowest = Math.min(lowest, at);
  }
  return { kind: 'partial', from: lowest };
}

/**
 * Runs one batch (records in stream order, already filtered) through the mapping's semantics.
 * Resolves when every record is taken or discarded; rejects only when `stopped()` turned true.
 */
export async function runMappingBatch(records: readonly DynamoDBRecord[], context: StreamMappingContext): Promise<StreamMappingReport> {
  const { config } = context;
  const now = context.now ?? Date.now;
  const report: StreamMappingReport = { invocations: 0, discarded: 0 };
  const discard = async (batch: DynamoDBRecord[], condition: StreamFailureMessage['requestContext']['condition'], invokeCount: number) => {
    report.discarded += batch.length;
    const first = batch[0]!;
    const last = batch[batch.length - 1]!;
    await context.onFailure({
      requestContext: {
        requestId: randomUUID(),
        functionArn: context.functionArn ?? 'local',
        condition,
        approximateInvokeCount: invokeCount,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', ...(condition === 'RetryAttemptsExhausted' ? { functionError: 'Unhandled' } : {}) },
      version: '1.0',
      timestamp: new Date(now()).toISOString(),
      DDBStreamBatchInfo: {
        shardId: context.shardId,
        startSequenceNumber: first.dynamodb?.SequenceNumber ?? '',
        endSequenceNumber: last.dynamodb?.SequenceNumber ?? '',
        approximateArrivalOfFirstRecord: arrival(first),
        approximateArrivalOfLastRecord: arrival(last),
        batchSize: batch.length,
        streamArn: context.streamArn,
      },
    });
  };

  // Batches still to run, in stream order (a split puts its halves first).
  const work: Pending[] = records.length > 0 ? [{ records: [...records], retries: 0 }] : [];
  while (work.length > 0) {
    const pending = work.shift()!;
    if (context.stopped?.()) throw new Error('the mapping stopped');
    if (config.MaximumRecordAgeInSeconds >= 0) {
      const oldest = now() - config.MaximumRecordAgeInSeconds * 1000;
      const expired = pending.records.filter((r) => (r.dynamodb?.ApproximateCreationDateTime ?? Number.POSITIVE_INFINITY) * 1000 < oldest);
      if (expired.length > 0) {
        await discard(expired, 'RecordAgeExceeded', pending.retries);
        pending.records = pending.records.filter((r) => !expired.includes(r));
        if (pending.records.length === 0) continue;
      }
    }
    report.invocations++;
    const outcome = await invoke(context.handler, pending.records, config);
    if (outcome.kind === 'done') continue;
    if (outcome.kind === 'error') {
      context.onFunctionError?.(outcome.error);
      if (config.BisectBatchOnFunctionError && pending.records.length > 1) {
        const half = Math.ceil(pending.records.length / 2);
        work.unshift({ records: pending.records.slice(0, half), retries: pending.retries }, { records: pending.records.slice(half), retries: pending.retries });
        continue;
      }
    }
    // A retry of what is left: from the lowest reported record, or the whole batch.
    const left = outcome.kind === 'partial' ? pending.records.slice(outcome.from) : pending.records;
    const retries = pending.retries + 1;
    const retryLimit = config.MaximumRetryAttempts >= 0 ? config.MaximumRetryAttempts : context.retryCap;
    if (retryLimit !== undefined && retries > retryLimit) {
      await discard(left, 'RetryAttemptsExhausted', retries);
      continue;
    }
    const delay = context.retryDelayMs?.(retries) ?? 0;
    if (delay > 0) await sleep(delay);
    work.unshift({ records: left, retries });
  }
  return report;
}
