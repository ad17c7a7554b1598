/**
 * The OpenAPI 3.1 document of chatlines, generated from the same zod schemas the functions
 * validate with (`z.toJSONSchema`, JSON Schema 2020-12, the dialect OpenAPI 3.1 uses): request
 * bodies and parameters as the functions read them (`io: 'input'`), responses as they are
 * written (`io: 'output'`), every error as the Problem component.
 *
 * `OPERATIONS` says, for each route of the manifest (`METHOD path`), which schemas it takes and
 * answers with and which problem statuses it may answer. The document is built from the
 * manifest the hosts serve, so a route without an entry here is missing from the document;
 * test/client/openapi.test.ts fails on that, and on an entry that names no route.
 */
// Namespace import: the named `z` export keeps every locale in the bundle (~450 KB).
import * as z from 'zod';
import { MetricsQuery, MetricsResponse } from '../metrics/schemas.ts';
import {
  CreatedWebhookSchema,
  CreateWebhookBody,
  DeliveriesQuery,
  DeliveryListSchema,
  DeliveryParams,
  DeliverySchema,
  WebhookIdParams,
  WebhookListSchema,
  WebhookSchema,
} from '../webhooks/schemas.ts';
import {
  AssignSessionBody,
  ChannelMessageParams,
  ChannelSchema,
  ChannelWithSecretSchema,
  ClientSchema,
  CreateChannelBody,
  CreateLineBody,
  CreateSessionBody,
  HealthResponse,
  IdParams,
  InboundBody,
  InboundResponse,
  MessageStatusBody,
  LineSchema,
  MessageSchema,
  MessagesQuery,
  MessagesResponse,
  OperatorSchema,
  OperatorStatusBody,
  PostMessageBody,
  ProblemSchema,
  SaveSessionBody,
  SessionSchema,
  SetPriorityBody,
  UpdateChannelBody,
  UpdateClientBody,
} from '../model/schemas.ts';
import { FilterSchema, SearchRequest, SearchResponse } from '../search/filter.ts';
import {
  CreateVisitorBody,
  PostVisitorMessageResponse,
  VisitorMessageBody,
  VisitorMessagesResponse,
  VisitorQueueResponse,
  VisitorTokenResponse,
} from '../visitors/schemas.ts';

/** The bits of a manifest route the document needs (infra/routes.ts `RouteDefinition`). */
export interface DocumentedRoute {
  readonly method: string;
  readonly path: string;
  readonly function: string;
  readonly auth: boolean;
  /** Visitor routes (`token`: a visitor token in `Authorization`). */
  readonly visitor?: 'open' | 'token';
}

/** A schema with the name it has under `components.schemas`. */
interface Named {
  readonly name: string;
  readonly schema: z.ZodType;
}

const named = (name: string, schema: z.ZodType): Named => ({ name, schema });

/** What one operation takes and answers. */
export interface OperationSpec {
  readonly summary: string;
  readonly tag: 'health' | 'docs' | 'lines' | 'channels' | 'clients' | 'operators' | 'sessions' | 'messages' | 'search' | 'metrics' | 'visitors' | 'webhooks';
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: Named;
  /** Success statuses and their bodies. */
  readonly responses: Readonly<Record<number, { readonly description: string; readonly body: Named }>>;
  /**
   * Problem statuses besides the ones every route may answer (429, 500, 503), the ones of
   * authenticated routes (401) and the ones of routes with input (400; 413 with a body).
   */
  readonly problems: readonly number[];
}

// ------------------------------------------------------------------ components

const Line = named('Line', LineSchema);
const Channel = named('Channel', ChannelSchema);
const Client = named('Client', ClientSchema);
const Session = named('Session', SessionSchema);
const Message = named('Message', MessageSchema);
const Operator = named('Operator', OperatorSchema);
/** The document itself, as far as it can be said in a schema. */
export const OpenApiDocumentSchema = z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.record(z.string(), z.unknown()) });

/** Input schemas that are components of their own (recursive or shared). */
const INPUT_COMPONENTS: readonly Named[] = [named('Filter', FilterSchema)];

const searchOperation = (collection: keyof typeof SearchResponse, item: string): OperationSpec => ({
  summary: `Search ${collection} with the filter language; \`count: true\` adds the total.`,
  tag: 'search',
  body: named('SearchRequest', SearchRequest),
  responses: { 200: { description: `A page of ${item}s`, body: named(`${item}SearchResponse`, SearchResponse[collection]) } },
  // 403: integrations may not search (lib/auth/policy.ts requireSearcher).
  problems: [403],
});

const sessionCommand = (summary: string, problems: readonly number[], body?: Named): OperationSpec => ({
  summary,
  tag: 'sessions',
  params: IdParams,
  ...(body ? { body } : {}),
  responses: { 200: { description: 'The session after the change', body: Session } },
  problems,
});

