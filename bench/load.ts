/**
 * Step 4, load: autocannon (10 connections, 20 s) in its own process against the in-process
 * host, on a mixed support workload (bench/load-client.mjs), with the error count.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { served } from './ops.ts';
import { type Env, log } from './support.ts';
import type { World } from './world.ts';

export interface LoadResult {
  connections: number;
  durationSeconds: number;
  requests: number;
  rps: number;
  latency: { p50: number; p99: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  byStep: Record<string, Record<string, number>>;
  missing: string[];
  pass: boolean;
}

export async function benchLoad(env: Env, w: World, quick: boolean): Promise<LoadResult> {
  const duration = quick ? 5 : 20;
  const needed: [string, string][] = [
    ['POST', '/v1/channels/x/inbound'],
    ['POST', '/v1/sessions/x/assign'],
    ['POST', '/v1/sessions/x/messages'],
    ['POST', '/v1/sessions/x/close'],
    ['POST', '/v1/sessions/search'],
    ['GET', '/v1/sessions/x'],
  ];
  const missing = needed.filter(([m, p]) => !served(m, p)).map(([m, p]) => `${m} ${p}`);
  if (missing.length) log(`  load: routes not available yet: ${missing.join(', ')} (their requests will fail)`);
  const config = {
    url: env.host.url,
    connections: 10,
    duration,
    channelId: w.channelId,
    lineId: w.lineId,
    integration: w.integration,
    operator: w.operator,
    operatorId: w.operatorId,
  };
  log(`  load: autocannon, 10 connections, ${duration} s…`);
  const child = spawn(process.execPath, [join(import.meta.dirname, 'load-client.mjs'), JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += String(d)));
  const code: number = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  const { result, byStep } = JSON.parse(out) as {
    result: {
      requests: { total: number; average: number };
      latency: { p50: number; p99: number; max: number };
      errors: number;
      timeouts: number;
      non2xx: number;
      duration: number;
    };
    byStep: Record<string, Record<string, number>>;
  };
  const errors = result.errors + result.non2xx;
  log(`  load: ${result.requests.total} requests, ${errors} errors`);
  return {
    connections: 10,
    durationSeconds: duration,
    requests: result.requests.total,
    rps: Math.round(result.requests.average),
    latency: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    byStep,
    missing,
    pass: errors === 0 && missing.length === 0,
  };
}
