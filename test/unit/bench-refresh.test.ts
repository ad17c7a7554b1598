/**
 * The bench's round-trip rows count a refresh of the line cache apart (bench/ops.ts
 * `withoutRefreshes`) only while it stays rare: a command that reads the line on every request
 * (its cache unused) still fails its row.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withoutRefreshes } from '../../bench/ops.ts';
import type { CallRecord } from '../../bench/support.ts';

const call = (op: string, index?: string): CallRecord => ({ op, ...(index ? { index } : {}), rcu: 1, wcu: 0, read: 1 });
const steady = (): CallRecord[] => [call('BatchGetItem'), call('TransactWriteItems')];
const refreshing = (): CallRecord[] => [call('BatchGetItem'), call('GetItem', 'LINE'), call('TransactWriteItems')];

test('one sample in 120 that refreshed the line cache: its refresh read is counted apart', () => {
  const { samples, refreshed, apart } = withoutRefreshes([...Array.from({ length: 119 }, steady), refreshing()]);
  assert.equal(refreshed, 1);
  assert.equal(apart, true);
  assert.ok(samples.every((s) => s.length === 2));
});

test('a line read in one sample in ten is no cache refresh: every read counts', () => {
  const { samples, refreshed, apart } = withoutRefreshes([...Array.from({ length: 108 }, steady), ...Array.from({ length: 12 }, refreshing)]);
  assert.equal(refreshed, 12);
  assert.equal(apart, false);
  assert.equal(samples.filter((s) => s.length === 3).length, 12);
});

test('other single reads are never taken for a refresh', () => {
  const { samples } = withoutRefreshes([[call('GetItem', 'SESSION'), call('TransactWriteItems')], ...Array.from({ length: 50 }, steady)]);
  assert.equal(samples[0]!.length, 2);
});
