/**
 * Hostile input. fast-check generates malformed requests for every route of the
 * manifest — broken JSON, wrong types, unknown fields, huge strings, deep nesting, bodies over
 * the size limit, path ids that are not ids, query parameters out of range, filters reaching
 * for other collections' or internal fields, bad Idempotency-Key headers, bad Authorization
 * headers — and sends them to one local host, 16 at a time: every 8th batch over real HTTP, the
 * others in process through the host's own request path (route matching, JWT check, the gateway
 * event, the same `route()` adapter and handlers), which is what refuses them either way; the
 * HTTP sample keeps Node's HTTP parsing and the fetch client in the loop. Every answer must be
 * a refusal (4xx; the two public routes may answer 200), never a 5xx, as problem+json with
 * `status`, `title`, `detail`, and for 400 an `errors` list naming a field; the table must not
 * change (snapshots before, every 1,000 or so requests, and after).
 *
 * `CHATLINES_FUZZ_SEED=<n>` replays a run (fast-check prints the seed of a failing one);
 * `CHATLINES_FUZZ_RUNS=<n>` changes the number of batches of 16 (default 320 → 5,120 requests).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_BODY_BYTES } from '../../lib/adapters/http/handler.ts';
import { visitorSecret } from '../../lib/adapters/secrets.ts';
import { signVisitorToken } from '../../lib/adapters/visitor-token.ts';
import { COLLECTIONS, FIELD_CATALOGUE } from '../../lib/contract/filter.ts';
import { type RouteDefinition, routes } from '../../lib/contract/routes.ts';
import { sameTable, snapshot, type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';

const BATCH = 16;
/** Every HTTP_EVERY-th batch goes over HTTP (1 in 8: 640 of the default 5,120 requests). */
const HTTP_EVERY = 8;
const RUNS = Number(process.env.CHATLINES_FUZZ_RUNS ?? 320);
const SEED = process.env.CHATLINES_FUZZ_SEED !== undefined ? Number(process.env.CHATLINES_FUZZ_SEED) : undefined;

let host: TestHost;
let w: World;
let tokens: string[];
let ids: { session: string; channel: string; client: string; line: string };
let visitorToken: string;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Fuzz {
  kind: string;
  method: string;
  /** Already encoded. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  route: RouteDefinition;
  /** Sent with the admin's token: no role check stands before the input checks. */
  asAdmin: boolean;
}

const key = (r: RouteDefinition) => `${r.method} ${r.path}`;
const hasId = (r: RouteDefinition) => r.path.includes('{id}');
const searchCollection = (r: RouteDefinition) => /^\/v1\/(\w+)\/search$/.exec(r.path)?.[1] as (typeof COLLECTIONS)[number] | undefined;

