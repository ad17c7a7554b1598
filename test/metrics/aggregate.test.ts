/**
 * The metrics aggregation against DynamoDB Local: random histories (spanning days, weeks and
 * months) aggregated incrementally must equal a brute-force computation of the same
 * definitions over the raw messages — for every metric, dimension and period — and stay
 * equal when runs are repeated, run concurrently, crash half way, or when spam comes and goes.
 */

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ensureTable } from '../../infra/local/dynamodb.ts';
import { configureLocalEnvironment } from '../../infra/local/env.ts';
import { readWatermark } from '../../lib/adapters/dynamodb/metrics.ts';
import { logger } from '../../lib/adapters/observability.ts';
import { aggregateMetrics } from '../../lib/app/metrics/aggregate.ts';
import type { Cells } from '../../lib/domain/metrics/definitions.ts';
import { failDynamo, transactItems } from '../support/dynamo-faults.ts';
import { soak } from '../support/soak.ts';
import { historyArb, lateMessage, markSpam, writeHistory } from './simulate.ts';
import { assertSameFigures, bruteForce, storedRollups } from './support.ts';

/** The aggregation's `n`-th transaction (one that writes a contribution) fails with `error`, as a crash there would. */
function crashAtTransaction(n: number, error: Error): () => void {
  let seen = 0;
  return failDynamo((call) => {
    if (!transactItems(call).some((i) => i.Put?.Item?.entity === 'metricContribution')) return undefined;
    seen += 1;
    return seen === n ? error : undefined;
  });
}

const HOUR = 3_600_000;
/** Sunday evening before a Monday that starts a week, two days before a month starts. */
const BASE = Date.parse('2025-03-30T18:00:00.000Z');
const LINE = randomUUID();
const CHANNELS = [randomUUID(), randomUUID()];
let endpoint: string;
let table: string;

/** Each batch of histories gets its own 72 h window after the previous one's. */
let window = 0;
const nextWindow = () => BASE + window++ * 72 * HOUR;
const runAt = (base: number) => new Date(base + 48 * HOUR);
const options = { backfillMs: 49 * HOUR };

const figures = () => storedRollups(endpoint, table);
const expected = () => bruteForce(endpoint, table);
const lineTotal = (cells: Cells, metric: string) =>
  Object.entries(cells)
    .filter(([id]) => id.includes('|line:all|day#'))
    .reduce((n, [, f]) => n + (f[`${metric}_count`] ?? 0), 0);

before(async () => {
  endpoint = process.env.DYNAMODB_ENDPOINT!;
  if (!endpoint) throw new Error('DYNAMODB_ENDPOINT is not set: run with `npm test -- test/metrics`');
  table = `test-metrics-${randomUUID()}`;
  await ensureTable(endpoint, table);
  configureLocalEnvironment(table, endpoint);
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  logger.setLogLevel('SILENT');
});

