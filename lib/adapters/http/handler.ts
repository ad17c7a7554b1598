/**
 * The one adapter from API Gateway HTTP API (payload 2.0) events to chatlines use cases:
 * zod parsing of path, query and body; the caller from JWT claims; `Idempotency-Key`;
 * errors as `application/problem+json`; logging and one metric per outcome. Every function
 * in `functions/` is `export const handler = route(spec, run)`: the route's operation spec
 * from the manifest (lib/contract/spec.ts, lib/contract/routes/) says what to parse and whether a
 * caller is needed; `run` is the use case.
 */
import { createHash } from 'node:crypto';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { type Caller, callerFromClaims } from '../../contract/caller.ts';
import { ChatlinesError, type FieldError, isConflict } from '../../contract/errors.ts';
import { type Parsed, type ParsedBody, type RouteSpec, successStatus } from '../../contract/spec.ts';
import type * as z from '../../contract/zod.ts';
import { getItem, putNew, type TransactItem } from '../dynamodb/db.ts';
import { idempotencyKey } from '../dynamodb/keys.ts';
import { logger, outcomeRecorder, tracer } from '../observability.ts';
import { errorResponse, json } from './problem.ts';

/** Largest request body accepted (bytes); larger → 413. */
export const MAX_BODY_BYTES = 64 * 1024;
/** How long an idempotency record is kept. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  text?: string;
}

/** What `run` answers: the status defaults to the spec's (first) success status. */
export interface RunReply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** A plain-text answer instead of JSON (a messenger's handshake echo). */
  text?: string;
}

/**
 * Extra writes a use case adds to its own transaction so that the idempotency record lands
 * atomically with the change. Empty when the request carries no `Idempotency-Key`.
 */
export type IdempotencyWrites = (reply: RunReply) => TransactItem[];

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** Undefined only on routes whose spec says `auth: false`. */
  caller: Caller;
  requestId: string;
  /** When the gateway received the request (epoch ms): commands refuse state that changed after it. */
  receivedAt: number;
  /** The `If-Match` version (`"3"`, `W/"3"` or `3`): the command applies only to that version. */
  ifMatch: number | undefined;
  idempotency: IdempotencyWrites;
  /** What the route's own `authenticate` returned (the visitor routes: the visitor's claims); else undefined. */
  principal: unknown;
  /** The request as received, on `raw` routes (messenger hooks); else undefined. */
  raw: RawRequest | undefined;
}

/** A request as received (`raw` routes): what a messenger's signature is computed over. */
export interface RawRequest {
  readonly method: 'GET' | 'POST';
  /** The path as requested (`/v1/hooks/telegram/<id>`). */
  readonly path: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** The body exactly as received, as UTF-8 text ('' when none). */
  readonly body: string;
}

export interface RouteOptions {
  /**
   * For routes without a staff JWT that check a credential of their own (the visitor routes):
   * runs before any input is parsed, so a bad credential is 401 whatever the body (as a gateway
   * authorizer would answer). Its result is the context's `principal`.
   */
  authenticate?(header: (name: string) => string | undefined): Promise<unknown>;
}

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpHandler = (event: HttpEvent, context?: Partial<Context>) => Promise<APIGatewayProxyStructuredResultV2>;

/** The use case of a route, given what its spec parsed. */
export type Run<S extends RouteSpec> = (ctx: RouteContext<Parsed<S['params']>, Parsed<S['query']>, ParsedBody<S>>) => Promise<RunReply>;

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Zod issues → `{ path, message }`, unknown keys listed one by one. */
export function fieldErrors(error: z.core.$ZodError, prefix: string): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    const base = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ path: [base, key].filter(Boolean).join('.'), message: 'unknown field (not allowed here)' });
      }
    } else {
      out.push({ path: base || prefix || '(root)', message: issue.message });
    }
  }
  return out;
}

function parsePart(schema: z.ZodMiniType | undefined, value: unknown, prefix: string): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = fieldErrors(result.error, prefix);
  throw new ChatlinesError('invalid', `invalid ${prefix || 'body'}: ${errors.map((e) => `${e.path} (${e.message})`).join('; ')}`, errors);
}

function rawBody(event: HttpEvent): string | undefined {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'unparseable';
    throw new ChatlinesError('invalid', `the body is not valid JSON: ${reason}`, [{ path: 'body', message: 'malformed JSON' }]);
  }
}

