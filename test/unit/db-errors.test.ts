/**
 * Failures DynamoDB Local cannot produce on demand — throttling and transaction conflicts —
 * mapped to chatlines errors and HTTP answers. This file replaces the document client's `send`
 * with a stub that throws the SDK's error shapes: the one place the project mocks DynamoDB,
 * and only for these failures.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { db, getItem, putNew, transact } from '../../lib/adapters/dynamodb/db.ts';
import { errorResponse } from '../../lib/adapters/http/problem.ts';
import { ChatlinesError } from '../../lib/contract/errors.ts';

let failure: unknown;
before(() => {
  process.env.TABLE_NAME = 'unit';
  process.env.DYNAMODB_ENDPOINT = 'http://127.0.0.1:9'; // never reached: send is stubbed
  const client = db();
  (client as unknown as { send: () => Promise<never> }).send = async () => {
    throw failure;
  };
});

const sdkError = (name: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(name), { name, $metadata: {}, ...extra });

it('throttling on a read is 429 with Retry-After', async () => {
  failure = sdkError('ProvisionedThroughputExceededException');
  const error = await getItem({ pk: 'a', sk: 'b' }).catch((e: unknown) => e);
  assert.ok(error instanceof ChatlinesError && error.kind === 'throttled');
  const reply = errorResponse(error, 'req');
  assert.equal(reply.status, 429);
  assert.ok(reply.headers?.['retry-after']);
});

it('a transaction cancelled by TransactionConflict is a 409 conflict', async () => {
  failure = sdkError('TransactionCanceledException', { CancellationReasons: [{ Code: 'TransactionConflict' }, { Code: 'None' }] });
  const error = await transact([putNew({ pk: 'a', sk: 'b' })], 'the session changed').catch((e: unknown) => e);
  assert.ok(error instanceof ChatlinesError && error.kind === 'conflict');
  assert.match(error.message, /concurrent/);
  assert.equal(errorResponse(error, 'req').status, 409);
});

it('a transaction cancelled by throttling is 429, not 409', async () => {
  failure = sdkError('TransactionCanceledException', { CancellationReasons: [{ Code: 'ThrottlingError' }] });
  const error = await transact([putNew({ pk: 'a', sk: 'b' })], 'x').catch((e: unknown) => e);
  assert.ok(error instanceof ChatlinesError && error.kind === 'throttled');
});

it('an unknown SDK failure stays an internal error: 500 without its message or stack', async () => {
  failure = sdkError('ValidationException', { message: 'secret internals' });
  const error = await getItem({ pk: 'a', sk: 'b' }).catch((e: unknown) => e);
  const reply = errorResponse(error, 'req-1');
  assert.equal(reply.status, 500);
  assert.doesNotMatch(JSON.stringify(reply.body), /secret internals|at .*\.ts/);
  assert.match(reply.body.detail, /req-1/);
});
