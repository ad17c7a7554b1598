/**
 * Timers: what a sweep costs with 100, 1,000 and 10,000 running clocks of which 100
 * are due — it must stay flat in the clocks that are not due — and how late timers fire on a
 * real sweep timer. Sessions and their due items are seeded with BatchWriteItem exactly as an
 * inbound first message writes them (test/support/timers.ts); the sweeper is lib/app/timers/sweep.ts,
 * run in this process so that `usage` counts its DynamoDB calls.
 */
import { randomUUID } from 'node:crypto';
import { resetUsage, usage } from '../infra/local/dynamodb-calls.ts';
import { insertLine } from '../lib/adapters/dynamodb/lines.ts';
import { sweepTimers } from '../lib/app/timers/sweep.ts';
import { DEFAULT_ROUTING, type Line } from '../lib/contract/schemas.ts';
import { newBaseFields } from '../lib/domain/ids.ts';
import { seedTimedSessions } from '../test/support/timers.ts';
import { type Env, log, quantile, round } from './support.ts';

export interface SweepCost {
  running: number;
  due: number;
  fired: number;
  queries: number;
  calls: number;
  rcu: number;
  wcu: number;
  ms: number;
}
export interface TimersResult {
  sweeps: SweepCost[];
  lateness: { periodSeconds: number; timers: number; p50: number; p99: number; max: number };
  pass: boolean;
}

async function line(firstResponse: number): Promise<Line> {
  const l: Line = {
    ...newBaseFields(`Timers ${firstResponse}`, 'bench'),
    _operatorGroups: ['support'],
    _supervisorGroups: [],
    _botId: null,
    _accountApp: null,
    _sessionApps: [],
    _routing: DEFAULT_ROUTING,
    _sla: { firstResponse },
    _autoClose: null,
    _returnToQueue: null,
  };
  await insertLine(l);
  return l;
}

export async function benchTimers(env: Env, quick: boolean): Promise<TimersResult> {
  const sizes = quick ? [100, 1_000] : [100, 1_000, 10_000];
  const sweeps: SweepCost[] = [];
  for (const running of sizes) {
    await env.useTable(`bench-timers-${running}-${randomUUID().slice(0, 6)}`);
    const channel = randomUUID();
    const later = await line(86_400); // not due for a day
    const soon = await line(60); // due in a minute
    log(`  seeding ${running.toLocaleString('en')} running clocks (100 due)`);
    await seedTimedSessions(later, channel, running - 100);
    await seedTimedSessions(soon, channel, 100);
    await sweepTimers(); // the first sweep of a table sets the watermark
    resetUsage();
    const report = await sweepTimers({ now: Date.now() + 61_000 });
    sweeps.push({
      running,
      due: report.due,
      fired: report.fired,
      queries: report.queries,
      calls: usage.calls,
      rcu: round(usage.readCapacity),
      wcu: round(usage.writeCapacity),
      ms: report.ms,
    });
    log(`  ${running}: ${JSON.stringify(sweeps.at(-1))}`);
  }

  // Lateness on a real timer: clocks falling due one group a second, swept every `period`
  // seconds. Seeded ahead (due 90 s after the start, so that slow seeding does not count as
  // lateness), then the sweeper runs on its timer until every clock has fired.
  await env.useTable(`bench-timers-late-${randomUUID().slice(0, 6)}`);
  const period = 2;
  const lead = 90;
  const target = await line(lead);
  const channel = randomUUID();
  const groups = quick ? 5 : 10;
  const per = 5;
  const start = Date.now();
  for (let g = 0; g < groups; g++) await seedTimedSessions(target, channel, per, new Date(start + g * 1_000).toISOString());
  if (Date.now() > start + lead * 1000) log('  (seeding took longer than the lead: lateness includes it)');
  await sweepTimers();
  const lateness: number[] = [];
  const deadline = start + (lead + groups + 120) * 1000;
  while (lateness.length < groups * per && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, period * 1000));
    lateness.push(...(await sweepTimers()).lateness);
  }
  const first = sweeps[0]!;
  const last = sweeps.at(-1)!;
  return {
    sweeps,
    lateness: { periodSeconds: period, timers: lateness.length, p50: quantile(lateness, 0.5), p99: quantile(lateness, 0.99), max: Math.max(...lateness) },
    pass: last.queries <= first.queries * 1.2 && last.rcu <= first.rcu * 1.2 && sweeps.every((s) => s.fired === 100),
  };
}

export function timersMarkdown(t: TimersResult, row: (cells: unknown[]) => string): string[] {
  return [
    '## Timers',
    '',
    'One sweep (lib/app/timers/sweep.ts) with N running clocks of which 100 are due (`firstResponse` breaches), the rest due a day later. Reads: Query pages on the due buckets from the watermark − 2 min to now (4 shards per minute) + one BatchGetItem per 100 due sessions + the watermark; writes: one transaction per fired timer (session update, history entry, due item deleted) + the watermark.',
    '',
    row(['Running clocks', 'Due', 'Fired', 'Bucket queries', 'DynamoDB calls', 'RCU', 'WCU', 'Time']),
    row(['---', '---', '---', '---', '---', '---', '---', '---']),
    ...t.sweeps.map((s) => row([s.running.toLocaleString('en'), s.due, s.fired, s.queries, s.calls, s.rcu, s.wcu, `${s.ms} ms`])),
    '',
    `Flat in the clocks not due (largest ≤ 1.2 × smallest in queries and RCU, every due timer fired once): ${t.pass ? '✅ pass' : '❌ fail'}.`,
    '',
    `Lateness on a real timer: ${t.lateness.timers} clocks falling due over ${t.lateness.timers / 5} s, swept every ${t.lateness.periodSeconds} s: p50 ${t.lateness.p50} ms, p99 ${t.lateness.p99} ms, max ${t.lateness.max} ms after the due time (bound: one sweep period + the sweep's own time; in AWS the period is 60 s).`,
    '',
  ];
}
