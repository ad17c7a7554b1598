/**
 * Shared pieces of the benchmark: the bench environment (its own DynamoDB Local, its own
 * tables, the local host in this process so that `usage` counts each request's DynamoDB calls),
 * an HTTP caller, a DynamoDB call log (per operation, per index, items read) and statistics.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTable, type RunningDynamoDb, startDynamoDbLocal } from '../infra/local/dynamodb.ts';
import { resetUsage, usage } from '../infra/local/dynamodb-calls.ts';
import { configureLocalEnvironment } from '../infra/local/env.ts';
import { type RunningFileStore, startFileStore } from '../infra/local/files.ts';
import { type RunningHost, startHost } from '../infra/local/host.ts';
import { type DevKey, loadOrCreateDevKey, signToken, type TokenClaims } from '../infra/local/jwt.ts';
import { db } from '../lib/adapters/dynamodb/db.ts';

export interface BenchOptions {
  quick: boolean;
  only: Set<string> | undefined;
}

/** One DynamoDB call as the SDK saw it (read from a middleware on the shared client). */
export interface CallRecord {
  op: string;
  /** The index a Query read, or for a key read the entity type of its pk (SESSION, USER…). */
  index?: string;
  rcu: number;
  wcu: number;
  /** Items the call read (Query/Scan ScannedCount; 1 for a GetItem that found its item). */
  read: number;
  /** The call's time as the SDK client saw it (from the first middleware step to the answer). */
  ms?: number;
  /** When the call started (performance.now()): calls in flight together are one round trip. */
  start?: number;
}

export interface Env {
  endpoint: string;
  key: DevKey;
  host: RunningHost;
  token(claims: TokenClaims): Promise<string>;
  /** `raw`: the body byte for byte (a messenger's signed update), sent with `headers` as given. */
  call(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; ms: number }>;
  /** Switches the host (and the repositories of lib/adapters/dynamodb) to another table, created if needed. */
  useTable(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** Calls the host made since `resetCalls()`, in order. */
export const callLog: CallRecord[] = [];
export function resetCalls(): void {
  callLog.length = 0;
  resetUsage();
}
export { usage };

function capacity(consumed: unknown): { rcu: number; wcu: number } {
  const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
  let rcu = 0;
  let wcu = 0;
  for (const c of list as { ReadCapacityUnits?: number; WriteCapacityUnits?: number; CapacityUnits?: number }[]) {
    if (c.ReadCapacityUnits === undefined && c.WriteCapacityUnits === undefined) {
      // Local answers only CapacityUnits: reads for Get/Query/Scan, writes otherwise.
      continue;
    }
    rcu += c.ReadCapacityUnits ?? 0;
    wcu += c.WriteCapacityUnits ?? 0;
  }
  return { rcu, wcu };
}

const READ_OPS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);

/** Observes every call of the shared document client without changing it (bench-only middleware). */
function instrument(): void {
  const client = db();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const op = String((context as { commandName?: string }).commandName ?? 'unknown').replace(/Command$/, '');
      const input = args.input as { IndexName?: string; Key?: { pk?: unknown } };
      // Which entity a GetItem reads: the pk's type prefix (SESSION, USER, LINE…), marshalled or not.
      const pk = input?.Key?.pk;
      const pkText = typeof pk === 'string' ? pk : typeof (pk as { S?: unknown })?.S === 'string' ? (pk as { S: string }).S : undefined;
      const entity = pkText
        ? pkText
            .split('#')
            .filter((part) => /^[A-Z]+$/.test(part))
            .join('·') || undefined
        : undefined;
      const started = performance.now();
      try {
        const out = await next(args);
        const ms = performance.now() - started;
        const o = out.output as { ConsumedCapacity?: unknown; ScannedCount?: number; Item?: unknown; Responses?: unknown[] };
        let { rcu, wcu } = capacity(o.ConsumedCapacity);
        const list = Array.isArray(o.ConsumedCapacity) ? o.ConsumedCapacity : o.ConsumedCapacity ? [o.ConsumedCapacity] : [];
        if (rcu === 0 && wcu === 0) {
          const units = (list as { CapacityUnits?: number }[]).reduce((s, c) => s + (c.CapacityUnits ?? 0), 0);
          if (READ_OPS.has(op)) rcu = units;
          else wcu = units;
        }
        const read = o.ScannedCount ?? (op === 'GetItem' ? (o.Item ? 1 : 0) : 0);
        callLog.push({ op, ...(input?.IndexName ? { index: input.IndexName } : entity ? { index: entity } : {}), rcu, wcu, read, ms, start: started });
        return out;
      } catch (error) {
        callLog.push({ op: `${op}(failed)`, rcu: 0, wcu: 0, read: 0, ms: performance.now() - started, start: started });
        throw error;
      }
    },
    { step: 'initialize', name: 'chatlinesBenchCallLog' },
  );
}