/** Every documented route, by `METHOD path` as in the manifest. */
export const OPERATIONS: Readonly<Record<string, OperationSpec>> = {
  'GET /v1/health': {
    summary: 'Liveness (no auth, no database).',
    tag: 'health',
    responses: { 200: { description: 'Alive', body: named('Health', HealthResponse) } },
    problems: [],
  },
  'GET /v1/openapi.json': {
    summary: 'This document.',
    tag: 'docs',
    responses: { 200: { description: 'The OpenAPI 3.1 document', body: named('OpenApiDocument', OpenApiDocumentSchema) } },
    problems: [],
  },
  'POST /v1/lines': {
    summary: 'Create a line (admin).',
    tag: 'lines',
    body: named('CreateLineBody', CreateLineBody),
    responses: { 201: { description: 'The new line', body: Line } },
    problems: [403, 409],
  },
  'GET /v1/lines/{id}': {
    summary: 'Fetch a line.',
    tag: 'lines',
    params: IdParams,
    responses: { 200: { description: 'The line', body: Line } },
    problems: [404],
  },
  'POST /v1/channels': {
    summary: 'Connect a channel to a line (admin).',
    tag: 'channels',
    body: named('CreateChannelBody', CreateChannelBody),
    responses: { 201: { description: 'The new channel (with `_deliverySecret` once when `_deliveryUrl` was given)', body: named('ChannelWithSecret', ChannelWithSecretSchema) } },
    problems: [403, 404, 409],
  },
  'POST /v1/channels/{id}/inbound': {
    summary: "A client's message arrives (integration): finds or creates the client and its open session.",
    tag: 'channels',
    params: IdParams,
    body: named('InboundBody', InboundBody),
    responses: {
      200: { description: 'Added to the open session', body: named('InboundResponse', InboundResponse) },
      201: { description: 'A new session was opened', body: named('InboundResponse', InboundResponse) },
    },
    problems: [403, 404, 409],
  },
  'POST /v1/channels/{id}/disconnect': {
    summary: '`active` → `disconnected`.',
    tag: 'channels',
    params: IdParams,
    responses: { 200: { description: 'The channel after the change', body: Channel } },
    problems: [403, 404, 409],
  },
  'POST /v1/channels/{id}/reconnect': {
    summary: 'Back to `active` (inbox, telegramBot, viberbot, livechat, instagram only).',
    tag: 'channels',
    params: IdParams,
    responses: { 200: { description: 'The channel after the change', body: Channel } },
    problems: [403, 404, 409],
  },
  'PATCH /v1/clients/{id}': {
    summary: "Save a client's account link (`_applicationItem`) and block status.",
    tag: 'clients',
    params: IdParams,
    body: named('UpdateClientBody', UpdateClientBody),
    responses: { 200: { description: 'The client after the change', body: Client } },
    problems: [403, 404, 409],
  },
  'PUT /v1/operators/me/status': {
    summary: 'The calling operator goes online or offline.',
    tag: 'operators',
    body: named('OperatorStatusBody', OperatorStatusBody),
    responses: { 200: { description: "The caller's presence", body: Operator } },
    problems: [403, 409],
  },
  'POST /v1/sessions': {
    summary: 'Create a session on behalf of the calling operator (`sessions.create(channel, account)`).',
    tag: 'sessions',
    body: named('CreateSessionBody', CreateSessionBody),
    responses: { 201: { description: 'The new session, assigned to the caller', body: Session } },
    problems: [403, 404, 409],
  },
  'GET /v1/sessions/{id}': {
    summary: 'Fetch a session.',
    tag: 'sessions',
    params: IdParams,
    responses: { 200: { description: 'The session', body: Session } },
    problems: [404],
  },
  'PATCH /v1/sessions/{id}': sessionCommand('Save a session: only `__name` and `_apps`.', [403, 404, 409], named('SaveSessionBody', SaveSessionBody)),
  'POST /v1/sessions/{id}/assign': sessionCommand(
    'Assign to an operator, an operator group or the line’s bot.',
    [403, 404, 409],
    named('AssignSessionBody', AssignSessionBody),
  ),
  'POST /v1/sessions/{id}/close': sessionCommand('Close (the assigned operator or bot only).', [403, 404, 409]),
  'PUT /v1/sessions/{id}/spam': sessionCommand('Mark as spam.', [403, 404, 409]),
  'DELETE /v1/sessions/{id}/spam': sessionCommand('Unmark spam.', [403, 404, 409]),
  'PUT /v1/sessions/{id}/priority': sessionCommand('Set or clear the priority.', [403, 404, 409], named('SetPriorityBody', SetPriorityBody)),
  'GET /v1/sessions/{id}/messages': {
    summary: 'Messages in order (`from` skips, `size` 1–10,000, default 10).',
    tag: 'messages',
    params: IdParams,
    query: MessagesQuery,
    responses: { 200: { description: 'The messages', body: named('MessageList', MessagesResponse) } },
    problems: [404],
  },
  'GET /v1/sessions/{id}/messages/last': {
    summary: 'The last message (404 when there is none).',
    tag: 'messages',
    params: IdParams,
    responses: { 200: { description: 'The last message', body: Message } },
    problems: [404],
  },
  'POST /v1/sessions/{id}/messages': {
    summary: 'A reply by the assigned operator or bot (`text`), or a staff-only note (`system`).',
    tag: 'messages',
    params: IdParams,
    body: named('PostMessageBody', PostMessageBody),
    responses: { 201: { description: 'The message', body: Message } },
    problems: [403, 404, 409],
  },
  'POST /v1/lines/search': searchOperation('lines', 'Line'),
  'POST /v1/channels/search': searchOperation('channels', 'Channel'),
  'POST /v1/clients/search': searchOperation('clients', 'Client'),
  'POST /v1/sessions/search': searchOperation('sessions', 'Session'),
  'GET /v1/metrics': {
    summary: 'Metric series of a line from the rollups.',
    tag: 'metrics',
    query: MetricsQuery,
    responses: { 200: { description: 'The series', body: named('MetricsResponse', MetricsResponse) } },
    problems: [403, 404],
  },
  'POST /v1/visitors': {
    summary: 'A web-chat visitor starts on a livechat channel: an anonymous visitor token for one channel and one client (no staff token).',
    tag: 'visitors',
    body: named('CreateVisitorBody', CreateVisitorBody),
    responses: { 201: { description: 'The visitor token and the client account it names', body: named('VisitorTokenResponse', VisitorTokenResponse) } },
    problems: [404, 409],
  },
  'POST /v1/visitors/messages': {
    summary: "The visitor writes: an inbound message on its channel (visitor token).",
    tag: 'visitors',
    body: named('VisitorMessageBody', VisitorMessageBody),
    responses: {
      200: { description: 'Added to the open session', body: named('PostVisitorMessageResponse', PostVisitorMessageResponse) },
      201: { description: 'A new session was opened', body: named('PostVisitorMessageResponse', PostVisitorMessageResponse) },
    },
    problems: [401, 404, 409],
  },
  'GET /v1/visitors/messages': {
    summary: "The visitor's newest session and its client-visible messages (never staff notes or history).",
    tag: 'visitors',
    responses: { 200: { description: 'The conversation', body: named('VisitorMessagesResponse', VisitorMessagesResponse) } },
    problems: [401],
  },
  'GET /v1/visitors/queue': {
    summary: "Queue position and expected wait of the visitor's session while it waits.",
    tag: 'visitors',
    responses: { 200: { description: 'Position and estimate (nulls when not waiting)', body: named('VisitorQueueResponse', VisitorQueueResponse) } },
    problems: [401],
  },
  // ------------------------------------------------------------ events out (issue 12)
  'PATCH /v1/channels/{id}': {
    summary: 'Rename a channel, or set / clear the endpoint its replies are delivered to (admin). Setting `_deliveryUrl` answers `_deliverySecret` (whsec_…) once.',
    tag: 'channels',
    params: IdParams,
    body: named('UpdateChannelBody', UpdateChannelBody),
    responses: { 200: { description: 'The channel after the change', body: named('ChannelWithSecret', ChannelWithSecretSchema) } },
    problems: [403, 404, 409],
  },
  'POST /v1/channels/{id}/messages/{messageId}/status': {
    summary: "The channel's integration reports a reply's fate in the messenger: `_deliveryStatus` (and `isRead` on read), and a `message.status_changed` event.",
    tag: 'messages',
    params: ChannelMessageParams,
    body: named('MessageStatusBody', MessageStatusBody),
    responses: { 200: { description: 'The message after the report', body: Message } },
    problems: [403, 404],
  },
  'POST /v1/webhooks': {
    summary: 'Subscribe a URL to events (admin; a supervisor for its own line). The answer carries the signing `secret` once.',
    tag: 'webhooks',
    body: named('CreateWebhookBody', CreateWebhookBody),
    responses: { 201: { description: 'The subscription with its secret', body: named('CreatedWebhook', CreatedWebhookSchema) } },
    problems: [403, 404],
  },
  'GET /v1/webhooks': {
    summary: 'The subscriptions the caller may see (no secrets), newest first.',
    tag: 'webhooks',
    responses: { 200: { description: 'Subscriptions', body: named('WebhookList', WebhookListSchema) } },
    problems: [403],
  },
  'DELETE /v1/webhooks/{id}': {
    summary: 'Stop a subscription; its pending deliveries fail.',
    tag: 'webhooks',
    params: WebhookIdParams,
    responses: { 200: { description: 'The subscription that was stopped', body: named('Webhook', WebhookSchema) } },
    problems: [403, 404],
  },
  'GET /v1/webhooks/{id}/deliveries': {
    summary: "A subscription's deliveries, newest first: event, attempts, status, last response code, next attempt.",
    tag: 'webhooks',
    params: WebhookIdParams,
    query: DeliveriesQuery,
    responses: { 200: { description: 'Deliveries', body: named('DeliveryList', DeliveryListSchema) } },
    problems: [404],
  },
  'POST /v1/webhooks/{id}/deliveries/{deliveryId}/retry': {
    summary: 'Send a failed delivery again (one attempt, within a sweep period).',
    tag: 'webhooks',
    params: DeliveryParams,
    responses: { 202: { description: 'The delivery, pending again', body: named('Delivery', DeliverySchema) } },
    problems: [403, 404, 409],
  },
};

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
function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
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
export function problemStatuses(route: DocumentedRoute, spec: OperationSpec): number[] {
  const set = new Set<number>([...spec.problems, 429, 500, 503]);
  if (route.auth || route.visitor === 'token') set.add(401);
  if (spec.params || spec.query || spec.body) set.add(400);
  if (spec.body) set.add(413);
  if (route.auth && MUTATING.has(route.method)) set.add(409); // a reused Idempotency-Key
  return [...set].sort((a, b) => a - b);
}

