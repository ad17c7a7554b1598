/**
 * Local metrics aggregation: the timer `npm start` runs, and `npm run aggregate` (one run now).
 *
 * `npm run aggregate` finds the table the way `npm start` uses it: `DYNAMODB_ENDPOINT` (and
 * `TABLE_NAME`, default `chatlines`) when set; otherwise the endpoint a running `npm start`
 * wrote to `.chatlines/endpoint` — its DynamoDB Local keeps the data dir locked, so the
 * aggregation must go through that running instance. Options: `--since <ISO time>` re-reads
 * the changes from then instead of from the watermark.
 */
import './node-version.ts';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { asFunction } from './current-function.ts';
import { configureLocalEnvironment } from './env.ts';

/** Where a running `npm start` records its DynamoDB endpoint and table. */
export const ENDPOINT_FILE = join(process.cwd(), '.chatlines', 'endpoint');

/** Records the endpoint for `npm run aggregate`; returns the cleanup for shutdown. */
export function writeEndpointFile(endpoint: string, tableName: string): () => void {
  mkdirSync(dirname(ENDPOINT_FILE), { recursive: true });
  const content = JSON.stringify({ endpoint, tableName, pid: process.pid });
  writeFileSync(ENDPOINT_FILE, `${content}\n`);
  return () => {
    try {
      if (readFileSync(ENDPOINT_FILE, 'utf8').trim() === content) rmSync(ENDPOINT_FILE);
    } catch {
      // already gone
    }
  };
}

type AggregateHandler = () => Promise<{ sessions: number; updated: number; transactions: number }>;

async function loadHandler(): Promise<AggregateHandler> {
  const file = join(import.meta.dirname, '..', '..', 'functions', 'schedule', 'aggregate-metrics.ts');
  const module = (await import(pathToFileURL(file).href)) as { handler: AggregateHandler };
  return module.handler;
}

/**
 * Calls the same handler the scheduler calls in AWS every `seconds` (0: never). A tick that
 * finds the previous run still going is skipped. Returns the stop function.
 */
export function startAggregationTimer(seconds: number, log: (line: string) => void = console.log): () => void {
  if (seconds <= 0) return () => {};
  let running = false;
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      const handler = await loadHandler();
      const report = await asFunction('aggregate-metrics', handler);
      if (report.updated > 0) log(`metrics: ${report.updated} of ${report.sessions} changed sessions applied (${report.transactions} transactions)`);
    } catch (error) {
      log(`metrics: aggregation failed, retried at the next tick: ${(error as Error).message}`);
    } finally {
      running = false;
    }
  }, seconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { since: { type: 'string' } } });
  let endpoint = process.env.DYNAMODB_ENDPOINT;
  let tableName = process.env.TABLE_NAME ?? 'chatlines';
  if (!endpoint) {
    if (!existsSync(ENDPOINT_FILE)) {
      console.error('chatlines: no DynamoDB to aggregate: start `npm start` first (it records its endpoint in .chatlines/endpoint) or set DYNAMODB_ENDPOINT.');
      process.exit(1);
    }
    const recorded = JSON.parse(readFileSync(ENDPOINT_FILE, 'utf8')) as { endpoint: string; tableName: string };
    endpoint = recorded.endpoint;
    tableName = process.env.TABLE_NAME ?? recorded.tableName;
  }
  configureLocalEnvironment(tableName, endpoint);
  const { aggregateMetrics } = await import('../../lib/app/metrics/aggregate.ts');
  const since = values.since ? new Date(values.since) : undefined;
  if (since && Number.isNaN(since.getTime())) {
    console.error(`chatlines: --since takes an ISO time, not "${values.since}"`);
    process.exit(1);
  }
  try {
    const report = since ? await aggregateMetrics({ since }) : await (await loadHandler())();
    console.log(JSON.stringify(report, null, 2));
  } catch (error) {
    console.error(`chatlines: aggregation failed: ${(error as Error).message}`);
    process.exit(1);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
