/**
 * The OpenAPI 3.1 document of chatlines, generated from the route specs of the manifest
 * (lib/contract/spec.ts, lib/contract/routes/): the same zod schemas the functions validate with
 * (`z.toJSONSchema`, JSON Schema 2020-12, the dialect OpenAPI 3.1 uses): request bodies and
 * parameters as the functions read them (`io: 'input'`), responses as they are written
 * (`io: 'output'`), every error as the Problem component. Nothing is declared twice: a route
 * of the manifest is in the document because its spec says what it takes and answers.
 */

import { ChatlinesEventSchema } from './events.ts';
import { FilterSchema } from './filter.ts';
import { ProblemSchema } from './schemas.ts';
import { type Named, named, type RouteSpec, routeKey } from './spec.ts';
import * as z from './zod.ts';

/** The document itself, as far as it can be said in a schema. */
export const OpenApiDocumentSchema = z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.record(z.string(), z.unknown()) });

/**
 * What API Gateway itself answers when it refuses a request before any function runs: a bad or
 * missing JWT (401, the JWT authorizer) and throttling (429). Its body cannot be customised on
 * an HTTP API, so the document admits it beside the Problem for those two statuses.
 */
export const GatewayMessageSchema = z.object({ message: z.string() });
/** Statuses API Gateway may answer itself, with {@link GatewayMessageSchema} as `application/json`. */
export const GATEWAY_STATUSES: ReadonlySet<number> = new Set([401, 429]);

/** Input schemas that are components of their own (recursive or shared). */
const INPUT_COMPONENTS: readonly Named[] = [named('Filter', FilterSchema)];

// ------------------------------------------------------------------ generation

const TITLES: Record<number, string> = {
  400: 'Invalid request: malformed JSON, unknown or invalid fields (listed in `errors`)',
  401: 'No token, or a bad, expired or foreign one',
  403: "The caller's role or ownership does not allow it",
  404: 'No such object, or one the caller may not see',
  409: "The object's state does not allow it, a lost race, or an Idempotency-Key reused with another body",
  413: 'Body too large',
  429: 'Throttled; retry after `Retry-After`',
  500: 'Unexpected error; quote the request id',
  503: 'The database is unreachable; nothing was written; retry after `Retry-After`',
};

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const COMPONENT_PREFIX = '#/components/schemas/';

type JsonSchema = Record<string, unknown>;

/** Drops what does not belong in an embedded OpenAPI schema (`$schema`, registry `$id`s). */
function clean(schema: JsonSchema): JsonSchema {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

/**
 * Converts a set of named schemas in one pass, so that they refer to one another (and to
 * themselves, for the recursive filter) by `#/components/schemas/<name>`.
 */
function components(list: readonly Named[], io: 'input' | 'output'): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const { name, schema } of list) if (!registry.has(schema)) registry.add(schema, { id: name });
  const out = z.toJSONSchema(registry, { target: 'draft-2020-12', io, uri: (id) => `${COMPONENT_PREFIX}${id}`, unrepresentable: 'any' });
  const result: Record<string, JsonSchema> = {};
  for (const [name, schema] of Object.entries(out.schemas)) result[name] = clean(schema as JsonSchema);
  return result;
}

/** Path or query parameters from an object schema: one parameter per property. */
function parameters(schema: z.ZodMiniType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

const ref = (name: string) => ({ $ref: `${COMPONENT_PREFIX}${name}` });

function operationId(fn: string): string {
  return fn.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase());
}

/** Problem statuses of a route: its own plus the ones every route of its kind may answer. */
export function problemStatuses(spec: RouteSpec): number[] {
  const set = new Set<number>([...spec.problems, 429, 500, 503]);
  if (spec.auth || spec.visitor === 'token') set.add(401);
  if (spec.params || spec.query || spec.body) set.add(400);
  if (spec.body) set.add(413);
  if (spec.auth && MUTATING.has(spec.method)) set.add(409); // a reused Idempotency-Key
  return [...set].sort((a, b) => a - b);
}

/** Whether the document offers `Idempotency-Key`: authenticated mutations that change something. */
const idempotent = (spec: RouteSpec) => spec.auth && MUTATING.has(spec.method) && !spec.readOnly;