describe('incremental aggregation equals brute force', () => {
  it('random histories, aggregated run after run, equal the definitions over the raw messages', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(historyArb, { minLength: 1, maxLength: 4 }), async (histories) => {
        const base = nextWindow();
        for (const h of histories) await writeHistory(LINE, CHANNELS, base, h);
        const report = await aggregateMetrics({ ...options, now: runAt(base) });
        assert.ok(report.sessions >= histories.length, 'every changed session was found in the change index');
        assertSameFigures(await figures(), await expected());
      }),
      // Five windows still cross a week's and a month's start; CHATLINES_SOAK=1 runs ten.
      { numRuns: soak(5, 10) },
    );
    const all = await expected();
    assert.ok(Object.keys(all).some((id) => id.includes('|week#')) && Object.keys(all).some((id) => id.includes('|month#2025-04')));
    assert.ok(
      ['responseTime', 'sessionDuration', 'queueWait', 'processedSessions'].some((m) => lineTotal(all, m) > 0),
      'the histories produced figures',
    );
  });

  it('a repeated run — even one that re-reads every change — changes nothing', async () => {
    const before = await figures();
    const again = await aggregateMetrics({ ...options, now: runAt(BASE + (window - 1) * 72 * HOUR), since: new Date(BASE - HOUR) });
    assert.ok(again.sessions > 0);
    assert.equal(again.transactions, 0);
    assert.deepEqual(await figures(), before);
  });

  it('two runs at once leave the same figures', async () => {
    const base = nextWindow();
    const histories = fc.sample(historyArb, { numRuns: 6, seed: 42 });
    for (const h of histories) await writeHistory(LINE, CHANNELS, base, h);
    const [a, b] = await Promise.all([aggregateMetrics({ ...options, now: runAt(base) }), aggregateMetrics({ ...options, now: runAt(base), concurrency: 2 })]);
    assert.equal(a.sessions, b.sessions);
    assertSameFigures(await figures(), await expected());
  });

  it('a run that crashes half way, then reruns, leaves the same figures', async () => {
    const base = nextWindow();
    for (const h of fc.sample(historyArb, { numRuns: 6, seed: 7 })) await writeHistory(LINE, CHANNELS, base, h);
    const watermark = await readWatermark();
    // Two sessions per transaction: the crash comes after the first transaction.
    const recover = crashAtTransaction(2, new Error('crash after 1 transaction'));
    try {
      await assert.rejects(aggregateMetrics({ ...options, now: runAt(base), concurrency: 1, sessionsPerTransaction: 2 }), /crash after 1 transaction/);
    } finally {
      recover();
    }
    assert.equal(await readWatermark(), watermark, 'a failed run does not move the watermark');
    assert.notDeepEqual(await figures(), await expected(), 'the crash left work undone');
    await aggregateMetrics({ ...options, now: runAt(base) });
    assertSameFigures(await figures(), await expected());
  });

  it('a crash between the transactions of one large session, then a rerun, leaves the same figures', async () => {
    const base = nextWindow();
    await writeHistory(LINE, CHANNELS, base, {
      start: 0,
      channel: 0,
      steps: [
        { op: 'assignOperator', who: 0, gap: 5 },
        { op: 'reply', gap: 5 },
        { op: 'client', gap: 600 },
        { op: 'assignOperator', who: 1, gap: 600 },
        { op: 'reply', gap: 600 },
        { op: 'close', gap: 5 },
      ],
    });
    // The session's third transaction never reaches the database.
    const recover = crashAtTransaction(3, new Error('crash between transactions'));
    try {
      await assert.rejects(aggregateMetrics({ ...options, now: runAt(base), rollupsPerTransaction: 3 }), /crash between transactions/);
    } finally {
      recover();
    }
    assert.notDeepEqual(await figures(), await expected());
    const rerun = await aggregateMetrics({ ...options, now: runAt(base), rollupsPerTransaction: 3 });
    assert.ok(rerun.transactions > 1, 'the rest was applied in several transactions');
    assertSameFigures(await figures(), await expected());
  });
});

