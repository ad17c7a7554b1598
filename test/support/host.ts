/**
 * A local host for one test file: its own table in the shared DynamoDB Local (started by
 * test/run.ts), its own development key, real HTTP on a free port.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTable } from '../../infra/local/dynamodb.ts';
import { configureLocalEnvironment } from '../../infra/local/env.ts';
import { type EventWorkers, startEventWorkers } from '../../infra/local/events.ts';
import { type RunningFileStore, startFileStore } from '../../infra/local/files.ts';
import { startHost } from '../../infra/local/host.ts';
import { type DevKey, loadOrCreateDevKey, type SignOptions, signToken, type TokenClaims } from '../../infra/local/jwt.ts';
import { startSmtpListener } from '../../infra/local/smtp.ts';
import { logger } from '../../lib/adapters/observability.ts';
import { checkResponse, responseCheckEnabled } from './openapi-check.ts';

export interface TestHost {
  url: string;
  /** The inbound SMTP listener's port (with `smtp: true`). */
  smtpPort: number | undefined;
  tableName: string;
  endpoint: string;
  key: DevKey;
  token(claims: TokenClaims, options?: SignOptions): Promise<string>;
  /** fetch against the host, JSON in and out. */
  call(method: string, path: string, options?: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<Reply>;
  /**
   * One request answered in process, without HTTP: the host's own route matching, JWT check,
   * gateway event and handler (`route()`), as a request on its port gets them.
   */
  dispatch(method: string, path: string, options?: { headers?: Record<string, string>; body?: string }): Promise<RawReply>;
  /** Open live WebSockets on the host (`GET /v1/live`; test/support/live.ts opens them). */
  liveSockets(): number;
  /** Drops every live socket from the server side (as a gateway or network would). */
  dropLiveSockets(): void;
  /** The stream poller and delivery sweeper (only with `events: true`). */
  events: EventWorkers | undefined;
  /** The local file store (only with `files: true`). */
  files: RunningFileStore | undefined;
  close(): Promise<void>;
}

export interface Reply {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export interface RawReply {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  text: string;
}

export interface TestHostOptions {
  /**
   * Tail the table's stream and sweep deliveries, as `npm start` does (default false): only the
   * suites that test what the stream drives (events, webhooks, live push, routing, timers'
   * events) start a poller; for the others it would only load DynamoDB Local.
   */
  events?: boolean;
  /** Sweep due deliveries this often (ms; default 200). */
  sweepEveryMs?: number;
  /** Start a local S3-compatible file store (s3rver) for the file routes (default false). */
  files?: boolean;
  /** Listen for inbound mail (SMTP on a free loopback port: `smtpPort`). */
  smtp?: boolean;
}

export async function startTestHost(options: TestHostOptions = {}): Promise<TestHost> {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('DYNAMODB_ENDPOINT is not set: run the tests with `npm test`');
  const tableName = `test-${randomUUID()}`;
  await ensureTable(endpoint, tableName);
  configureLocalEnvironment(tableName, endpoint);
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  // The logger may exist already (a test imported lib/ first): silence it explicitly.
  logger.setLogLevel('SILENT');
  const keyDir = mkdtempSync(join(tmpdir(), 'chatlines-key-'));
  const key = await loadOrCreateDevKey(join(keyDir, 'dev-key.json'));
  // The visitor-token secret of this host (lib/adapters/secrets.ts), beside its development key.
  process.env.VISITOR_SECRET_FILE ??= join(keyDir, 'visitor-secret');
  // The key that wraps messenger credentials (lib/adapters/sealing.ts), beside it too.
  process.env.CREDENTIALS_KEY_FILE ??= join(keyDir, 'credentials-key');
  const files = options.files === true ? await startFileStore() : undefined;
  const host = await startHost({ port: 0, key });
  const events =
    options.events !== true ? undefined : await startEventWorkers({ endpoint, tableName, sweepEveryMs: options.sweepEveryMs ?? 200, onError: () => undefined });
  const smtp = options.smtp ? await startSmtpListener({ port: 0 }) : undefined;
  const testHost: TestHost = {
    events,
    files,
    smtpPort: smtp?.port,
    url: host.url,
    tableName,
    endpoint,
    key,
    token: (claims, options) => signToken(key, claims, options),
    async dispatch(method, path, options = {}) {
      const headers: Record<string, string> = { host: new URL(host.url).host };
      for (const [k, v] of Object.entries(options.headers ?? {})) headers[k.toLowerCase()] = v;
      const body = Buffer.from(options.body ?? '', 'utf8');
      const result = await host.answer({ method, url: path, headers, body: async () => body });
      const replyHeaders: Record<string, string> = {};
      for (const [k, v] of Object.entries(result.headers ?? {})) replyHeaders[k.toLowerCase()] = String(v);
      return { status: result.statusCode ?? 200, headers: replyHeaders, text: result.body ?? '' };
    },
    liveSockets: () => host.live.sockets.size,
    dropLiveSockets: () => {
      for (const s of host.live.sockets) s.ws.terminate();
    },
    async call(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      let body: string | undefined = options.raw;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] = 'application/json';
      }
      const res = await fetch(`${host.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      // Every answer of a route the OpenAPI document covers must match it.
      if (responseCheckEnabled()) checkResponse(method, path, res.status, res.headers.get('content-type'), parsed);
      return { status: res.status, headers: res.headers, body: parsed };
    },
    async close() {
      await smtp?.close();
      await testHost.events?.stop();
      await host.close();
      await files?.stop();
    },
  };
  return testHost;
}
