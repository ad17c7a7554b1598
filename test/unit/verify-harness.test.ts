/**
 * The pure parts of the verify:aws harness (infra/verify): EventBridge patterns (also the
 * stream mappings' filter criteria), API Gateway's claim flattening, ARN globbing, and the
 * stream batch semantics (a poison record ends alone at the on-failure destination).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DynamoDBRecord } from 'aws-lambda';
import { matchesPattern } from '../../infra/verify/event-pattern.ts';
import { flattenClaims } from '../../infra/verify/http-api.ts';
import { runMappingBatch, type StreamFailureMessage } from '../../infra/verify/stream-batch.ts';
import { globMatch } from '../../infra/verify/template.ts';
import { STREAM_FILTER } from '../../lib/domain/events/map.ts';

describe('event patterns', () => {
  it('match exact values, prefixes, anything-but, exists and numeric ranges', () => {
    const event = { source: 'chatlines', 'detail-type': 'session.created', detail: { sequence: 3, tags: ['a', 'b'] } };
    assert.ok(matchesPattern({ source: ['chatlines'] }, event));
    assert.ok(matchesPattern({ 'detail-type': [{ prefix: 'session.' }] }, event));
    assert.ok(!matchesPattern({ 'detail-type': [{ 'anything-but': ['session.created'] }] }, event));
    assert.ok(matchesPattern({ detail: { sequence: [{ numeric: ['>', 1, '<=', 3] }] } }, event));
    assert.ok(matchesPattern({ detail: { tags: ['b'] } }, event));
    assert.ok(matchesPattern({ detail: { missing: [{ exists: false }] } }, event));
    assert.ok(!matchesPattern({ detail: { missing: ['x'] } }, event));
    assert.ok(matchesPattern({ $or: [{ source: ['other'] }, { source: ['chatlines'] }] }, event));
  });

  it("apply the stream mappings' filter to the Lambda record shape", () => {
    const record = (entity: string) => ({ dynamodb: { NewImage: { entity: { S: entity } } } });
    assert.ok(matchesPattern(STREAM_FILTER as never, record('session')));
    assert.ok(!matchesPattern(STREAM_FILTER as never, record('message')));
    assert.ok(!matchesPattern(STREAM_FILTER as never, { dynamodb: { Keys: {} } }));
  });
});

describe('API Gateway stand-ins', () => {
  it('flatten JWT claims to strings as the HTTP API does', () => {
    assert.deepEqual(flattenClaims({ sub: 'a', roles: ['admin', 'operator'], exp: 5, nested: { x: 1 } }), {
      sub: 'a',
      roles: '[admin operator]',
      exp: '5',
      nested: '{"x":1}',
    });
  });

  it('match source ARNs as Lambda permissions do', () => {
    assert.ok(globMatch('arn:aws:execute-api:us-east-1:1:api/*/*/v1/lines/{id}', 'arn:aws:execute-api:us-east-1:1:api/$default/GET/v1/lines/{id}'));
    assert.ok(!globMatch('arn:aws:execute-api:us-east-1:1:api/*/*/v1/lines', 'arn:aws:execute-api:us-east-1:1:api/$default/GET/v1/lines/{id}'));
  });
});

describe('stream batch semantics', () => {
  const records = Array.from(
    { length: 5 },
    (_, i): DynamoDBRecord => ({ eventID: String(i), dynamodb: { SequenceNumber: String(100 + i), ApproximateCreationDateTime: Date.now() / 1000 } }),
  );

  it('isolate a poison record: the first two take effect once, the third alone is discarded, the last two are retried', async () => {
    const taken = new Map<string, number>();
    const discarded: StreamFailureMessage[] = [];
    const report = await runMappingBatch(records, {
      // Reports exactly the records that failed (the third always does), the others take effect.
      handler: async ({ Records }) => {
        const failures = Records.filter((r) => r.dynamodb?.SequenceNumber === '102').map((r) => ({ itemIdentifier: r.dynamodb!.SequenceNumber! }));
        for (const r of Records) {
          if (r.dynamodb?.SequenceNumber === '102') break;
          taken.set(r.dynamodb!.SequenceNumber!, (taken.get(r.dynamodb!.SequenceNumber!) ?? 0) + 1);
        }
        if (Records[0]?.dynamodb?.SequenceNumber === '102' && Records.length > 1) throw new Error('the first record failed');
        return { batchItemFailures: failures };
      },
      config: { BatchSize: 5, BisectBatchOnFunctionError: true, ReportBatchItemFailures: true, MaximumRetryAttempts: 2, MaximumRecordAgeInSeconds: -1 },
      onFailure: async (m) => {
        discarded.push(m);
      },
      streamArn: 'arn:stream',
      shardId: 'shard-1',
    });
    assert.deepEqual(Object.fromEntries(taken), { '100': 1, '101': 1, '103': 1, '104': 1 });
    assert.equal(discarded.length, 1);
    assert.equal(discarded[0]!.DDBStreamBatchInfo.startSequenceNumber, '102');
    assert.equal(discarded[0]!.DDBStreamBatchInfo.batchSize, 1);
    assert.equal(discarded[0]!.requestContext.condition, 'RetryAttemptsExhausted');
    assert.equal(report.discarded, 1);
  });

  it('read an unknown identifier as a failure of the whole batch', async () => {
    let calls = 0;
    const discarded: StreamFailureMessage[] = [];
    await runMappingBatch(records.slice(0, 1), {
      handler: async () => {
        calls++;
        return { batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] };
      },
      config: { BatchSize: 5, BisectBatchOnFunctionError: false, ReportBatchItemFailures: true, MaximumRetryAttempts: 1, MaximumRecordAgeInSeconds: -1 },
      onFailure: async (m) => {
        discarded.push(m);
      },
      streamArn: 'arn:stream',
      shardId: 'shard-1',
    });
    assert.equal(calls, 2);
    assert.equal(discarded.length, 1);
  });
});
