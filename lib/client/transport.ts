/**
 * The client's one way to the API: `fetch` with the bearer token, JSON in and out, one error
 * class for every failure, retries with backoff on 429/503 and on network failures, and an
 * `Idempotency-Key` on every mutating call that stays the same across that call's retries,
 * so a retried create or command is applied once. Runs in Node ≥ 20 and in browsers: it uses
 * only `fetch`, `Headers`, `URL`, `setTimeout` and `crypto.randomUUID` from the global scope.
 */
import type { ProblemDetails } from './types.ts';

/** Options of {@link createLinesClient}. */
export interface LinesClientOptions {
  /** Where the API lives, e.g. `http://127.0.0.1:3000` (with or without a trailing slash). */
  baseUrl: string;
  /** A JWT, or a function that returns a current one (called before each request). */
  token?: string | (() => string | Promise<string>);
  /** A `fetch` implementation; defaults to the global one. */
  fetch?: typeof fetch;
  /** How many times a call is retried after 429, 503 or a network failure (default 3). */
  retries?: number;
  /** First retry delay in ms, doubled on each retry, with jitter (default 200). */
  retryDelayMs?: number;
  /** Longest wait before a retry in ms, also caps `Retry-After` (default 5000). */
  maxRetryDelayMs?: number;
  /**
   * The live WebSocket endpoint (`lines.live`): default `ws(s)://<baseUrl host>/v1/live` (the
   * local host); in AWS the stack's `LiveUrl` output.
   */
  liveUrl?: string;
  /** A WebSocket constructor for `lines.live`; defaults to the global one (browsers, Node ≥ 22). */
  WebSocket?: import('./live.ts').WebSocketConstructor;
}

/**
 * Every failure of a call: an error answer of the API (with its problem details), or a
 * network failure after the retries (status 0). `errors` lists the invalid fields of a 400.
 */
export class ChatlinesApiError extends Error {
  /** HTTP status; 0 when no answer arrived. */
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  /** Problem type URI. */
  readonly type: string;
  /** Invalid fields of a 400: `{ path, message }`. Empty otherwise. */
  readonly errors: { path: string; message: string }[];
  /** The problem details as received (or as made up for a non-problem answer). */
  readonly problem: ProblemDetails;
  /** `x-request-id` of the answer, to quote in a support request. */
  readonly requestId: string | undefined;
  /** `METHOD path` of the call. */
  readonly call: string;

  constructor(problem: ProblemDetails, call: string, requestId?: string, options?: { cause?: unknown }) {
    super(`${call} → ${problem.status} ${problem.title}: ${problem.detail}`, options);
    this.name = 'ChatlinesApiError';
    this.status = problem.status;
    this.title = problem.title;
    this.detail = problem.detail;
    this.type = problem.type;
    this.errors = problem.errors ?? [];
    this.problem = problem;
    this.requestId = requestId;
    this.call = call;
  }
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined | null>;
  /**
   * A POST that changes nothing (search): no Idempotency-Key, since the server would spend a
   * read on looking it up for nothing.
   */
  readOnly?: boolean;
}

const MUTATING: ReadonlySet<HttpMethod> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const RETRY_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/** A random UUID for an Idempotency-Key (Web Crypto, present in Node ≥ 19 and browsers). */
function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}

function isProblem(value: unknown): value is ProblemDetails {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.status === 'number' && typeof v.title === 'string';
}

/**
 * The problem details of an error answer: the API's own problem+json, or what API Gateway
 * answers itself before any function runs (a bad token: 401 `{"message":"Unauthorized"}`;
 * throttling: 429 `{"message":"Too Many Requests"}`), or anything else, made into one.
 */
function problemOf(parsed: unknown, response: Response): ProblemDetails {
  if (isProblem(parsed)) return parsed;
  const gatewayMessage =
    typeof parsed === 'object' && parsed !== null && typeof (parsed as { message?: unknown }).message === 'string'
      ? (parsed as { message: string }).message
      : undefined;
  return {
    type: 'about:blank',
    title: gatewayMessage || response.statusText || 'Error',
    status: response.status,
    detail: gatewayMessage ?? (typeof parsed === 'string' && parsed ? parsed.slice(0, 500) : `HTTP ${response.status}`),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `Retry-After` in seconds or as an HTTP date → milliseconds, if present and sane. */
function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** The HTTP layer shared by every collection and item of one client. */
export class Transport {
  readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  readonly token: LinesClientOptions['token'];
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;

  constructor(options: LinesClientOptions) {
    if (!options.baseUrl) throw new TypeError('createLinesClient: baseUrl is required');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    // Wrapped so that a browser's fetch is never called with a foreign `this`.
    const given = options.fetch;
    this.fetchImpl = given ?? ((input, init) => globalThis.fetch(input, init));
    this.token = options.token;
    this.retries = Math.max(0, options.retries ?? 3);
    this.retryDelayMs = Math.max(0, options.retryDelayMs ?? 200);
    this.maxRetryDelayMs = Math.max(0, options.maxRetryDelayMs ?? 5000);
  }

  /**
   * Sends one call (with its retries) and returns the parsed JSON body of a 2xx answer.
   * Throws {@link ChatlinesApiError} for any other outcome.
   */
  async request<T>(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<T> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [k, v] of Object.entries(options.query ?? {})) {
      if (v !== undefined && v !== null) url.searchParams.set(k, String(v));
    }
    const call = `${method} ${path}`;
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    // One key per logical call, reused by its retries: the server then applies it once.
    if (MUTATING.has(method) && !options.readOnly) headers['idempotency-key'] = newIdempotencyKey();

    for (let attempt = 0; ; attempt++) {
      const token = typeof this.token === 'function' ? await this.token() : this.token;
      if (token) headers.authorization = `Bearer ${token}`;
      let response: Response;
      try {
        response = await this.fetchImpl(url.toString(), { method, headers, ...(body !== undefined ? { body } : {}) });
      } catch (error) {
        // fetch rejects with a TypeError when no answer arrives; anything else is not ours to retry.
        if (!(error instanceof TypeError)) throw error;
        if (attempt < this.retries) {
          await sleep(this.delay(attempt, undefined));
          continue;
        }
        const reason = error instanceof Error ? error.message : String(error);
        throw new ChatlinesApiError(
          { type: 'about:blank', title: 'Network error', status: 0, detail: `no answer from ${this.baseUrl}: ${reason}` },
          call,
          undefined,
          { cause: error },
        );
      }
      if (RETRY_STATUSES.has(response.status) && attempt < this.retries) {
        // Drain the body so the connection can be reused.
        await response.text().catch(() => undefined);
        await sleep(this.delay(attempt, retryAfterMs(response.headers.get('retry-after'))));
        continue;
      }
      const text = await response.text();
      let parsed: unknown;
      if (text) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      if (response.ok) return parsed as T;
      throw new ChatlinesApiError(
        problemOf(parsed, response),
        call,
        response.headers.get('x-request-id') ?? response.headers.get('apigw-requestid') ?? undefined,
      );
    }
  }

  /** Exponential backoff with full jitter, at least what `Retry-After` asks, capped. */
  private delay(attempt: number, retryAfter: number | undefined): number {
    const backoff = this.retryDelayMs * 2 ** attempt;
    const jittered = backoff / 2 + Math.random() * (backoff / 2);
    return Math.min(this.maxRetryDelayMs, Math.max(jittered, retryAfter ?? 0));
  }
}