/** A valid body for each route that takes one (the malformations are applied to it). */
function validBody(r: RouteDefinition): Record<string, Json> | undefined {
  const c = searchCollection(r);
  if (c) return { where: { and: [{ eq: ['__id', ids.session] }, { neq: ['__name', 'x'] }] }, size: 5, sort: [{ field: '__createdAt', ascending: false }] };
  switch (key(r)) {
    case 'POST /v1/lines':
      return { __name: 'Line', _operatorGroups: ['support'], _supervisorGroups: ['leads'] };
    case 'POST /v1/channels':
      return { _line: ids.line, _type: 'telegram', __name: 'Channel' };
    case 'POST /v1/channels/{id}/inbound':
      return { account: 'fuzz-client', body: 'hello', externalId: 'e-1' };
    case 'PUT /v1/operators/me/status':
      return { status: 'online' };
    case 'POST /v1/sessions':
      return { channel: ids.channel, account: 'fuzz-client' };
    case 'PATCH /v1/sessions/{id}':
      return { __name: 'renamed', _apps: [{ code: 'crm', id: '1' }] };
    case 'POST /v1/sessions/{id}/assign':
      return { group: 'support' };
    case 'PUT /v1/sessions/{id}/priority':
      return { priority: 'High' };
    case 'POST /v1/sessions/{id}/messages':
      return { type: 'system', body: 'note' };
    case 'PATCH /v1/clients/{id}':
      return { _blockedStatus: 'blocked' };
    case 'POST /v1/visitors':
      return { channel: ids.channel };
    case 'POST /v1/visitors/messages':
      return { body: 'hello' };
    case 'POST /v1/sessions/{id}/files':
    case 'POST /v1/visitors/files':
      return { name: 'photo.png', contentType: 'image/png', size: 1024 };
    case 'PATCH /v1/channels/{id}':
      return { __name: 'renamed' };
    case 'POST /v1/sessions/{id}/read':
    case 'POST /v1/visitors/read':
      return { upTo: '1764745200000-0000-0a0b0c0d' };
    case 'POST /v1/visitors/rating':
      return { score: 5 };
    case 'POST /v1/lines/{id}/templates':
      return { __name: 'Greeting', _text: 'Hello {{client.name}}' };
    case 'PATCH /v1/templates/{id}':
      return { __name: 'Greeting' };
    case 'PATCH /v1/lines/{id}':
      return {
        _routing: { mode: 'auto', capacity: 3, botFirst: false },
        _sla: { firstResponse: 60, nextResponse: 30 },
        _autoClose: { afterInactive: 600 },
        _returnToQueue: { afterNoReply: 120 },
      };
    case 'POST /v1/channels/{id}/messages/{messageId}/status':
      return { status: 'delivered' };
    case 'PUT /v1/operators/{id}':
      return { capacity: 3 };
    case 'POST /v1/webhooks':
      // An event this test never makes: no deliveries write behind its snapshots.
      return { url: 'http://127.0.0.1:9/hook', events: ['session.sla_breached'] };
    default:
      return undefined;
  }
}

/** A valid query for the routes that read one. */
function validQuery(r: RouteDefinition): Record<string, string> | undefined {
  if (key(r) === 'GET /v1/sessions/{id}/messages') return { from: '0', size: '5' };
  if (key(r) === 'GET /v1/metrics') return { line: ids.line, granularity: 'day' };
  return undefined;
}

function idFor(r: RouteDefinition): string {
  if (r.path.startsWith('/v1/channels/')) return ids.channel;
  if (r.path.startsWith('/v1/clients/')) return ids.client;
  if (r.path.startsWith('/v1/lines/')) return ids.line;
  return ids.session;
}

const pathOf = (r: RouteDefinition, id = idFor(r), query?: Record<string, string> | string) => {
  const base = r.path.replace('{id}', id).replace('{messageId}', '1764745200000-0000-0a0b0c0d').replace('{deliveryId}', 'nope.1');
  if (query === undefined) return base;
  const qs = typeof query === 'string' ? query : new URLSearchParams(query).toString();
  return qs ? `${base}?${qs}` : base;
};

const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

// ------------------------------------------------------------------------- generators

