/**
 * The operation spec: everything about one HTTP route, said once. The manifest
 * (lib/contract/routes.ts) is a list of these; the CDK stack and the local host read their routing
 * fields, `route()` (lib/adapters/http/handler.ts) parses and authenticates with them, and the OpenAPI
 * generator (lib/contract/openapi.ts) walks them. A function file supplies only `run`:
 *
 * ```ts
 * // lib/contract/routes/<area>.ts
 * export const getLine = {
 *   method: 'GET', path: '/v1/lines/{id}', function: 'get-line', access: 'read', auth: true,
 *   summary: 'Fetch a line.', tag: 'lines',
 *   params: IdParams,                                            // zod; also query, body
 *   responses: { 200: { description: 'The line', body: named('Line', LineSchema) } },
 *   problems: [404],                                             // statuses besides the usual
 * } as const satisfies RouteSpec;
 *
 * // functions/http/get-line.ts
 * export const handler = route(getLine, async ({ caller, params }) => ({ body: await fetchLine(caller, params.id) }));
 * ```
 *
 * No AWS imports here: the stack, the host and every function bundle read this.
 */
import type * as z from './zod.ts';

/**
 * How a route's function uses the table, in short: `none`, `read` (reads only), `write` (it
 * writes). The exact IAM grant of each function (its actions and indexes) is in
 * infra/grants.ts; test/infra/grants.test.ts checks that the two agree.
 */
export type TableAccess = 'none' | 'read' | 'write';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A schema with the name it has under `components.schemas` of the OpenAPI document. */
export interface Named<S extends z.ZodMiniType = z.ZodMiniType> {
  readonly name: string;
  readonly schema: S;
}

/** Gives a schema its component name (pure: kept out of bundles that do not use it). */
/* @__NO_SIDE_EFFECTS__ */
export function named<S extends z.ZodMiniType>(name: string, schema: S): Named<S> {
  return { name, schema };
}

export type OperationTag =
  | 'health'
  | 'docs'
  | 'lines'
  | 'channels'
  | 'clients'
  | 'operators'
  | 'sessions'
  | 'messages'
  | 'search'
  | 'metrics'
  | 'webhooks'
  | 'visitors'
  | 'hooks';

export interface RouteSpec {
  readonly method: HttpMethod;
  /** API Gateway path syntax: `/v1/sessions/{id}`. */
  readonly path: string;
  /** File under `functions/` without extension; exports `handler`. Several routes may share one. */
  readonly function: string;
  /** Name in logs and metrics; defaults to `function` (set it when routes share a function). */
  readonly operation?: string;
  readonly access: TableAccess;
  /** false only for health, the OpenAPI document and the visitor routes: no JWT authorizer, no caller. */
  readonly auth: boolean;
  /**
   * Visitor routes of the web-chat widget (with `auth: false`): `open` takes no token (a
   * visitor starts there), `token` needs a visitor token, which the function verifies itself
   * (`route(spec, run, { authenticate })`) before any input is parsed.
   */
  readonly visitor?: 'open' | 'token';
  /**
   * A per-route limit tighter than the stage's default (requests per second, burst): set on
   * routes that are rare by nature (configuration) or costly (search).
   */
  readonly throttle?: { readonly rate: number; readonly burst: number };
  /** OpenAPI summary and tag. */
  readonly summary: string;
  readonly tag: OperationTag;
  /** Path parameters, query and JSON body, as zod schemas (strict objects); absent = none taken. */
  readonly params?: z.ZodMiniType;
  readonly query?: z.ZodMiniType;
  readonly body?: Named;
  /**
   * The schema `route()` parses the body with, when it is looser than the documented one: the
   * searches take the envelope here and parse the filter themselves (lib/contract/filter.ts), so
   * that a bad filter is a 400 naming the exact path (`where.and.1.eq.0`).
   */
  readonly parseBodyWith?: z.ZodMiniType;
  /** Success statuses and their bodies. The first is what `run` answers unless it says otherwise. */
  readonly responses: Readonly<Record<number, { readonly description: string; readonly body: Named }>>;
  /**
   * Problem statuses besides the ones every route may answer (429, 500, 503), the ones of
   * authenticated routes (401; 409 for a reused Idempotency-Key on mutations) and the ones of
   * routes with input (400; 413 with a body).
   */
  readonly problems: readonly number[];
  /** The command may be made conditional with `If-Match` (the session's version). */
  readonly ifMatch?: boolean;
  /** A POST that changes nothing (search): no `Idempotency-Key`. */
  readonly readOnly?: boolean;
  /**
   * A messenger's hook (with `auth: false`): the request is handed to `run` as received
   * (`ctx.raw`: method, lower-case headers, query, the body byte for byte as UTF-8 text), its
   * query and body never parsed — the function checks the messenger's proof over the raw body
   * before it reads anything. `body` then only documents what the messenger sends.
   */
  readonly raw?: true;
}

/** Output type of an optional schema slot of a spec (`undefined` when the route takes none). */
export type Parsed<S> = S extends z.ZodMiniType ? z.output<S> : undefined;
/** Output type of a spec's body: `parseBodyWith` when set, else the documented body. */
export type ParsedBody<S extends RouteSpec> = S['parseBodyWith'] extends z.ZodMiniType
  ? z.output<S['parseBodyWith']>
  : S['body'] extends Named<infer B>
    ? z.output<B>
    : undefined;

/** The first (lowest) success status of a spec. */
export function successStatus(spec: Pick<RouteSpec, 'responses'>): number {
  const statuses = Object.keys(spec.responses)
    .map(Number)
    .sort((a, b) => a - b);
  if (statuses.length === 0) throw new Error('a route spec needs at least one success response');
  return statuses[0]!;
}

/** `METHOD path`, the key of a route (as API Gateway's route key). */
export const routeKey = (route: { readonly method: string; readonly path: string }) => `${route.method} ${route.path}`;

/** Functions that are not routes: triggered by a schedule. */
export interface ScheduledFunctionDefinition {
  readonly function: string;
  readonly access: TableAccess;
  readonly description: string;
  /** A fixed rate in minutes; absent = the stack's `AggregationRateMinutes` parameter. */
  readonly everyMinutes?: number;
}

/** Functions fed by the table's stream (an event source mapping in AWS, the local poller on the local host). */
export interface StreamFunctionDefinition {
  readonly function: string;
  readonly access: TableAccess;
  readonly description: string;
}