/** Starts DynamoDB Local (in memory), the first table and the in-process host. */
export async function startEnv(firstTable: string): Promise<Env> {
  const dynamo: RunningDynamoDb = await startDynamoDbLocal();
  const endpoint = dynamo.endpoint;
  let host: RunningHost | undefined;
  try {
    await ensureTable(endpoint, firstTable);
    configureLocalEnvironment(firstTable, endpoint);
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    process.env.AWS_LAMBDA_LOG_LEVEL = 'SILENT';
    instrument();
    const keyDir = mkdtempSync(join(tmpdir(), 'chatlines-bench-key-'));
    const key = await loadOrCreateDevKey(join(keyDir, 'dev-key.json'));
    // The key that seals messenger credentials: the bench's own (else the host would create
    // `.chatlines/credentials-key` in the working directory, as `npm start` does).
    process.env.CREDENTIALS_KEY_FILE ??= join(keyDir, 'credentials-key');
    // The visitor tokens' secret too (the host makes it on start).
    process.env.VISITOR_SECRET_FILE ??= join(keyDir, 'visitor-secret');
    host = await startHost({ port: 0, key });
    const url = host.url;
    // Messengers reach this host (Viber calls the hook while it registers it): not an earlier
    // step's host, which the host's own `PUBLIC_URL ??=` would keep.
    process.env.PUBLIC_URL = url;
    return {
      endpoint,
      key,
      host,
      token: (claims) => signToken(key, claims, { expiresIn: '6h' }),
      async call(method, path, options = {}) {
        const headers: Record<string, string> = { ...options.headers };
        if (options.token) headers.authorization = `Bearer ${options.token}`;
        let body: string | undefined = options.raw;
        if (options.raw !== undefined) headers['content-type'] ??= 'application/json';
        if (options.body !== undefined) {
          body = JSON.stringify(options.body);
          headers['content-type'] = 'application/json';
        }
        const started = performance.now();
        const res = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
        const text = await res.text();
        const ms = performance.now() - started;
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON
        }
        return { status: res.status, body: parsed, ms };
      },
      async useTable(name) {
        await ensureTable(endpoint, name);
        process.env.TABLE_NAME = name;
      },
      async stop() {
        await host?.close();
        await dynamo.stop();
      },
    };
  } catch (error) {
    await host?.close();
    await dynamo.stop();
    throw error;
  }
}

let files: Promise<RunningFileStore> | undefined;
/**
 * The local S3-compatible file store (s3rver) for the file routes, started on first use and kept
 * for the rest of the process (the functions' S3 client keeps the endpoint it first saw).
 */
export function fileStore(): Promise<RunningFileStore> {
  files ??= startFileStore();
  return files;
}
export async function stopFileStore(): Promise<void> {
  const running = files;
  files = undefined;
  await (await running)?.stop();
}

/** The q-quantile (0..1) of a list of numbers, nearest-rank. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}
export const median = (values: number[]) => quantile(values, 0.5);
export const round = (n: number, digits = 1) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : n);

/** A progress line that rewrites itself on a terminal and prints sparsely otherwise. */
export function progress(label: string): { tick(done: number, total: number): void; done(note?: string): void } {
  const tty = process.stderr.isTTY;
  let lastPrint = 0;
  const started = Date.now();
  return {
    tick(done, total) {
      const now = Date.now();
      if (now - lastPrint < (tty ? 200 : 5_000) && done < total) return;
      lastPrint = now;
      const line = `  ${label}: ${done}/${total} (${Math.round((100 * done) / total)}%, ${((now - started) / 1000).toFixed(0)} s)`;
      if (tty) process.stderr.write(`\r${line}   `);
      else process.stderr.write(`${line}\n`);
    },
    done(note = '') {
      const line = `  ${label}: done in ${((Date.now() - started) / 1000).toFixed(1)} s ${note}`;
      process.stderr.write(tty ? `\r${line}     \n` : `${line}\n`);
    },
  };
}

export const log = (message: string) => process.stderr.write(`${message}\n`);
