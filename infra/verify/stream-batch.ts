/**
 * One batch of a DynamoDB stream event source mapping, run with the semantics AWS documents
 * (the harness's minimal copy; it has the shape of `runMappingBatch` in
 * infra/local/stream-mapping.ts, the one implementation the local poller uses, so the harness can
 * switch to it by changing one import):
 *
 * - success (no `batchItemFailures`, or ReportBatchItemFailures off): every record is done;
 * - a partial response: the records before the lowest reported sequence number are done, the
 *   rest is retried (an empty, null or unknown identifier is a function error);
 * - a function error: with BisectBatchOnFunctionError the batch is split in two and each half
 *   retried (a split spends no retry); a single record is retried;
 * - a batch whose retries are spent (MaximumRetryAttempts; -1: until it expires), or whose records
 *   outlived MaximumRecordAgeInSeconds, is discarded: one message with its metadata only goes to
 *   the on-failure destination.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

export type StreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined | null>;

export interface StreamMappingConfig {
  BatchSize: number;
  BisectBatchOnFunctionError: boolean;
  ReportBatchItemFailures: boolean;
  MaximumRetryAttempts: number;
  MaximumRecordAgeInSeconds: number;
}

export interface StreamFailureMessage {
  requestContext: { requestId: string; functionArn: string; condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded'; approximateInvokeCount: number };
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
  onFailure: (message: StreamFailureMessage) => Promise<void>;
  streamArn: string;
  shardId: string;
  functionArn?: string;
  retryDelayMs?: (retry: number) => number;
  /** A safety cap on retries when MaximumRetryAttempts is -1 (the harness's records never expire). */
  retryCap?: number;
  now?: () => number;
}

export interface StreamMappingReport {
  invocations: number;
  discarded: number;
}

type Outcome = { kind: 'done' } | { kind: 'partial'; from: number } | { kind: 'error' };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const arrival = (r: DynamoDBRecord) => new Date((r.dynamodb?.ApproximateCreationDateTime ?? 0) * 1000).toISOString();

async function invoke(handler: StreamHandler, records: DynamoDBRecord[], config: StreamMappingConfig): Promise<Outcome> {
  let response: DynamoDBBatchResponse | undefined | null;
  try {
    response = await handler({ Records: records });
  } catch {
    return { kind: 'error' };
  }
  const failures = response?.batchItemFailures;
  if (!config.ReportBatchItemFailures || !failures || failures.length === 0) return { kind: 'done' };
  let lowest = Number.POSITIVE_INFINITY;
  for (const failure of failures) {
    const id = failure?.itemIdentifier;
    const at = id ? records.findIndex((r) => r.dynamodb?.SequenceNumber === id) : -1;
    if (at < 0) return { kind: 'error' };
    lowest = Math.min(lowest, at);
  }
  return { kind: 'partial', from: lowest };
}

/** Runs one batch (records in stream order, already filtered) until each record is taken or discarded. */
export async function runMappingBatch(records: readonly DynamoDBRecord[], context: StreamMappingContext): Promise<StreamMappingReport> {
  const { config } = context;
  const now = context.now ?? Date.now;
  const report: StreamMappingReport = { invocations: 0, discarded: 0 };
  const limit = config.MaximumRetryAttempts < 0 ? (context.retryCap ?? 20) : config.MaximumRetryAttempts;

  const discard = async (batch: DynamoDBRecord[], condition: StreamFailureMessage['requestContext']['condition'], invokeCount: number) => {
    report.discarded += batch.length;
    await context.onFailure({
      requestContext: { requestId: randomUUID(), functionArn: context.functionArn ?? 'local', condition, approximateInvokeCount: invokeCount },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', ...(condition === 'RetryAttemptsExhausted' ? { functionError: 'Unhandled' } : {}) },
      version: '1.0',
      timestamp: new Date(now()).toISOString(),
      DDBStreamBatchInfo: {
        shardId: context.shardId,
        startSequenceNumber: batch[0]!.dynamodb!.SequenceNumber!,
        endSequenceNumber: batch.at(-1)!.dynamodb!.SequenceNumber!,
        approximateArrivalOfFirstRecord: arrival(batch[0]!),
        approximateArrivalOfLastRecord: arrival(batch.at(-1)!),
        batchSize: batch.length,
        streamArn: context.streamArn,
      },
    });
  };

  const run = async (initial: DynamoDBRecord[], retriesSpent: number): Promise<void> => {
    let batch = initial;
    let retries = retriesSpent;
    while (batch.length > 0) {
      const maxAge = config.MaximumRecordAgeInSeconds;
      if (maxAge >= 0) {
        const expired = batch.filter((r) => now() / 1000 - (r.dynamodb?.ApproximateCreationDateTime ?? now() / 1000) > maxAge);
        if (expired.length > 0) {
          await discard(expired, 'RecordAgeExceeded', retries + 1);
          batch = batch.filter((r) => !expired.includes(r));
          continue;
        }
      }
      report.invocations++;
      const outcome = await invoke(context.handler, batch, config);
      if (outcome.kind === 'done') return;
      if (outcome.kind === 'partial') {
        batch = batch.slice(outcome.from);
      } else if (config.BisectBatchOnFunctionError && batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        await run(batch.slice(0, half), retries);
        await run(batch.slice(half), retries);
        return;
      }
      if (retries >= limit) {
        await discard(batch, 'RetryAttemptsExhausted', retries + 1);
        return;
      }
      retries++;
      await sleep(context.retryDelayMs?.(retries) ?? 0);
    }
  };
  await run([...records], 0);
  return report;
}
