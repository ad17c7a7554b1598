/**
 * Local timers: the sweeper `npm start` runs every `--timers-every` seconds (default 60; the
 * scheduler runs it every minute in AWS), and `npm run timers` (one sweep now). `npm run timers`
 * finds the table as `npm run aggregate` does: `DYNAMODB_ENDPOINT` / `TABLE_NAME` when set,
 * otherwise the endpoint a running `npm start` recorded in `.chatlines/endpoint`.
 */
import './node-version.ts';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ENDPOINT_FILE } from './aggregate.ts';
import { asFunction } from './current-function.ts';
import { configureLocalEnvironment } from './env.ts';

type SweepHandler = () => Promise<{ due: number; fired: number; stale: number; retried: number }>;

async function loadHandler(): Promise<SweepHandler> {
  const file = join(import.meta.dirname, '..', '..', 'functions', 'schedule', 'sweep-timers.ts');
  const module = (await import(pathToFileURL(file).href)) as { handler: SweepHandler };
  return module.handler;
}

/**
 * Calls the handler the scheduler calls in AWS every `seconds` (0: never); a tick that finds
 * the previous sweep still going is skipped. Returns the stop function (which waits for a
 * sweep in flight).
 */
export function startTimerSweeper(seconds: number, log: (line: string) => void = console.log): () => Promise<void> {
  if (seconds <= 0) return async () => {};
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = (async () => {
      try {
        const { inBackground } = await import('./dynamodb-calls.ts');
        const handler = await loadHandler();
        const report = await asFunction('sweep-timers', () => inBackground(handler));
        if (report.fired > 0 || report.retried > 0) log(`timers: ${report.fired} fired, ${report.stale} stale, ${report.retried} left for the next sweep`);
      } catch (error) {
        log(`timers: sweep failed, retried at the next tick: ${(error as Error).message}`);
      } finally {
        running = undefined;
      }
    })();
  }, seconds * 1000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

async function main(): Promise<void> {
  let endpoint = process.env.DYNAMODB_ENDPOINT;
  let tableName = process.env.TABLE_NAME ?? 'chatlines';
  if (!endpoint) {
    if (!existsSync(ENDPOINT_FILE)) {
      console.error('chatlines: no DynamoDB to sweep: start `npm start` first (it records its endpoint in .chatlines/endpoint) or set DYNAMODB_ENDPOINT.');
      process.exit(1);
    }
    const recorded = JSON.parse(readFileSync(ENDPOINT_FILE, 'utf8')) as { endpoint: string; tableName: string };
    endpoint = recorded.endpoint;
    tableName = process.env.TABLE_NAME ?? recorded.tableName;
  }
  configureLocalEnvironment(tableName, endpoint);
  try {
    console.log(JSON.stringify(await (await loadHandler())(), null, 2));
  } catch (error) {
    console.error(`chatlines: timer sweep failed: ${(error as Error).message}`);
    process.exit(1);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
