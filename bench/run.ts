/**
 * `npm run bench`: what chatlines costs, held to its budgets (bench/report.ts).
 *   npm run bench                    full run (≈ 25 min on 2 cores): report in bench/results/
 *   npm run bench -- --quick         development run (sizes 1k/5k, fewer samples, 5 s load):
 *                                    report in bench/results/tmp/ (git-ignored)
 *   npm run bench -- --only=ops,load steps: bundles, ops, load, events, live, screen, cost, partitions, timers, growth, routing
 *   npm run bench -- --sizes=1000,20000
 *   npm run bench -- --only=ops --kinds=command   the ops step for some kinds of route only (command, fetch, search, other)
 * Starts its own DynamoDB Local (in memory) and the local host in this process, and stops both.
 */
import '../infra/local/node-version.ts';
import './quiet.ts';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { resetClient } from '../lib/adapters/dynamodb/db.ts';
import { benchBundles } from './bundles.ts';
import { benchCost } from './cost.ts';
import { benchEvents } from './events.ts';
import { benchGrowth } from './growth.ts';
import { benchLive } from './live.ts';
import { benchLoad } from './load.ts';
import { benchOps } from './ops.ts';
import { benchPartitions } from './partitions.ts';
import { type BenchReport, budgets, type Machine, markdown, STEPS } from './report.ts';
import { benchRouting } from './routing.ts';
import { benchScreen } from './screen.ts';
import { type Env, log, startEnv, stopFileStore } from './support.ts';
import { benchTimers } from './timers.ts';
import { buildWorld } from './world.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    sizes: { type: 'string' },
    kinds: { type: 'string' },
    out: { type: 'string' },
  },
});
const quick = values.quick ?? false;
const steps = values.only ? values.only.split(',').map((s) => s.trim()) : [...STEPS];
for (const s of steps) if (!(STEPS as readonly string[]).includes(s)) throw new Error(`unknown step ${s}; steps: ${STEPS.join(', ')}`);
const kinds = values.kinds ? new Set(values.kinds.split(',').map((s) => s.trim())) : undefined;
const sizes = values.sizes ? values.sizes.split(',').map(Number) : quick ? [1_000, 5_000] : [1_000, 10_000, 100_000];
const outDir = values.out ?? join(import.meta.dirname, 'results', ...(quick ? ['tmp'] : []));
const baseName = quick ? 'report-quick' : 'report';

function machine(): Machine {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.versions.node,
    java: (java.stderr || java.stdout || 'java ?').split('\n')[0]!.trim(),
    os: `${type()} ${release()}`,
  };
}

const started = Date.now();
const report: Omit<BenchReport, 'budgets'> = {
  date: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
  machine: machine(),
  durationSeconds: 0,
  steps,
  errors: {},
};

let env: Env | undefined;
const stopAll = async () => {
  const e = env;
  env = undefined;
  await e?.stop();
};
process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
process.once('SIGTERM', () => void stopAll().then(() => process.exit(143)));

async function step<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
  if (!steps.includes(name)) return undefined;
  const t = Date.now();
  log(`▶ ${name}`);
  try {
    const result = await fn();
    log(`✔ ${name} in ${Math.round((Date.now() - t) / 1000)} s`);
    return result;
  } catch (error) {
    report.errors[name] = (error as Error).message;
    log(`✘ ${name}: ${(error as Error).stack ?? String(error)}`);
    return undefined;
  }
}

try {
  log(`chatlines bench (${quick ? 'quick' : 'full'}): ${steps.join(', ')}; growth sizes ${sizes.join(', ')}`);
  // Bundles first, before DynamoDB Local's JVM competes for the cores.
  const bundles = await step('bundles', () => benchBundles(quick));
  if (bundles) report.bundles = bundles;
  // Each group of steps gets a DynamoDB Local of its own: DynamoDB Local slows down as it fills
  // (its stream reads and transactions most: the partition simulation took 11 min after the API
  // steps instead of 31 s before them), and a step's figures should not depend on what ran before.
  const fresh = async (): Promise<Env> => {
    await stopAll();
    resetClient();
    env = await startEnv('bench-ops');
    return env;
  };
  if (steps.includes('partitions')) {
    const running = await fresh();
    const partitions = await step('partitions', () => benchPartitions(running, quick));
    if (partitions) report.partitions = partitions;
  }
  if (steps.includes('timers')) {
    const running = await fresh();
    const timers = await step('timers', () => benchTimers(running, quick));
    if (timers) report.timers = timers;
  }
  if (['ops', 'load', 'events', 'live', 'screen'].some((s) => steps.includes(s))) {
    const running = await fresh();
    let world: Awaited<ReturnType<typeof buildWorld>> | undefined;
    try {
      world = await buildWorld(running);
    } catch (error) {
      report.errors.setup = `the bench world (line, channel, operator) could not be built: ${(error as Error).message}`;
    }
    if (world) {
      const w = world;
      const ops = await step('ops', () => benchOps(running, w, quick, kinds));
      if (ops) report.ops = ops;
      const load = await step('load', () => benchLoad(running, w, quick));
      if (load) report.load = load;
      const events = await step('events', () => benchEvents(running, w, quick));
      if (events) report.events = events;
      const live = await step('live', () => benchLive(running, w, quick));
      if (live) report.live = live;
      const screen = await step('screen', () => benchScreen(running, w, quick));
      if (screen) report.screen = screen;
    }
  }
  // On a table of its own: its stream consumer and aggregation run count every change of the
  // table, so the sessions the other steps left would be charged to its 40.
  if (steps.includes('cost')) {
    const running = await fresh();
    try {
      const w = await buildWorld(running);
      const cost = await step('cost', () => benchCost(running, w, quick));
      if (cost) report.cost = cost;
    } catch (error) {
      report.errors.cost = `the cost world could not be built: ${(error as Error).message}`;
    }
  }
  if (steps.includes('growth')) {
    const running = await fresh();
    const growth = await step('growth', () => benchGrowth(running, () => buildWorld(running), sizes));
    if (growth) report.growth = growth;
  }
  if (steps.includes('routing')) {
    const running = await fresh();
    const routing = await step('routing', () => benchRouting(running, quick));
    if (routing) report.routing = routing;
  }
} finally {
  await stopAll();
  await stopFileStore();
}

report.durationSeconds = Math.round((Date.now() - started) / 1000);
const full: BenchReport = { ...report, budgets: budgets(report) };
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, `${baseName}.json`), `${JSON.stringify(full, null, 2)}\n`);
writeFileSync(join(outDir, `${baseName}.md`), `${markdown(full)}\n`);
const failed = full.budgets.filter((b) => b.pass === false);
log(`\nReport: ${join(outDir, `${baseName}.md`)} (${full.budgets.length} budgets, ${failed.length} failed) in ${Math.round(report.durationSeconds / 60)} min`);
for (const b of full.budgets) log(`  ${b.pass === true ? 'PASS' : b.pass === false ? 'FAIL' : '----'}  ${b.budget}: ${b.result}`);
// Failed budgets are findings, reported; the exit code says whether the bench itself ran.
process.exit(Object.keys(report.errors).length ? 1 : 0);