function header(event: HttpEvent, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** `If-Match: "3"` (or `W/"3"`, or `3`) → 3; absent → undefined; anything else → 400. */
function parseIfMatch(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,12})"?\s*$/.exec(value);
  if (!match) {
    throw new ChatlinesError('invalid', 'If-Match must be the version (ETag) of the object, e.g. "3"', [
      { path: 'headers.if-match', message: 'not a version' },
    ]);
  }
  return Number(match[1]);
}

interface IdempotencyRecord {
  requestHash: string;
  /** The rights the first request was made with (`rightsOf`); absent on records written before it. */
  rights?: string;
  status: number;
  body: string;
}

/**
 * What the caller may do, as a digest of every claim authorization reads (roles, groups,
 * channels): a stored answer is replayed as is only to a caller with the rights of the one it
 * was made for. The subject is already part of the record's key.
 */
function rightsOf(caller: Caller): string {
  const sorted = (list: readonly string[]) => [...list].sort();
  return createHash('sha256')
    .update(JSON.stringify([sorted(caller.roles), sorted(caller.groups), sorted(caller.channels)]))
    .digest('base64url');
}

async function readIdempotencyRecord(caller: string, key: string): Promise<IdempotencyRecord | undefined> {
  const item = await getItem(idempotencyKey(caller, key));
  return item as IdempotencyRecord | undefined;
}

function replay(record: IdempotencyRecord, requestHash: string): Reply {
  if (record.requestHash !== requestHash) {
    throw new ChatlinesError('conflict', 'this Idempotency-Key was already used with a different request');
  }
  return { status: record.status, body: JSON.parse(record.body), headers: { 'idempotent-replayed': 'true' } };
}

/**
 * Thrown from a use case's idempotency writes when a replay is being re-authorized: the use
 * case got as far as its write, so every check a fresh request meets has passed. Nothing is
 * written (use cases build their writes before they send them).
 */
class ReplayAuthorized extends Error {}