/** A JSON value of another type than `v` (never null: some fields are nullable). */
const wrongTypeFor = (v: unknown): fc.Arbitrary<Json> =>
  fc
    .oneof(
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.string({ maxLength: 20 }),
      fc.array(fc.integer(), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
    )
    .filter((x) => typeOf(x) !== typeOf(v));

/** Text that is not JSON (and not empty, which some routes read as `{}`). */
const brokenJson = (valid: Record<string, Json> | undefined): fc.Arbitrary<string> => {
  const text = JSON.stringify(valid ?? { a: 1 });
  return fc
    .oneof(
      fc.integer({ min: 1, max: text.length - 1 }).map((n) => text.slice(0, n)),
      fc.constantFrom(
        `${text}}`,
        `${text},`,
        text.replace(/"/g, "'"),
        `${text.slice(0, -1)},}`,
        '{,}',
        '[',
        'undefined',
        'NaN',
        '{a:1}',
        '\u0000',
        '{"a":1}{"b":2}',
        '\ufeff{}x',
      ),
      fc.string({ minLength: 1, maxLength: 200 }),
    )
    .filter((t) => {
      if (['', '{}'].includes(t.trim())) return false;
      try {
        JSON.parse(t);
        return false;
      } catch {
        return true;
      }
    });
};

/** Deeply nested arrays or objects (up to what fits under the body limit), as JSON text: too deep for JSON.stringify. */
const deep = fc
  .boolean()
  .chain((arrays) => fc.tuple(fc.integer({ min: 20, max: arrays ? 30_000 : 9_000 }), fc.constant(arrays)))
  .map(([depth, arrays]) => (arrays ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`));

const INTERNAL_FIELDS = [
  'pk',
  'sk',
  'gsi1pk',
  'gsi1sk',
  'gsi5pk',
  'entity',
  'expiresAt',
  '_beforeSpam',
  '_extraData',
  '__proto__',
  'constructor',
  'prototype',
  '$where',
  '',
];

/** Filters a search must refuse with 400: foreign or internal fields, unknown operators, wrong kinds and shapes, limits. */
function badFilter(collection: (typeof COLLECTIONS)[number]): fc.Arbitrary<Json> {
  const own = new Set(Object.keys(FIELD_CATALOGUE[collection]));
  const foreign = [...new Set(COLLECTIONS.flatMap((c) => Object.keys(FIELD_CATALOGUE[c])))].filter((f) => !own.has(f));
  const unknownField = fc.oneof(
    ...(foreign.length ? [fc.constantFrom(...foreign)] : []),
    fc.constantFrom(...INTERNAL_FIELDS),
    fc.string({ maxLength: 30 }).filter((f) => !own.has(f)),
  );
  const op = fc.constantFrom('eq', 'neq', 'in', 'gt', 'lte');
  const value = fc.oneof(fc.string({ maxLength: 10 }), fc.integer());
  const depthBomb = fc.tuple(fc.integer({ min: 9, max: 1500 }), fc.constantFrom('not', 'and', 'or')).map(([d, comb]) => {
    let f: Json = { eq: ['__id', 'x'] };
    for (let i = 0; i < d; i++) f = comb === 'not' ? { not: f } : { [comb]: [f] };
    return f;
  });
  return fc.oneof(
    fc.tuple(op, unknownField, value).map(([o, f, v]) => ({ [o]: [f, v] })),
    fc.tuple(unknownField, value).map(([f, v]) => ({ and: [{ eq: ['__id', ids.session] }, { eq: [f, v] }] })),
    fc.constantFrom<Json>(
      { regex: ['__name', '.*'] },
      { $ne: ['__name', null] },
      { eq: ['__name'] },
      { eq: [] },
      { eq: '__name' },
      { eq: ['__name', 'a', 'b'] },
      { and: {} },
      { or: 'x' },
      { not: [] },
      { eq: ['__id', 'x'], neq: ['__id', 'y'] },
      { all: ['__id', ['x']] },
      { gt: ['__createdAt', 'yesterday'] },
      { eq: ['__createdAt', 42] },
      { in: ['__id', 'not-a-list'] },
      { eq: [['__id'], 'x'] },
      {},
      [],
      'everything',
      42,
    ),
    fc.integer({ min: 101, max: 400 }).map((n) => ({ in: ['__id', Array.from({ length: n }, (_, i) => `v${i}`)] })),
    fc.integer({ min: 51, max: 300 }).map((n) => ({ and: Array.from({ length: n }, (_, i) => ({ eq: ['__name', `n${i}`] })) })),
    fc.integer({ min: 1025, max: 30_000 }).map((n) => ({ eq: ['__name', 'x'.repeat(n)] })),
    depthBomb,
  );
}

/** Search envelopes out of range (the filter itself valid). */
const badEnvelope = fc.constantFrom<Record<string, Json>>(
  { size: 1001 },
  { size: -1 },
  { size: 1.5 },
  { size: '10' },
  { from: 10_001 },
  { from: -5 },
  { from: 1e308 },
  { count: 'yes' },
  { sort: [{ field: 'nope' }] },
  { sort: [{ field: '_clients' }] },
  { sort: [{ field: '__id', ascending: 'up' }] },
  { sort: Array.from({ length: 5 }, () => ({ field: '__createdAt' })) },
  { sort: [{ field: '' }] },
  { sort: 'newest' },
  { sort: [{ field: '__id', direction: 'asc' }] },
);

/** Path ids that are not ids (encoded for the path), and a well-formed id of nothing. */
const badId = fc.oneof(
  fc.constantFrom(
    'not-an-id',
    '1',
    '-1',
    '0',
    'null',
    'undefined',
    '..',
    '.',
    '%2e%2e',
    '%00',
    '%2F',
    '%5C',
    "'%20OR%201=1",
    '%',
    '%ZZ',
    '%E0%A4%A',
    '%C0%AF',
    '00000000-0000-4000-8000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    '{id}',
    'a'.repeat(2000),
    '%F0%9F%99%82',
  ),
  fc.string({ minLength: 1, maxLength: 60 }).map((s) => encodeURIComponent(s)),
  fc.uuid().map((u) => u.toUpperCase().replace(/-/g, '')),
);

const badIdempotencyKey = fc.oneof(
  fc.constantFrom('', ' ', 'a b', 'key;drop', '../..', '{}', 'ä', '*', 'x'.repeat(129), 'a\tb', '"quoted"'),
  fc.string({ minLength: 129, maxLength: 300 }).map((s) => s.replace(/[^\x20-\x7e]/g, 'x')),
);

const badAuthorization = fc.oneof(
  fc.constantFrom(
    'Bearer',
    'Bearer ',
    'Basic YWRtaW46YWRtaW4=',
    'Bearer a.b.c',
    'Bearer ...',
    'bearer  x',
    'Token abc',
    'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.',
  ),
  fc.string({ maxLength: 80 }).map((s) => `Bearer ${s.replace(/[^\x21-\x7e]/g, 'x')}`),
);

/** Query parameters out of range, unknown or doubled (for the routes that read a query). */
function badQuery(r: RouteDefinition): fc.Arbitrary<string> {
  const valid = validQuery(r)!;
  const set = (k: string, v: string) => new URLSearchParams({ ...valid, [k]: v }).toString();
  if (key(r) === 'GET /v1/sessions/{id}/messages') {
    return fc.oneof(
      fc
        .tuple(fc.constantFrom('from', 'size'), fc.constantFrom('-1', 'abc', '1.5', 'NaN', 'Infinity', '-Infinity', '1e400', '9007199254740993', '[]', '1,2'))
        .map(([k, v]) => set(k, v)),
      fc.constantFrom('size=0', 'size=10001', 'size=99999999', 'from=0&size=5&size=6', 'from=0&extra=1', 'where=%7B%7D', '__proto__=1', 'size=5&constructor=x'),
    );
  }
  return fc.oneof(
    fc.constantFrom(
      set('line', 'not-a-uuid'),
      set('granularity', 'year'),
      set('granularity', ''),
      set('type', 'everything'),
      set('from', '2025-13-01'),
      set('from', '2025-02-30T99:99Z'),
      set('to', 'yesterday'),
      new URLSearchParams({ ...valid, from: '2025-06-01', to: '2025-01-01' }).toString(),
      new URLSearchParams({ ...valid, from: '0001-01-01', to: '9999-12-31' }).toString(),
      new URLSearchParams({ ...valid, group: 'support', channel: ids.channel }).toString(),
      set('channel', 'x'),
      set('operator', 'a b'),
      `${new URLSearchParams(valid).toString()}&extra=1`,
      `${new URLSearchParams(valid).toString()}&line=${ids.line}`,
      'granularity=day',
      '',
    ),
    fc
      .tuple(fc.constantFrom('line', 'type', 'granularity', 'from', 'to', 'channel', 'operator', 'group'), fc.string({ minLength: 1, maxLength: 300 }))
      .map(([k, v]) => set(k, k === 'line' || k === 'channel' ? `x${v}` : `${v}\u0000`)),
  );
}

/** The malformations that apply to a route, each a request that must be refused. */
function fuzzFor(r: RouteDefinition): fc.Arbitrary<Omit<Fuzz, 'headers' | 'route' | 'asAdmin'> & { headers?: Record<string, string> }>[] {
  const body = validBody(r);
  const json = (v: unknown) => JSON.stringify(v);
  const out: fc.Arbitrary<Omit<Fuzz, 'headers' | 'route' | 'asAdmin'> & { headers?: Record<string, string> }>[] = [];
  const m = r.method;
  const path = pathOf(r, undefined, validQuery(r));
  const canSendBody = m !== 'GET';
  if (!r.auth && !r.visitor && r.params) {
    // A messenger's hook: public, but it answers only the messenger's own proof. Without one
    // (or for a channel id that is no id), a clear refusal — never a 5xx, never a write.
    out.push(
      fc.tuple(fc.oneof(fc.uuid(), fc.string({ maxLength: 40 })), fc.string({ maxLength: 200 })).map(([id, junk]) => ({
        kind: 'hook-without-proof',
        method: m,
        path: r.path.replace(/\{[^}]+\}/, encodeURIComponent(id)),
        ...(canSendBody ? { body: junk } : {}),
      })),
    );
    return out;
  }
  if (!r.auth && !r.visitor) {
    // Nothing to refuse on the public routes: junk query and headers must not break them.
    out.push(
      fc.string({ maxLength: 50 }).map((q) => ({ kind: 'public-junk', method: m, path: `${r.path}?${encodeURIComponent(q)}=${encodeURIComponent(q)}` })),
    );
    return out;
  }
  // POST /v1/visitors reads no token: nothing to refuse in Authorization.
  if (r.visitor !== 'open') out.push(badAuthorization.map((a) => ({ kind: 'bad-authorization', method: m, path, headers: { authorization: a } })));
  if (hasId(r)) {
    out.push(badId.map((id) => ({ kind: 'bad-id', method: m, path: pathOf(r, id, validQuery(r)), ...(body ? { body: json(body) } : {}) })));
  }
  if (validQuery(r)) out.push(badQuery(r).map((q) => ({ kind: 'bad-query', method: m, path: pathOf(r, undefined, q) })));
  if (canSendBody) {
    out.push(
      fc.integer({ min: MAX_BODY_BYTES + 1, max: MAX_BODY_BYTES * 3 }).map((n) => ({
        kind: 'oversize',
        method: m,
        path,
        body: json({ ...(body ?? {}), pad: 'x'.repeat(n) }),
      })),
    );
    out.push(brokenJson(body).map((text) => ({ kind: 'broken-json', method: m, path, body: text })));
    out.push(
      fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.jsonValue({ maxDepth: 2 })).map(([k, v]) => ({
        kind: 'unknown-field',
        method: m,
        path,
        body: json({ ...(body ?? {}), [body && k in body ? `${k}_x` : k]: v }),
      })),
    );
    out.push(
      fc.constantFrom('__proto__', 'constructor', '__id', '_version', '_state', 'pk', 'entity').map((k) => ({
        kind: 'unknown-field',
        method: m,
        path,
        body: `${json(body ?? {}).slice(0, -1)}${body && Object.keys(body).length ? ',' : ''}"${k}":{"polluted":true}}`,
      })),
    );
    out.push(
      badIdempotencyKey.map((k) => ({
        kind: 'bad-idempotency-key',
        method: m,
        path,
        headers: { 'idempotency-key': k },
        ...(body ? { body: json(body) } : {}),
      })),
    );
    out.push(
      fc
        .constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', '', 'application/json; charset=utf-7')
        .chain((ct) => brokenJson(body).map((text) => ({ kind: 'odd-content-type', method: m, path, headers: { 'content-type': ct }, body: text }))),
    );
    if (body) {
      const keys = Object.keys(body);
      out.push(
        fc.constantFrom(...keys).chain((k) => wrongTypeFor(body[k]).map((v) => ({ kind: 'wrong-type', method: m, path, body: json({ ...body, [k]: v }) }))),
      );
      out.push(fc.constantFrom<Json>([], 'string', 42, true, null, [body]).map((v) => ({ kind: 'not-an-object', method: m, path, body: json(v) })));
      const strings = keys.filter((k) => typeof body[k] === 'string');
      if (strings.length) {
        out.push(
          // Longer (in code points, as zod counts) than any string field allows, still under the body limit.
          fc.tuple(fc.constantFrom(...strings), fc.integer({ min: 16_500, max: 21_000 }), fc.constantFrom('x', 'é', '中')).map(([k, n, ch]) => ({
            kind: 'huge-string',
            method: m,
            path,
            body: json({ ...body, [k]: ch.repeat(n) }),
          })),
        );
      }
      out.push(
        fc.tuple(fc.constantFrom(...keys), deep).map(([k, v]) => ({
          kind: 'deep-nesting',
          method: m,
          path,
          body: json({ ...body, [k]: '@DEEP@' }).replace('"@DEEP@"', v),
        })),
      );
      const collection = searchCollection(r);
      if (collection) {
        out.push(badFilter(collection).map((f) => ({ kind: 'bad-filter', method: m, path, body: json({ ...body, where: f }) })));
        out.push(badEnvelope.map((e) => ({ kind: 'bad-search-envelope', method: m, path, body: json({ ...body, ...e }) })));
      }
    } else {
      // Routes that take no body: any content is refused.
      out.push(
        fc
          .jsonValue({ maxDepth: 3 })
          .filter((v) => !['', '{}'].includes(JSON.stringify(v).trim()) && JSON.stringify(v) !== undefined)
          .map((v) => ({
            kind: 'body-on-bodiless-route',
            method: m,
            path,
            body: JSON.stringify(v),
          })),
      );
    }
  }
  return out;
}

/** One malformed request for any route of the manifest, sent with a random caller's token. */
function requestArbitrary(): fc.Arbitrary<Fuzz> {
  return fc.constantFrom(...routes).chain((r) =>
    fc.tuple(fc.oneof(...fuzzFor(r)), fc.nat({ max: tokens.length * 3 })).map(([f, t]) => ({
      ...f,
      route: r,
      asAdmin: t === 0 || t >= tokens.length,
      // Mostly the admin (whom no role check stops, so the input checks are what refuses).
      headers: {
        ...(r.auth ? { authorization: `Bearer ${tokens[t < tokens.length ? t : 0]}` } : {}),
        // Visitor routes: the visitor's own token (a telegram channel's visitor cannot exist, so it is minted directly).
        ...(r.visitor === 'token' ? { authorization: `Bearer ${visitorToken}` } : {}),
        ...f.headers,
      },
    })),
  );
}

// ---------------------------------------------------------------------------- checking

interface Answer {
  status: number;
  contentType: string;
  body: unknown;
  text: string;
}

async function send(f: Fuzz, overHttp: boolean): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...f.headers };
  if (!overHttp) {
    const reply = await host.dispatch(f.method, f.path, { headers, ...(f.body !== undefined ? { body: f.body } : {}) });
    let body: unknown;
    try {
      body = JSON.parse(reply.text);
    } catch {
      body = undefined;
    }
    return { status: reply.status, contentType: reply.headers['content-type'] ?? '', body, text: reply.text };
  }
  const res = await fetch(`${host.url}${f.path}`, {
    method: f.method,
    headers,
    ...(f.body !== undefined ? { body: f.body } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body, text };
}

/** Why an answer is wrong, or undefined. */
function problemWith(f: Fuzz, a: Answer): string | undefined {
  if (a.status >= 500) return `5xx`;
  if (f.kind === 'hook-without-proof') {
    if (a.status < 400) return `a hook without the messenger's proof was accepted (${a.status})`;
    return a.contentType.startsWith('application/problem+json') ? undefined : `content-type ${a.contentType}`;
  }
  if (!f.route.auth && !f.route.visitor) return a.status === 200 ? undefined : `public route answered ${a.status}`;
  if (a.status < 400) return `accepted (${a.status}): a malformed request must be refused`;
  if (!a.contentType.startsWith('application/problem+json')) return `content-type ${a.contentType}`;
  const p = a.body as { status?: unknown; title?: unknown; detail?: unknown; errors?: unknown } | undefined;
  if (!p || p.status !== a.status || typeof p.title !== 'string' || typeof p.detail !== 'string' || p.detail === '') return 'not a problem+json body';
  if (a.status === 400) {
    const errors = p.errors as { path?: unknown; message?: unknown }[] | undefined;
    if (!Array.isArray(errors) || errors.length === 0) return '400 without errors';
    if (errors.some((e) => typeof e.path !== 'string' || e.path === '' || typeof e.message !== 'string')) return '400 errors without a field path';
  }
  if (f.kind === 'oversize' && a.status !== 413) return `oversize body answered ${a.status}, not 413`;
  if (f.kind === 'bad-authorization' && a.status !== 401) return `bad Authorization answered ${a.status}, not 401`;
  // Other roles may meet a role check (403/404) before a check of the request's meaning.
  if (!f.asAdmin) return undefined;
  if (
    [
      'broken-json',
      'odd-content-type',
      'bad-filter',
      'bad-search-envelope',
      'bad-query',
      'bad-idempotency-key',
      'huge-string',
      'deep-nesting',
      'wrong-type',
      'unknown-field',
      'not-an-object',
      'body-on-bodiless-route',
    ].includes(f.kind) &&
    a.status !== 400
  ) {
    return `${f.kind} answered ${a.status}, not 400`;
  }
  if (f.kind === 'bad-idempotency-key' && !(p.errors as { path: string }[]).some((e) => e.path === 'headers.idempotency-key'))
    return 'bad Idempotency-Key not named';
  return undefined;
}

const describeFuzz = (f: Fuzz) =>
  `${f.kind}: ${f.method} ${f.path.slice(0, 200)} ${JSON.stringify(f.headers).slice(0, 200)} body=${(f.body ?? '').slice(0, 300)}`;

// ------------------------------------------------------------------------------- tests

before(async () => {
  host = await startTestHost({ files: true });
  w = await world(host);
  const opened = await w.openSession('fuzz-target');
  ids = { session: opened.session.__id, client: opened.client.__id, channel: w.channel.__id, line: w.line.__id };
  const alice = await w.operator('alice');
  visitorToken = await signVisitorToken(await visitorSecret(), { channel: ids.channel, account: 'fuzz-visitor', exp: Math.floor(Date.now() / 1000) + 3600 });
  tokens = [
    w.admin,
    alice,
    await host.token({ sub: 'sup-1', roles: ['supervisor'], groups: ['leads'] }),
    await host.token({ sub: 'bot-1', roles: ['bot'] }),
    w.integration,
  ];
  // alice holds the session, so that her malformed commands reach the same checks as the admin's.
  const r = await host.call('POST', `/v1/sessions/${ids.session}/assign`, { token: alice, body: { operator: 'alice' } });
  assert.equal(r.status, 200);
});
after(() => host?.close());

describe('hostile input', () => {
  it(`refuses ${RUNS * BATCH} malformed requests across every route (1 batch in ${HTTP_EVERY} over HTTP): no 5xx, problem+json naming the field, nothing written`, async () => {
    const initial = await snapshot(host);
    const perRoute = new Map<string, number>();
    const perKind = new Map<string, number>();
    let sent = 0;
    let sentOverHttp = 0;
    let batches = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(requestArbitrary(), { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        const overHttp = batches % HTTP_EVERY === 0;
        const answers = await Promise.all(batch.map((f) => send(f, overHttp)));
        sent += batch.length;
        if (overHttp) sentOverHttp += batch.length;
        batch.forEach((f, i) => {
          perRoute.set(key(f.route), (perRoute.get(key(f.route)) ?? 0) + 1);
          perKind.set(f.kind, (perKind.get(f.kind) ?? 0) + 1);
          const wrong = problemWith(f, answers[i]!);
          if (wrong) assert.fail(`${wrong}\n  request ${describeFuzz(f)}\n  answer ${answers[i]!.status} ${answers[i]!.text.slice(0, 400)}`);
        });
        if (++batches % 64 === 0) sameTable(initial, await snapshot(host), `the table changed after ${sent} requests`);
      }),
      { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}), endOnFailure: false, interruptAfterTimeLimit: 600_000 },
    );
    sameTable(initial, await snapshot(host), 'the table changed');
    assert.ok(sent >= RUNS * BATCH, `sent ${sent}`);
    assert.ok(sentOverHttp >= Math.floor(RUNS / HTTP_EVERY) * BATCH, `sent over HTTP ${sentOverHttp}`);
    const uncovered = routes.map(key).filter((k) => !perRoute.has(k));
    assert.deepEqual(uncovered, [], 'routes the fuzz never reached');
    for (const k of [
      'broken-json',
      'wrong-type',
      'unknown-field',
      'huge-string',
      'deep-nesting',
      'oversize',
      'bad-id',
      'bad-query',
      'bad-filter',
      'bad-idempotency-key',
    ]) {
      // Some kinds apply to a few routes only (bad-filter: the four searches of 60 routes): a floor, not a share.
      assert.ok((perKind.get(k) ?? 0) >= 10, `too few ${k} requests: ${perKind.get(k) ?? 0}`);
    }
  });
});