/** The key of a route in {@link OPERATIONS}. */
export const operationKey = (route: { method: string; path: string }) => `${route.method} ${route.path}`;

/**
 * The OpenAPI 3.1 document for the given routes (the manifest). Routes without an entry in
 * {@link OPERATIONS} are left out (and listed under `x-undocumented`, so a reader sees them).
 */
export function openApiDocument(routes: readonly DocumentedRoute[], options: { version?: string; serverUrl?: string } = {}): JsonSchema {
  const documented = routes.filter((r) => OPERATIONS[operationKey(r)] !== undefined);
  const specs = documented.map((r) => [r, OPERATIONS[operationKey(r)]!] as const);

  const inputs: Named[] = [...INPUT_COMPONENTS];
  const outputs: Named[] = [named('Problem', ProblemSchema)];
  for (const [, spec] of specs) {
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
  for (const [route] of specs) perFunction.set(route.function, (perFunction.get(route.function) ?? 0) + 1);
  const idOf = (route: DocumentedRoute) =>
    perFunction.get(route.function)! > 1 ? operationId(`${route.function}-${route.path.split('/')[2] ?? ''}`) : operationId(route.function);

  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const [route, spec] of specs) {
    const responses: Record<string, JsonSchema> = {};
    for (const [status, response] of Object.entries(spec.responses)) {
      responses[status] = { description: response.description, content: { 'application/json': { schema: ref(response.body.name) } } };
    }
    for (const status of problemStatuses(route, spec)) {
      responses[String(status)] = {
        description: TITLES[status] ?? 'Error',
        content: { 'application/problem+json': { schema: ref('Problem') } },
        ...(status === 429 || status === 503 ? { headers: { 'Retry-After': { schema: { type: 'integer', minimum: 0 }, description: 'Seconds to wait' } } } : {}),
      };
    }
    const idempotency =
      route.auth && MUTATING.has(route.method) && spec.tag !== 'search'
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
    const SESSION_COMMANDS = /^\/v1\/sessions\/\{id\}(\/(assign|close|spam|priority))?$/;
    const ifMatch =
      MUTATING.has(route.method) && SESSION_COMMANDS.test(route.path)
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
    (paths[route.path] ??= {})[route.method.toLowerCase()] = {
      operationId: idOf(route),
      summary: spec.summary,
      tags: [spec.tag],
      ...(params.length ? { parameters: params } : {}),
      ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: ref(spec.body.name) } } } } : {}),
      responses,
      security: route.auth ? [{ bearer: [] }] : route.visitor === 'token' ? [{ visitorToken: [] }] : [],
    };
  }

  const undocumented = routes.filter((r) => OPERATIONS[operationKey(r)] === undefined).map(operationKey);
  return {
    openapi: '3.1.0',
    info: {
      title: 'chatlines',
      version: options.version ?? '0.1.0',
      description: 'Live Chat support sessions: lines, channels, clients, sessions, messages, search and metrics. Errors are application/problem+json (RFC 9457).',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    components: {
      schemas: { ...inputSchemas, ...outputSchemas },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        visitorToken: { type: 'http', scheme: 'bearer', bearerFormat: 'chatlines visitor token (vt1.…) from POST /v1/visitors' },
      },
    },
    ...(undocumented.length ? { 'x-undocumented': undocumented } : {}),
  };
}