/** Builds the Lambda handler of one route from its operation spec and its use case. */
export function route<S extends RouteSpec>(spec: S, run: Run<S>, options: RouteOptions = {}): HttpHandler {
  const needsAuth = spec.auth;
  const operation = spec.operation ?? spec.function;
  const bodySchema = spec.parseBodyWith ?? spec.body?.schema;
  const defaultStatus = successStatus(spec);
  const complete = (reply: RunReply): Reply => ({ ...reply, status: reply.status ?? defaultStatus });
  type Ctx = Parameters<Run<S>>[0];
  const runWith = async (ctx: Omit<Ctx, 'idempotency'>, idempotency: (reply: Reply) => TransactItem[]): Promise<Reply> =>
    complete(await run({ ...ctx, idempotency: (reply) => idempotency(complete(reply)) } as Ctx));
  return async (event, context) => {
    const started = Date.now();
    const recorder = outcomeRecorder();
    // Awaited after the work; a failed import must not leave an unhandled rejection meanwhile.
    recorder.catch(() => undefined);
    const requestId = context?.awsRequestId ?? event.requestContext?.requestId ?? 'local';
    logger.appendKeys({ requestId, operation });
    const parent = tracer?.isTracingEnabled() ? tracer.getSegment() : undefined;
    const segment = parent?.addNewSubsegment(`## ${operation}`);
    if (tracer && segment) {
      tracer.setSegment(segment);
      tracer.annotateColdStart();
      tracer.addServiceNameAnnotation();
    }
    let reply: Reply;
    try {
      reply = await handle(event, requestId);
    } catch (error) {
      reply = errorResponse(error, requestId);
      if (reply.status >= 500) logger.error('request failed', { error: error as Error });
    } finally {
      if (tracer && segment && parent) {
        segment.close();
        tracer.setSegment(parent);
      }
    }
    const outcome = reply.status < 400 ? 'success' : String(reply.status);
    try {
      (await recorder)(operation, outcome);
    } catch (error) {
      logger.warn('the outcome metric could not be recorded', { error: error as Error });
    }
    logger.info('request', { status: reply.status, ms: Date.now() - started, method: event.requestContext?.http?.method });
    logger.removeKeys(['requestId', 'operation']);
    return toResult(reply, requestId);
  };

  async function handle(event: HttpEvent, requestId: string): Promise<Reply> {
    const method = event.requestContext?.http?.method ?? 'GET';
    const receivedAt = event.requestContext?.timeEpoch ?? Date.now();
    const ifMatch = parseIfMatch(header(event, 'if-match'));
    const text = rawBody(event);
    if (text !== undefined && Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
      throw new ChatlinesError('too-large', `the body is larger than ${MAX_BODY_BYTES} bytes`);
    }
    const caller = needsAuth ? callerFromClaims(event.requestContext?.authorizer?.jwt?.claims) : (undefined as unknown as Caller);
    const principal = options.authenticate ? await options.authenticate((n) => header(event, n)) : undefined;
    const params = parsePart(spec.params, event.pathParameters ?? {}, 'params');
    if (spec.raw) {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
      const raw: RawRequest = {
        method: method === 'GET' ? 'GET' : 'POST',
        path: event.rawPath ?? '',
        headers,
        query: { ...(event.queryStringParameters ?? {}) },
        body: text ?? '',
      };
      const ctx = { params, query: undefined, body: undefined, caller, requestId, receivedAt, ifMatch, principal, raw } as Omit<
        Parameters<Run<S>>[0],
        'idempotency'
      >;
      return runWith(ctx, () => []);
    }
    const query = parsePart(spec.query, event.queryStringParameters ?? {}, 'query');
    const body = bodySchema ? parsePart(bodySchema, parseJson(text), '') : undefined;
    if (!bodySchema && text !== undefined && text.trim() !== '' && text.trim() !== '{}') {
      throw new ChatlinesError('invalid', 'this route takes no body', [{ path: 'body', message: 'must be empty' }]);
    }

    const key = MUTATING.has(method) ? header(event, 'idempotency-key') : undefined;
    // A malformed key is refused everywhere; on routes without a staff caller (the visitor
    // routes) a well-formed one is accepted and not recorded.
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      throw new ChatlinesError('invalid', 'Idempotency-Key must be 1-128 letters, digits or _.:-', [
        { path: 'headers.idempotency-key', message: 'invalid format' },
      ]);
    }
    if (key === undefined || !needsAuth) {
      return runWith({ params, query, body, caller, requestId, receivedAt, ifMatch, principal, raw: undefined } as Omit<Ctx, 'idempotency'>, () => []);
    }
    const requestHash = createHash('sha256')
      .update(`${method} ${event.rawPath}\n${text ?? ''}`)
      .digest('base64url');
    const rights = rightsOf(caller);
    const ctx = { params, query, body, caller, requestId, receivedAt, ifMatch, principal, raw: undefined } as Omit<Ctx, 'idempotency'>;
    // A stored answer goes only to a caller who may have it: the same rights as the first
    // request's get the replay at once; other rights (e.g. the same subject with fewer roles)
    // go through the route's checks as a fresh request does, and get the replay only if the
    // use case reaches its write — which is then not made.
    const answer = async (record: IdempotencyRecord): Promise<Reply> => {
      const replayed = replay(record, requestHash);
      if (record.rights === rights) return replayed;
      try {
        return await runWith(ctx, () => {
          throw new ReplayAuthorized();
        });
      } catch (error) {
        if (error instanceof ReplayAuthorized) return replayed;
        throw error;
      }
    };
    const existing = await readIdempotencyRecord(caller.sub, key);
    if (existing) return answer(existing);
    const idempotency = (reply: Reply) => [
      putNew({
        ...idempotencyKey(caller.sub, key),
        entity: 'idempotency',
        requestHash,
        rights,
        status: reply.status,
        body: JSON.stringify(reply.body ?? null),
        expiresAt: Math.floor(Date.now() / 1000) + IDEMPOTENCY_TTL_SECONDS,
      }),
    ];
    try {
      return await runWith(ctx, idempotency);
    } catch (error) {
      // A parallel request with the same key may have won the race: answer with its reply.
      if (isConflict(error)) {
        const winner = await readIdempotencyRecord(caller.sub, key);
        if (winner) return answer(winner);
      }
      throw error;
    }
  }
}

function toResult(reply: Reply, requestId: string): APIGatewayProxyStructuredResultV2 {
  if (reply.text !== undefined) {
    return {
      statusCode: reply.status,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-request-id': requestId, ...reply.headers },
      body: reply.text,
    };
  }
  return json(reply.status, reply.body, { 'x-request-id': requestId, ...reply.headers });
}
