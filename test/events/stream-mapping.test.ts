/**
 * The event source mapping's documented semantics (infra/local/stream-mapping.ts), the local
 * poller's and the offline harness's, against handlers that fail on purpose: partial responses
 * checkpoint before the lowest reported record, a function error bisects, retries and record age
 * are capped, and what is discarded reaches the destination as metadata.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DynamoDBRecord } from 'aws-lambda';
import {
  runMappingBatch,
  STREAM_CONSUMER_MAPPING,
  type StreamFailureMessage,
  type StreamHandler,
  type StreamMappingConfig,
} from '../../infra/local/stream-mapping.ts';
import { partialBatchResponse } from '../../lib/adapters/dynamodb/stream.ts';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const record = (n: number, ageSeconds = 0): DynamoDBRecord => ({
  eventName: 'INSERT',
  dynamodb: { SequenceNumber: String(100 + n), ApproximateCreationDateTime: (NOW - ageSeconds * 1000) / 1000 },
});
const seq = (r: DynamoDBRecord) => Number(r.dynamodb!.SequenceNumber) - 100;

async function run(records: DynamoDBRecord[], handler: StreamHandler, config: Partial<StreamMappingConfig> = {}) {
  const batches: number[][] = [];
  const destination: StreamFailureMessage[] = [];
  const report = await runMappingBatch(records, {
    handler: async (event) => {
      batches.push(event.Records.map(seq));
      return handler(event);
    },
    config: { ...STREAM_CONSUMER_MAPPING, MaximumRetryAttempts: 2, ...config },
    onFailure: async (m) => void destination.push(m),
    streamArn: 'arn:stream',
    shardId: 'shard-1',
    now: () => NOW,
  });
  const discarded = destination.map((m) => [
    m.requestContext.condition,
    Number(m.DDBStreamBatchInfo.startSequenceNumber) - 100,
    m.DDBStreamBatchInfo.batchSize,
  ]);
  return { batches, discarded, report };
}

/** A handler as chatlines writes them: exactly the failed records, or a throw when the first failed. */
const failing =
  (bad: Set<number>): StreamHandler =>
  async (event) =>
    partialBatchResponse(
      event.Records,
      event.Records.flatMap((r, i) => (bad.has(seq(r)) ? [i] : [])),
    );

describe('stream mapping semantics', () => {
  test('the poison record is isolated: the records before it are not repeated, the ones after are', async () => {
    const { batches, discarded } = await run(
      [1, 2, 3, 4, 5].map((n) => record(n)),
      failing(new Set([3])),
    );
    // The retry of [3, 4, 5] is spent already: the halves inherit it (a split itself spends none).
    assert.deepEqual(batches, [[1, 2, 3, 4, 5], [3, 4, 5], [3, 4], [3], [3], [4], [5]]);
    assert.deepEqual(discarded, [['RetryAttemptsExhausted', 3, 1]]);
  });

  test('a handler that reports only the first record never isolates it: the batch from there is discarded whole', async () => {
    const firstOnly: StreamHandler = async (event) => ({ batchItemFailures: [{ itemIdentifier: event.Records[0]!.dynamodb!.SequenceNumber! }] });
    const { discarded } = await run(
      [1, 2, 3].map((n) => record(n)),
      firstOnly,
    );
    assert.deepEqual(discarded, [['RetryAttemptsExhausted', 1, 3]]);
  });

  test('a function error bisects (no retry spent); without bisection the whole batch is retried, then discarded', async () => {
    const throwsOn3: StreamHandler = async (event) => {
      if (event.Records.some((r) => seq(r) === 3)) throw new Error('boom');
      return { batchItemFailures: [] };
    };
    const bisected = await run(
      [1, 2, 3, 4].map((n) => record(n)),
      throwsOn3,
    );
    assert.deepEqual(bisected.batches, [[1, 2, 3, 4], [1, 2], [3, 4], [3], [3], [3], [4]]);
    assert.deepEqual(bisected.discarded, [['RetryAttemptsExhausted', 3, 1]]);
    const whole = await run(
      [1, 2, 3, 4].map((n) => record(n)),
      throwsOn3,
      { BisectBatchOnFunctionError: false },
    );
    assert.deepEqual(whole.batches, [
      [1, 2, 3, 4],
      [1, 2, 3, 4],
      [1, 2, 3, 4],
    ]);
    assert.deepEqual(whole.discarded, [['RetryAttemptsExhausted', 1, 4]]);
  });

  test('an empty or unknown identifier is a failure of the whole batch; without ReportBatchItemFailures a list is ignored', async () => {
    const bogus: StreamHandler = async () => ({ batchItemFailures: [{ itemIdentifier: '' }] });
    assert.deepEqual((await run([record(1)], bogus)).discarded, [['RetryAttemptsExhausted', 1, 1]]);
    const reports: StreamHandler = async (event) => ({ batchItemFailures: [{ itemIdentifier: event.Records[0]!.dynamodb!.SequenceNumber! }] });
    const ignored = await run(
      [1, 2].map((n) => record(n)),
      reports,
      { ReportBatchItemFailures: false },
    );
    assert.deepEqual(ignored.batches, [[1, 2]]);
    assert.deepEqual(ignored.discarded, []);
  });

  test('records older than the maximum age are discarded before the invocation; -1 retries without end until success', async () => {
    const { batches, discarded } = await run([record(1, 120), record(2, 30)], async () => ({ batchItemFailures: [] }), { MaximumRecordAgeInSeconds: 60 });
    assert.deepEqual(batches, [[2]]);
    assert.deepEqual(discarded, [['RecordAgeExceeded', 1, 1]]);
    let calls = 0;
    const flaky: StreamHandler = async (event) =>
      ++calls < 20 ? { batchItemFailures: [{ itemIdentifier: event.Records[0]!.dynamodb!.SequenceNumber! }] } : null;
    const endless = await run([record(1)], flaky, { MaximumRetryAttempts: -1 });
    assert.equal(endless.batches.length, 20);
    assert.deepEqual(endless.discarded, []);
  });
});