describe('spam, late messages and cost', () => {
  it("marking as spam removes a session's contribution; unmarking restores it exactly", async () => {
    const base = nextWindow();
    let s = await writeHistory(LINE, CHANNELS, base, {
      start: 0,
      channel: 1,
      steps: [
        { op: 'assignOperator', who: 2, gap: 3 },
        { op: 'reply', gap: 4 },
        { op: 'client', gap: 5 },
        { op: 'reply', gap: 6 },
      ],
    });
    await aggregateMetrics({ ...options, now: runAt(base) });
    const withSession = await figures();
    assertSameFigures(withSession, await expected());

    s = await markSpam(s, runAt(base).getTime() + 30_000);
    await aggregateMetrics({ ...options, now: new Date(runAt(base).getTime() + 60_000) });
    const withoutSession = await figures();
    assertSameFigures(withoutSession, await expected());
    assert.equal(lineTotal(withoutSession, 'responseTime'), lineTotal(withSession, 'responseTime') - 2);
    assert.equal(lineTotal(withoutSession, 'firstResponseTime'), lineTotal(withSession, 'firstResponseTime') - 1);

    s = await markSpam(s, runAt(base).getTime() + 90_000, true);
    await aggregateMetrics({ ...options, now: new Date(runAt(base).getTime() + 120_000) });
    const restored = await figures();
    // Only the live count may differ: nothing else happened to the session.
    assertSameFigures(restored, withSession, 'unmarking did not restore the figures');
  });

  it('a message that lands late, in an hour already aggregated, is counted at the next run', async () => {
    const base = nextWindow();
    const s = await writeHistory(LINE, CHANNELS, base, {
      start: 0,
      channel: 0,
      steps: [
        { op: 'assignOperator', who: 0, gap: 1 },
        { op: 'reply', gap: 1 },
      ],
    });
    const run = runAt(base).getTime();
    await aggregateMetrics({ ...options, now: new Date(run) });
    // Written after the run, but stamped minutes before it (slow writers), in an hour the run
    // already read: a client message and the operator's answer.
    await lateMessage(s, run - 3 * 60_000);
    await lateMessage(s, run - 2 * 60_000, 'operator');
    const before = await figures();
    assert.notDeepEqual(before, await expected());
    const next = await aggregateMetrics({ ...options, now: new Date(run + 60_000) });
    assert.equal(next.sessions, 1, 'only the session that changed is read');
    assertSameFigures(await figures(), await expected());
  });

  it('a run cut short by its deadline moves the watermark only up to what it applied; the next run goes on', async () => {
    const base = nextWindow();
    await aggregateMetrics({ ...options, now: new Date(base) });
    for (const h of fc.sample(historyArb, { numRuns: 4, seed: 11 })) await writeHistory(LINE, CHANNELS, base + HOUR, h);
    const cut = await aggregateMetrics({ ...options, now: new Date(base + 48 * HOUR), deadline: Date.now() - 1 });
    assert.equal(cut.deferred, 4);
    assert.equal(cut.updated, 0);
    assert.ok(cut.watermark < new Date(base + 48 * HOUR).toISOString(), 'held back at the earliest change not applied');
    const rest = await aggregateMetrics({ ...options, now: new Date(base + 49 * HOUR) });
    assert.equal(rest.deferred, 0);
    assert.ok(rest.sessions >= 4, 'the deferred sessions were read again');
    assertSameFigures(await figures(), await expected());
  });

  it('sessions share transactions: the rollups of a line are written once per group, not once per session', async () => {
    const base = nextWindow();
    await aggregateMetrics({ ...options, now: runAt(base) });
    const histories = fc.sample(historyArb, { numRuns: 12, seed: 5 });
    for (const h of histories) await writeHistory(LINE, CHANNELS, base + 50 * HOUR, { ...h, start: 0 });
    const grouped = await aggregateMetrics({ ...options, now: new Date(base + 100 * HOUR) });
    assert.equal(grouped.sessions, 12);
    assert.ok(grouped.updated >= 10, `most sessions moved the rollups (${grouped.updated})`);
    assert.ok(grouped.transactions <= 3, `12 sessions in at most 3 transactions, not one each (${grouped.transactions})`);
    assertSameFigures(await figures(), await expected());
  });

  it('a run reads only what changed: its reads follow the changes, not the table', async () => {
    const base = nextWindow();
    await aggregateMetrics({ ...options, now: runAt(base) });
    const histories = fc.sample(historyArb, { numRuns: 5, seed: 3 });
    for (const h of histories) await writeHistory(LINE, CHANNELS, base + 50 * HOUR, { ...h, start: 0 });
    const report = await aggregateMetrics({ ...options, now: new Date(base + 100 * HOUR) });
    assert.equal(report.sessions, 5, 'the five changed sessions, none of the earlier ones');
    assertSameFigures(await figures(), await expected());
  });
});