/** The OpenAPI 3.1 document for the given routes (the manifest). */
export function openApiDocument(routes: readonly RouteSpec[], options: { version?: string; serverUrl?: string } = {}): JsonSchema {
  const inputs: Named[] = [...INPUT_COMPONENTS];
  const outputs: Named[] = [named('Problem', ProblemSchema), named('GatewayMessage', GatewayMessageSchema), named('Event', ChatlinesEventSchema)];
  for (const spec of routes) {
    if (spec.body) inputs.push(spec.body);
    for (const response of Object.values(spec.responses)) outputs.push(response.body);
  }
  const inputSchemas = components(inputs, 'input');
  const outputSchemas = components(outputs, 'output');
  for (const name of Object.keys(inputSchemas)) {
    if (name in outputSchemas) throw new Error(`openapi: component ${name} is both a request and a response schema`);
  }

  // One function may serve several routes (search): their operation ids get the route's noun.
  const perFunction = new Map<string, number>();
  for (const route of routes) perFunction.set(route.function, (perFunction.get(route.function) ?? 0) + 1);
  const idOf = (route: RouteSpec) =>
    // Hooks share one function and one path prefix: each is named by its operation.
    route.raw && route.operation
      ? operationId(route.operation)
      : perFunction.get(route.function)! > 1
        ? operationId(`${route.function}-${route.path.split('/')[2] ?? ''}`)
        : operationId(route.function);

  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const spec of routes) {
    const responses: Record<string, JsonSchema> = {};
    for (const [status, response] of Object.entries(spec.responses)) {
      responses[status] = { description: response.description, content: { 'application/json': { schema: ref(response.body.name) } } };
    }
    for (const status of problemStatuses(spec)) {
      responses[String(status)] = {
        description: TITLES[status] ?? 'Error',
        content: {
          'application/problem+json': { schema: ref('Problem') },
          // API Gateway's own refusal (JWT authorizer, throttling): `{"message": "Unauthorized"}`.
          ...(GATEWAY_STATUSES.has(status) ? { 'application/json': { schema: ref('GatewayMessage') } } : {}),
        },
        ...(status === 429 || status === 503
          ? { headers: { 'Retry-After': { schema: { type: 'integer', minimum: 0 }, description: 'Seconds to wait' } } }
          : {}),
      };
    }
    const idempotency = idempotent(spec)
      ? [
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            description: 'A repeat with the same key and body returns the first response and changes nothing; the same key with another body is a 409.',
            schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,128}$' },
          },
        ]
      : [];
    // Session commands may be made conditional on the version a caller read (GET's ETag).
    const ifMatch = spec.ifMatch
      ? [
          {
            name: 'If-Match',
            in: 'header',
            required: false,
            description: 'The session version (ETag of GET /v1/sessions/{id}) this command is based on; another version is a 409.',
            schema: { type: 'string', pattern: '^(W/)?"?[0-9]{1,12}"?$' },
          },
        ]
      : [];
    const params = [...parameters(spec.params, 'path'), ...parameters(spec.query, 'query'), ...idempotency, ...ifMatch];
    (paths[spec.path] ??= {})[spec.method.toLowerCase()] = {
      operationId: idOf(spec),
      summary: spec.summary,
      tags: [spec.tag],
      ...(params.length ? { parameters: params } : {}),
      ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: ref(spec.body.name) } } } } : {}),
      responses,
      security: spec.auth ? [{ bearer: [] }] : spec.visitor === 'token' ? [{ visitorToken: [] }] : [],
    };
  }

  const keys = routes.map(routeKey);
  const twice = keys.filter((k, i) => keys.indexOf(k) !== i);
  if (twice.length) throw new Error(`openapi: routes declared twice: ${twice.join(', ')}`);
  return {
    openapi: '3.1.0',
    info: {
      title: 'chatlines',
      version: options.version ?? '0.1.0',
      description:
        'Live Chat support sessions: lines, channels, clients, sessions, messages, search and metrics. Errors are application/problem+json (RFC 9457).',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    // What chatlines sends: webhook deliveries and messenger deliveries (Standard Webhooks).
    webhooks: {
      event: {
        post: {
          summary:
            "An event, POSTed to a webhook subscription (`POST /v1/webhooks`) or a channel's `_deliveryUrl` (client-visible replies only). At least once: de-duplicate by `webhook-id`; order a session's events by `sequence`.",
          parameters: [
            { name: 'webhook-id', in: 'header', required: true, description: 'The event id, stable across retries.', schema: { type: 'string' } },
            { name: 'webhook-timestamp', in: 'header', required: true, description: 'Unix seconds of this attempt.', schema: { type: 'string' } },
            {
              name: 'webhook-signature',
              in: 'header',
              required: true,
              description:
                '`v1,` + base64 of HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the base64-decoded part of the secret after `whsec_`.',
              schema: { type: 'string' },
            },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: ref('Event') } } },
          responses: { '2XX': { description: 'Delivered. Anything else, or no answer within 10 s, is retried with growing delays for over 24 hours.' } },
        },
      },
    },
    // The live WebSocket (not an HTTP operation, so an extension): lib/domain/live/frames.ts, docs/live.md.
    'x-live': {
      path: '/v1/live',
      description:
        'GET /v1/live upgraded to a WebSocket (locally on the API port; in AWS the stack output LiveUrl). The JWT goes in `?token=` (locally also as the subprotocol pair `bearer, <jwt>`); a bad or missing token is refused with 401 before the upgrade. One JSON object per text frame. The server sends each event the caller may see (the Event schema; per session in `sequence` order), `{"type":"ready","connection","sub"}` once, `{"type":"pong"}` for `{"action":"ping"}`, and for `{"action":"resume","after":"<event id>"}` the caller-visible events after that one from the last hour, then `{"type":"resumed","after","count","complete"}` (`complete: false`: the id was not in the last hour; everything of the hour was sent). Unknown frames get `{"type":"error","message"}`. `{"type":"typing","session":"<id>"}` (a visitor for its own session, staff for a session it holds) reaches the other side as `{"type":"typing","session","from":"client"|"operator","at"}`, at most once per 2 s per sender, never stored. A visitor token (`vt1.…`) opens the socket too: only its own sessions\' client-visible events and read receipts, in the visitor\'s shape `{"id","type","time","channel","session","sequence","data":{"state","message"?,"read"?}}`. Event types contain a dot; control frames\' types never do.',
      event: ref('Event'),
      clientFrames: [
        { type: 'object', required: ['action'], properties: { action: { const: 'ping' } } },
        { type: 'object', required: ['action', 'after'], properties: { action: { const: 'resume' }, after: { type: 'string' } } },
        { type: 'object', required: ['type', 'session'], properties: { type: { const: 'typing' }, session: { type: 'string' } } },
      ],
      controlFrames: ['ready', 'pong', 'resumed', 'error', 'typing'],
    },
    components: {
      schemas: { ...inputSchemas, ...outputSchemas },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        visitorToken: { type: 'http', scheme: 'bearer', bearerFormat: 'chatlines visitor token (vt1.…) from POST /v1/visitors' },
      },
    },
  };
}
