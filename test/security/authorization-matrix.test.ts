/**
 * Who may do what, for EVERY route of the manifest, every role and the ownership cases: the
 * expected statuses are the table in `./matrix.ts` (docs/routes-by-role.md is generated from
 * it); this file says how to call each row and checks every cell over HTTP. A route of
 * `routes` without a row fails the test.
 *
 * Every refused call (and every read) runs against shared fixtures between two snapshots of
 * the whole table, which must be equal; every allowed write runs on a fresh fixture of its own.
 * Then: a missing, forged, expired, foreign-issuer or foreign-audience token → 401 on every
 * protected route, writing nothing; searches never return (or count) objects of a line the
 * caller does not see.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadOrCreateDevKey, signToken } from '../../infra/local/jwt.ts';
import { mapPool } from '../../lib/adapters/concurrency.ts';
import { routes } from '../../lib/contract/routes.ts';
import { sameTable, snapshot, type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';
import { type Case, EXPECTATIONS, type Expectation, ROLES, type Role, rowKey } from './matrix.ts';

interface Request {
  path: string;
  body?: unknown;
}
type RequestFn = (role: Role, c: Case, fresh: boolean) => Promise<Request>;
/** A row of the matrix and how to call it; `fresh`: a fixture of its own (an allowed write). */
interface Row extends Expectation {
  request: RequestFn;
}

let host: TestHost;
let w: World;
const tokens = {} as Record<Role | 'bob' | 'erin' | 'dave' | 'integrationB' | 'supervisorB', string>;
let lineB: string;
let channelB: string;
let accounts = 0;
const account = () => `acct-${++accounts}`;

const call = (method: string, path: string, token: string | undefined, body?: unknown) =>
  host.call(method, path, { ...(token ? { token } : {}), ...(body !== undefined ? { body } : {}) });

async function ok(method: string, path: string, token: string, body?: unknown) {
  const r = await call(method, path, token, body);
  assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

// ------------------------------------------------------------------------------ fixtures

type Holder = 'queued' | 'alice' | 'carol' | 'bob' | 'bot' | 'dave';

/** A session of a fresh client: queued, held by an operator, or by the bot; optionally marked as spam since. */
async function newSession(holder: Holder, spam: boolean): Promise<string> {
  const channel = holder === 'dave' ? channelB : w.channel.__id;
  const integration = holder === 'dave' ? tokens.integrationB : w.integration;
  const opened = await ok('POST', `/v1/channels/${channel}/inbound`, integration, { account: account(), body: 'hello' });
  const id: string = opened.session.__id;
  if (holder === 'bot') await ok('POST', `/v1/sessions/${id}/assign`, w.admin, { bot: true });
  else if (holder !== 'queued') {
    const token = holder === 'alice' ? tokens.operator : holder === 'carol' ? tokens.offline : tokens[holder];
    await ok('POST', `/v1/sessions/${id}/assign`, token, { operator: holder });
  }
  if (spam) await ok('PUT', `/v1/sessions/${id}/spam`, w.admin);
  return id;
}

const sharedSessions = new Map<string, Promise<string>>();
function session(holder: Holder, spam: boolean, fresh: boolean): Promise<string> {
  if (fresh) return newSession(holder, spam);
  const key = `${holder}:${spam}`;
  if (!sharedSessions.has(key)) sharedSessions.set(key, newSession(holder, spam));
  return sharedSessions.get(key)!;
}

function holderOf(role: Role, c: Case): Holder {
  if (c === 'queued') return 'queued';
  if (c === 'other') return 'bob';
  if (c === 'foreign') return 'dave';
  return role === 'offline' ? 'carol' : role === 'bot' ? 'bot' : 'alice';
}

const sessionPath =
  (suffix: string, spam = false) =>
  async (role: Role, c: Case, fresh: boolean) => ({
    path: `/v1/sessions/${await session(holderOf(role, c), spam, fresh)}${suffix}`,
  });

async function newChannel(line: string, type: string, disconnected: boolean): Promise<string> {
  const ch = await ok('POST', '/v1/channels', w.admin, { _line: line, _type: type, __name: `${type} ${account()}` });
  if (disconnected) await ok('POST', `/v1/channels/${ch.__id}/disconnect`, w.admin);
  return ch.__id;
}
const sharedChannels = new Map<string, Promise<string>>();
function channel(c: Case, disconnected: boolean, fresh: boolean): Promise<string> {
  const line = c === 'A' ? w.line.__id : lineB;
  if (fresh) return newChannel(line, 'telegramBot', disconnected);
  const key = `${c}:${disconnected}`;
  if (!sharedChannels.has(key)) sharedChannels.set(key, newChannel(line, 'telegramBot', disconnected));
  return sharedChannels.get(key)!;
}

async function newClient(c: Case): Promise<string> {
  const opened = await ok('POST', `/v1/channels/${c === 'A' ? w.channel.__id : channelB}/inbound`, c === 'A' ? w.integration : tokens.integrationB, {
    account: account(),
    body: 'hi',
  });
  return opened.client.__id;
}
const sharedClients = new Map<Case, Promise<string>>();
function client(c: Case, fresh: boolean): Promise<string> {
  if (fresh) return newClient(c);
  if (!sharedClients.has(c)) sharedClients.set(c, newClient(c));
  return sharedClients.get(c)!;
}

/** A file sent with an admin's note on the session (one per session): uploaded to the pre-signed URL, then sent. */
const sharedNoteFiles = new Map<string, Promise<string>>();
function noteFile(sessionId: string): Promise<string> {
  if (!sharedNoteFiles.has(sessionId)) sharedNoteFiles.set(sessionId, newNoteFile(sessionId));
  return sharedNoteFiles.get(sessionId)!;
}
async function newNoteFile(sessionId: string): Promise<string> {
  const upload = await ok('POST', `/v1/sessions/${sessionId}/files`, w.admin, { name: 'n.txt', contentType: 'text/plain', size: 3 });
  const put = await fetch(upload.uploadUrl, { method: 'PUT', headers: upload.headers, body: 'abc' });
  assert.equal(put.status, 200);
  await ok('POST', `/v1/sessions/${sessionId}/messages`, w.admin, { type: 'system', body: 'see file', files: [upload.__id] });
  return upload.__id;
}

/** A reply by the holder of a session on line A (alice) or line B (dave): what a status report names. */
async function newReply(c: Case): Promise<string> {
  const id = await newSession(c === 'A' ? 'alice' : 'dave', false);
  const reply = await ok('POST', `/v1/sessions/${id}/messages`, c === 'A' ? tokens.operator : tokens.dave, { type: 'text', body: 'hello there' });
  return reply.__id;
}
const sharedReplies = new Map<Case, Promise<string>>();
function reply(c: Case, fresh: boolean): Promise<string> {
  if (fresh) return newReply(c);
  if (!sharedReplies.has(c)) sharedReplies.set(c, newReply(c));
  return sharedReplies.get(c)!;
}

/** A webhook subscription to line A or B, for an event this test never makes (no deliveries write behind the snapshots). */
async function newWebhook(c: Case): Promise<string> {
  const hook = await ok('POST', '/v1/webhooks', w.admin, { url: 'http://127.0.0.1:9/hook', events: ['session.sla_breached'], line: lineOf(c) });
  return hook.__id;
}
const sharedWebhooks = new Map<Case, Promise<string>>();
function webhook(c: Case, fresh: boolean): Promise<string> {
  if (fresh) return newWebhook(c);
  if (!sharedWebhooks.has(c)) sharedWebhooks.set(c, newWebhook(c));
  return sharedWebhooks.get(c)!;
}

/** A response template of line A or B. */
async function newTemplate(c: Case): Promise<string> {
  const made = await ok('POST', `/v1/lines/${lineOf(c)}/templates`, w.admin, { __name: 'T', _shortcut: `t-${account()}`, _text: 'Hello {{client.name}}' });
  return made.__id;
}
const sharedTemplates = new Map<Case, Promise<string>>();
function template(c: Case, fresh: boolean): Promise<string> {
  if (fresh) return newTemplate(c);
  if (!sharedTemplates.has(c)) sharedTemplates.set(c, newTemplate(c));
  return sharedTemplates.get(c)!;
}

const lineOf = (c: Case) => (c === 'A' ? w.line.__id : lineB);
const channelOf = (c: Case) => (c === 'A' ? w.channel.__id : channelB);
/** Who an assignment names: operators take a session (or pass their own on); everyone else hands it to erin (line B: the group sales). */
function assignBody(role: Role, c: Case) {
  if (c === 'foreign') return role === 'operator' ? { operator: 'alice' } : { group: 'sales' };
  if ((role === 'operator' || role === 'offline') && c !== 'own') return { operator: role === 'operator' ? 'alice' : 'carol' };
  return { operator: 'erin' };
}

// -------------------------------------------------------------------------------- matrix

/** How to call each row of the matrix (`./matrix.ts`) for a role and case, keyed by `rowKey`. */
const searchRequest =
  (collection: string): RequestFn =>
  async () => ({ path: `/v1/${collection}/search`, body: { size: 5 } });
const REQUESTS: Record<string, RequestFn> = {
  'GET /v1/health': async () => ({ path: '/v1/health' }),
  'GET /v1/openapi.json': async () => ({ path: '/v1/openapi.json' }),
  'POST /v1/visitors': async () => ({ path: '/v1/visitors', body: { channel: w.channel.__id } }),
  'POST /v1/visitors/messages': async () => ({ path: '/v1/visitors/messages', body: { body: 'hi' } }),
  'GET /v1/visitors/messages': async () => ({ path: '/v1/visitors/messages' }),
  'GET /v1/visitors/queue': async () => ({ path: '/v1/visitors/queue' }),
  'POST /v1/visitors/rating': async () => ({ path: '/v1/visitors/rating', body: { score: 5 } }),
  ...Object.fromEntries(
    ['POST telegram', 'GET whatsapp', 'POST whatsapp', 'POST viber', 'GET instagram', 'POST instagram'].map((key) => {
      const [method, messenger] = key.split(' ') as [string, string];
      const request: RequestFn = async (_r, c) => ({
        path: `/v1/hooks/${messenger}/${channelOf(c)}${method === 'GET' ? '?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1' : ''}`,
        ...(method === 'POST' ? { body: { update_id: 1 } } : {}),
      });
      return [`${method} /v1/hooks/${messenger}/{channelId}`, request];
    }),
  ),
  'POST /v1/visitors/files': async () => ({ path: '/v1/visitors/files', body: { name: 'a.txt', contentType: 'text/plain', size: 3 } }),
  'GET /v1/visitors/files/{id}': async () => ({ path: '/v1/visitors/files/00000000-0000-4000-8000-000000000000' }),
  'POST /v1/sessions/{id}/files': async (role, c, fresh) => ({
    ...(await sessionPath('/files')(role, c, fresh)),
    body: { name: 'a.txt', contentType: 'text/plain', size: 3 },
  }),
  'GET /v1/files/{id}': async (role, c, fresh) => ({ path: `/v1/files/${await noteFile(await session(holderOf(role, c), false, fresh))}?redirect=false` }),
  'POST /v1/visitors/read': async () => ({ path: '/v1/visitors/read', body: { upTo: '0000000000000-0000-00000000' } }),
  'POST /v1/lines': async () => ({ path: '/v1/lines', body: { __name: 'Mine', _operatorGroups: ['support'] } }),
  'GET /v1/lines/{id}': async (_r, c) => ({ path: `/v1/lines/${lineOf(c)}` }),
  'PATCH /v1/lines/{id} (timer policies)': async (_r, c) => ({ path: `/v1/lines/${lineOf(c)}`, body: { _sla: { resolution: 86_400 } } }),
  'POST /v1/channels': async (_r, c) => ({ path: '/v1/channels', body: { _line: lineOf(c), _type: 'telegram', __name: 'new' } }),
  'POST /v1/channels/{id}/inbound': async (_r, c) => ({ path: `/v1/channels/${channelOf(c)}/inbound`, body: { account: account(), body: 'hi' } }),
  'POST /v1/channels/{id}/disconnect': async (_r, c, fresh) => ({ path: `/v1/channels/${await channel(c, false, fresh)}/disconnect` }),
  'POST /v1/channels/{id}/reconnect': async (_r, c, fresh) => ({ path: `/v1/channels/${await channel(c, true, fresh)}/reconnect` }),
  'PATCH /v1/clients/{id} (block)': async (_r, c, fresh) => ({ path: `/v1/clients/${await client(c, fresh)}`, body: { _blockedStatus: 'blocked' } }),
  'PATCH /v1/clients/{id} (account link)': async (_r, c, fresh) => ({
    path: `/v1/clients/${await client(c, fresh)}`,
    body: { _applicationItem: { code: 'contacts', id: `c-${account()}` } },
  }),
  // Each keeps its status: the matrix's operators stay online / offline.
  'PUT /v1/operators/me/status': async (role) => ({ path: '/v1/operators/me/status', body: { status: role === 'offline' ? 'offline' : 'online' } }),
  'POST /v1/sessions': async (_r, c) => ({ path: '/v1/sessions', body: { channel: channelOf(c), account: account() } }),
  'GET /v1/sessions/{id}': sessionPath(''),
  'GET /v1/sessions/{id}/messages': sessionPath('/messages'),
  'GET /v1/sessions/{id}/messages/last': sessionPath('/messages/last'),
  'PATCH /v1/sessions/{id}': async (role, c, fresh) => ({ ...(await sessionPath('')(role, c, fresh)), body: { __name: `renamed ${account()}` } }),
  'PUT /v1/sessions/{id}/priority': async (role, c, fresh) => ({ ...(await sessionPath('/priority')(role, c, fresh)), body: { priority: 'High' } }),
  'PUT /v1/sessions/{id}/spam': sessionPath('/spam'),
  // Sessions marked as spam (the operator stays on them): the holder may unmark its own.
  'DELETE /v1/sessions/{id}/spam': sessionPath('/spam', true),
  'POST /v1/sessions/{id}/assign': async (role, c, fresh) => ({ ...(await sessionPath('/assign')(role, c, fresh)), body: assignBody(role, c) }),
  'POST /v1/sessions/{id}/close': sessionPath('/close'),
  'POST /v1/sessions/{id}/messages (reply)': async (role, c, fresh) => ({
    ...(await sessionPath('/messages')(role, c, fresh)),
    body: { type: 'text', body: 'hello' },
  }),
  'POST /v1/sessions/{id}/messages (system note)': async (role, c, fresh) => ({
    ...(await sessionPath('/messages')(role, c, fresh)),
    body: { type: 'system', body: 'note' },
  }),
  // Up to the session's newest message (the client's first one).
  'POST /v1/sessions/{id}/read': async (role, c, fresh) => {
    const { path } = await sessionPath('/read')(role, c, fresh);
    const last = await ok('GET', path.replace(/\/read$/, '/messages/last'), w.admin);
    return { path, body: { upTo: last.__id } };
  },
  'POST /v1/lines/search': searchRequest('lines'),
  'POST /v1/channels/search': searchRequest('channels'),
  'POST /v1/clients/search': searchRequest('clients'),
  'POST /v1/sessions/search': searchRequest('sessions'),
  'GET /v1/metrics': async (_r, c) => ({ path: `/v1/metrics?line=${lineOf(c)}` }),
  'PATCH /v1/channels/{id}': async (_r, c, fresh) => ({ path: `/v1/channels/${await channel(c, false, fresh)}`, body: { __name: `renamed ${account()}` } }),
  'POST /v1/channels/{id}/messages/{messageId}/status': async (_r, c, fresh) => ({
    path: `/v1/channels/${channelOf(c)}/messages/${await reply(c, fresh)}/status`,
    body: { status: 'delivered' },
  }),
  'POST /v1/webhooks': async (_r, c) => ({ path: '/v1/webhooks', body: { url: 'http://127.0.0.1:9/hook', events: ['session.sla_breached'], line: lineOf(c) } }),
  'GET /v1/webhooks': async () => ({ path: '/v1/webhooks' }),
  'DELETE /v1/webhooks/{id}': async (_r, c, fresh) => ({ path: `/v1/webhooks/${await webhook(c, fresh)}` }),
  'GET /v1/webhooks/{id}/deliveries': async (_r, c) => ({ path: `/v1/webhooks/${await webhook(c, false)}/deliveries` }),
  'POST /v1/webhooks/{id}/deliveries/{deliveryId}/retry': async (_r, c) => ({ path: `/v1/webhooks/${await webhook(c, false)}/deliveries/nope.1/retry` }),
  'GET /v1/lines/{id}/operators': async (_r, c) => ({ path: `/v1/lines/${lineOf(c)}/operators` }),
  'PATCH /v1/lines/{id} (routing)': async (_r, c, fresh) => ({
    path: `/v1/lines/${fresh ? (await ok('POST', '/v1/lines', w.admin, { __name: `Patched ${account()}`, _operatorGroups: [c === 'A' ? 'support' : 'sales'] })).__id : lineOf(c)}`,
    body: { _routing: { mode: 'auto', capacity: 4 } },
  }),
  'PUT /v1/operators/{id}': async (_r, c, fresh) => {
    let id = c === 'A' ? 'bob' : 'dave';
    if (fresh) {
      id = `cap-${account()}`;
      const token = await host.token({ sub: id, roles: ['operator'], groups: [c === 'A' ? 'support' : 'sales'] });
      await ok('PUT', '/v1/operators/me/status', token, { status: 'offline' });
    }
    return { path: `/v1/operators/${id}`, body: { capacity: 7 } };
  },
  'GET /v1/sessions/{id}/queue': sessionPath('/queue'),
  'GET /v1/lines/{id}/templates': async (_r, c) => ({ path: `/v1/lines/${lineOf(c)}/templates` }),
  'POST /v1/lines/{id}/templates': async (_r, c) => ({
    path: `/v1/lines/${lineOf(c)}/templates`,
    body: { __name: 'Greeting', _shortcut: `hi-${account()}`, _text: 'Hello {{client.name}}' },
  }),
  'PATCH /v1/templates/{id}': async (_r, c, fresh) => ({ path: `/v1/templates/${await template(c, fresh)}`, body: { __name: `renamed ${account()}` } }),
  'DELETE /v1/templates/{id}': async (_r, c, fresh) => ({ path: `/v1/templates/${await template(c, fresh)}` }),
  'POST /v1/sessions/{id}/messages (template)': async (role, c, fresh) => ({
    ...(await sessionPath('/messages')(role, c, fresh)),
    body: { template: await template('A', false) },
  }),
  'GET /v1/clients/{id}/export': async (_r, c, fresh) => ({ path: `/v1/clients/${await client(c, fresh)}/export` }),
  'DELETE /v1/clients/{id}': async (_r, c, fresh) => ({ path: `/v1/clients/${await client(c, fresh)}` }),
};

/** Every expectation with its request; a row without one (or a request without a row) fails the first test. */
const MATRIX: Row[] = EXPECTATIONS.map((row) => ({ ...row, request: REQUESTS[rowKey(row)] ?? missingRequest(rowKey(row)) }));
function missingRequest(key: string): RequestFn {
  return async () => assert.fail(`no request for the matrix row ${key}`);
}

const routeKey = (r: { method: string; path: string }) => `${r.method} ${r.path}`;
const manifest = new Map(routes.map((r) => [routeKey(r), r]));
const methodOf = (row: Row) => row.route.split(' ')[0]!;
/** An allowed call of a route that writes: it needs a fixture of its own. */
const writes = (row: Row, status: number) => manifest.get(row.route)?.access === 'write' && status < 300;

interface Cell {
  row: Row;
  role: Role;
  c: Case;
  status: number;
}
const cells: Cell[] = MATRIX.flatMap((row) => ROLES.flatMap((role) => row.cases.map((c, i) => ({ row, role, c, status: row.expect[role][i]! }))));
const label = (x: Cell) => `${x.row.route}${x.row.variant ? ` (${x.row.variant})` : ''} as ${x.role} on ${x.c}`;

async function run(cell: Cell, fresh: boolean) {
  const { path, body } = await cell.row.request(cell.role, cell.c, fresh);
  const r = await call(methodOf(cell.row), path, tokens[cell.role], body);
  return { cell, status: r.status, body: r.body };
}

// --------------------------------------------------------------------------------- setup

before(async () => {
  host = await startTestHost({ files: true });
  w = await world(host, { lineBody: { _accountApp: 'contacts' } });
  tokens.admin = w.admin;
  tokens.integration = w.integration;
  tokens.supervisor = await host.token({ sub: 'sup-1', roles: ['supervisor'], groups: ['leads'] });
  tokens.bot = await host.token({ sub: 'bot-1', roles: ['bot'] });
  tokens.operator = await w.operator('alice');
  tokens.offline = await w.operator('carol');
  tokens.bob = await w.operator('bob');
  tokens.erin = await w.operator('erin');
  tokens.dave = await w.operator('dave', { groups: ['sales'] });
  tokens.supervisorB = await host.token({ sub: 'sup-b', roles: ['supervisor'], groups: ['leads-b'] });
  const b = await ok('POST', '/v1/lines', w.admin, {
    __name: 'Sales',
    _operatorGroups: ['sales'],
    _supervisorGroups: ['leads-b'],
    _botId: 'bot-2',
    _accountApp: 'contacts',
  });
  lineB = b.__id;
  channelB = (await ok('POST', '/v1/channels', w.admin, { _line: lineB, _type: 'telegram', __name: 'Sales Telegram' })).__id;
  tokens.integrationB = await host.token({ sub: 'integration-b', roles: ['integration'], channels: [channelB] });
  // carol's own sessions are taken while she is online; then she goes offline for the rest.
  await session('carol', false, false);
  await session('carol', true, false);
  await ok('PUT', '/v1/operators/me/status', tokens.offline, { status: 'offline' });
});
after(() => host?.close());

// --------------------------------------------------------------------------------- tests

describe('authorization matrix', () => {
  it('has a row for every route of the manifest, and no row for a route that does not exist', () => {
    const covered = new Set(MATRIX.map((r) => r.route));
    const missing = routes.map(routeKey).filter((k) => !covered.has(k));
    assert.deepEqual(missing, [], `routes without a matrix row: ${missing.join(', ')}`);
    const unknown = [...covered].filter((k) => !manifest.has(k));
    assert.deepEqual(unknown, [], `matrix rows for unknown routes: ${unknown.join(', ')}`);
    for (const row of MATRIX) for (const role of ROLES) assert.equal(row.expect[role].length, row.cases.length, `${row.route} ${role}`);
    const keys = new Set(EXPECTATIONS.map(rowKey));
    assert.deepEqual(
      EXPECTATIONS.map(rowKey).filter((k) => !(k in REQUESTS)),
      [],
      'matrix rows without a request',
    );
    assert.deepEqual(
      Object.keys(REQUESTS).filter((k) => !keys.has(k)),
      [],
      'requests without a matrix row',
    );
  });

  it('refused calls and reads answer as the matrix says and write nothing (table snapshot around each route)', async () => {
    const shared = cells.filter((x) => !writes(x.row, x.status));
    // Build the shared fixtures first, so that the snapshots compare only the calls under test.
    await mapPool(shared, 8, (x) => x.row.request(x.role, x.c, false));
    const wrong: string[] = [];
    for (const row of MATRIX) {
      const mine = shared.filter((x) => x.row === row);
      if (mine.length === 0) continue;
      const before = await snapshot(host);
      const results = await mapPool(mine, 8, (x) => run(x, false));
      for (const r of results) {
        if (r.status !== r.cell.status) wrong.push(`${label(r.cell)}: ${r.status}, expected ${r.cell.status} (${JSON.stringify(r.body?.detail ?? '')})`);
        if (r.status >= 400) assert.equal(r.body?.status, r.status, `${label(r.cell)}: problem+json`);
      }
      sameTable(before, await snapshot(host), `${row.route}${row.variant ? ` (${row.variant})` : ''}: a refused call or a read wrote to the table`);
    }
    assert.deepEqual(wrong, []);
  });

  it('allowed writes succeed as the matrix says (each on a fixture of its own)', async () => {
    const allowed = cells.filter((x) => writes(x.row, x.status));
    assert.ok(allowed.length > 30, `only ${allowed.length} allowed writes`);
    const results = await mapPool(allowed, 6, (x) => run(x, true));
    const wrong = results
      .filter((r) => r.status !== r.cell.status)
      .map((r) => `${label(r.cell)}: ${r.status}, expected ${r.cell.status} (${JSON.stringify(r.body?.detail ?? '')})`);
    assert.deepEqual(wrong, []);
  });

  it('an operator may take a queued session only for itself, and from a group queue only as its member', async () => {
    const queued = await session('queued', false, true);
    const grouped = await session('queued', false, true);
    await ok('POST', `/v1/sessions/${grouped}/assign`, w.admin, { group: 'support' });
    const botHeld = await session('bot', false, true);
    const outsider = await host.token({ sub: 'frank', roles: ['operator'], groups: ['support-2'] });
    // frank is in another group of the line: he sees the line only if it lists his group.
    const before = await snapshot(host);
    assert.equal((await call('POST', `/v1/sessions/${queued}/assign`, tokens.operator, { operator: 'erin' })).status, 403);
    assert.equal((await call('POST', `/v1/sessions/${botHeld}/assign`, tokens.operator, { operator: 'alice' })).status, 403);
    assert.equal((await call('POST', `/v1/sessions/${queued}/assign`, outsider, { operator: 'frank' })).status, 404);
    assert.equal((await call('PUT', `/v1/sessions/${queued}/priority`, tokens.supervisorB, { priority: 'Low' })).status, 404);
    sameTable(before, await snapshot(host));
    const multi = await host.token({ sub: 'gina', roles: ['operator'], groups: ['support', 'support-2'] });
    await ok('PUT', '/v1/operators/me/status', multi, { status: 'online' });
    const lineC = await ok('POST', '/v1/lines', w.admin, { __name: 'Two groups', _operatorGroups: ['support', 'support-2'] });
    const chC = await ok('POST', '/v1/channels', w.admin, { _line: lineC.__id, _type: 'telegram', __name: 'c' });
    const intC = await host.token({ sub: 'integration-c', roles: ['integration'], channels: [chC.__id] });
    const s = (await ok('POST', `/v1/channels/${chC.__id}/inbound`, intC, { account: account(), body: 'hi' })).session.__id;
    await ok('POST', `/v1/sessions/${s}/assign`, w.admin, { group: 'support-2' });
    const snap = await snapshot(host);
    // alice (support only) sees the line but not the support-2 queue's session as hers to take.
    assert.equal((await call('POST', `/v1/sessions/${s}/assign`, tokens.operator, { operator: 'alice' })).status, 403);
    sameTable(snap, await snapshot(host));
    assert.equal((await call('POST', `/v1/sessions/${s}/assign`, multi, { operator: 'gina' })).status, 200);
  });

  it('an operator who goes offline keeps reading but may change nothing, even on its own session', async () => {
    const hank = await w.operator('hank');
    const own = await session('queued', false, true);
    await ok('POST', `/v1/sessions/${own}/assign`, hank, { operator: 'hank' });
    await ok('PUT', '/v1/operators/me/status', hank, { status: 'offline' });
    const before = await snapshot(host);
    const refused = await Promise.all([
      call('PUT', `/v1/sessions/${own}/priority`, hank, { priority: 'Low' }),
      call('POST', `/v1/sessions/${own}/close`, hank),
      call('POST', `/v1/sessions/${own}/messages`, hank, { type: 'text', body: 'x' }),
      call('POST', `/v1/sessions/${own}/assign`, hank, { operator: 'erin' }),
      call('POST', '/v1/sessions', hank, { channel: w.channel.__id, account: account() }),
      call('PATCH', `/v1/clients/${await client('A', false)}`, hank, { _applicationItem: { code: 'contacts', id: 'z' } }),
    ]);
    assert.deepEqual(
      refused.map((r) => r.status),
      [403, 403, 403, 403, 403, 403],
    );
    assert.equal((await call('GET', `/v1/sessions/${own}/messages`, hank)).status, 200);
    sameTable(before, await snapshot(host));
    await ok('PUT', '/v1/operators/me/status', hank, { status: 'online' });
    assert.equal((await call('PUT', `/v1/sessions/${own}/priority`, hank, { priority: 'Low' })).status, 200);
  });
});

describe('identity: every protected route refuses a bad token with 401 and writes nothing', () => {
  it('no token, forged signature, tampered claims, alg none, expired, wrong issuer, wrong audience', async () => {
    const claims = { sub: 'admin-1', roles: ['admin'] };
    const otherKey = await loadOrCreateDevKey(join(mkdtempSync(join(tmpdir(), 'chatlines-other-key-')), 'dev-key.json'));
    const forged = await signToken(otherKey, claims);
    const [head, payload] = w.admin.split('.');
    const tampered = `${head}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: 'someone' })).toString('base64url')}.${w.admin.split('.')[2]}`;
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
    const bad: Record<string, string | undefined> = {
      'no token': undefined,
      'forged signature': forged,
      'tampered claims': tampered,
      'alg none': none,
      expired: await host.token(claims, { expiresIn: -10 }),
      'wrong issuer': await host.token(claims, { issuer: 'https://evil.example' }),
      'wrong audience': await host.token(claims, { audience: 'someone-else' }),
      'not a JWT': 'hello',
    };
    const protectedRows = MATRIX.filter((row) => manifest.get(row.route)!.auth);
    assert.equal(new Set(protectedRows.map((r) => r.route)).size, routes.filter((r) => r.auth).length);
    const requests = await Promise.all(protectedRows.map(async (row) => ({ row, req: await row.request('admin', row.cases[0]!, false) })));
    const before = await snapshot(host);
    const calls = requests.flatMap(({ row, req }) => Object.entries(bad).map(([name, token]) => ({ row, req, name, token })));
    const results = await mapPool(calls, 8, async (x) => ({ x, r: await call(methodOf(x.row), x.req.path, x.token, x.req.body) }));
    const wrong = results.filter(({ r }) => r.status !== 401 || r.body?.status !== 401).map(({ x, r }) => `${x.row.route} with ${x.name}: ${r.status}`);
    assert.deepEqual(wrong, []);
    for (const { r } of results) assert.match(r.headers.get('content-type') ?? '', /application\/problem\+json/);
    sameTable(before, await snapshot(host));
    // The same requests with the good token pass the gate (so the 401s above came from the token).
    const good = await mapPool(requests, 8, async ({ row, req }) => (await call(methodOf(row), req.path, w.admin, req.body)).status);
    assert.ok(good.every((s) => s !== 401));
  });
});

describe('no leak: other lines are neither found nor counted', () => {
  const COLLECTIONS = ['lines', 'channels', 'clients', 'sessions'] as const;
  const onB = (collection: string, item: Record<string, unknown>) => (collection === 'lines' ? item.__id === lineB : item._line === lineB);

  it('searches of every role return only objects of lines it sees', async () => {
    const foreign = await session('dave', false, false);
    const probes = (collection: string) => [
      { size: 1000, count: true },
      { where: { eq: [collection === 'lines' ? '__id' : '_line', lineB] }, count: true },
      ...(collection === 'sessions'
        ? [
            { where: { eq: ['__id', foreign] }, count: true },
            { where: { in: ['__id', [foreign]] }, count: true },
            { where: { eq: ['_channel', channelB] }, count: true },
            { where: { eq: ['_userId', 'dave'] }, count: true },
            { where: { or: [{ eq: ['_line', lineB] }, { eq: ['_state', 'AssignedToOperator'] }] }, count: true },
          ]
        : []),
      ...(collection === 'clients' ? [{ where: { eq: ['_channel', channelB] }, count: true }] : []),
      ...(collection === 'channels' ? [{ where: { eq: ['__id', channelB] }, count: true }] : []),
    ];
    for (const collection of COLLECTIONS) {
      for (const body of probes(collection)) {
        const admin = await call('POST', `/v1/${collection}/search`, w.admin, body);
        assert.equal(admin.status, 200);
        assert.ok(
          admin.body.items.some((i: Record<string, unknown>) => onB(collection, i)),
          `admin finds line B's ${collection} with ${JSON.stringify(body)}`,
        );
        for (const role of ['supervisor', 'operator', 'offline', 'bot'] as const) {
          const r = await call('POST', `/v1/${collection}/search`, tokens[role], body);
          assert.equal(r.status, 200, `${role} ${collection}`);
          const leaked = r.body.items.filter((i: Record<string, unknown>) => onB(collection, i));
          assert.deepEqual(leaked, [], `${role} found line B's ${collection} with ${JSON.stringify(body)}`);
          assert.ok(r.body.total < admin.body.total, `${role}'s count of ${collection} includes line B (${JSON.stringify(body)})`);
        }
        const other = await call('POST', `/v1/${collection}/search`, tokens.supervisorB, body);
        assert.equal(other.status, 200);
        assert.ok(
          other.body.items.every((i: Record<string, unknown>) => onB(collection, i)),
          `line B's supervisor sees only line B's ${collection}`,
        );
      }
    }
  });

  it('metrics of another line are 404 for its strangers, and an operator reads only its own series', async () => {
    for (const role of ['supervisor', 'operator', 'offline', 'bot', 'integration'] as const) {
      const r = await call('GET', `/v1/metrics?line=${lineB}`, tokens[role]);
      assert.equal(r.status, 404, role);
      assert.doesNotMatch(JSON.stringify(r.body), /Sales/);
    }
    const own = await call('GET', `/v1/metrics?line=${w.line.__id}`, tokens.operator);
    assert.deepEqual(own.body.dimension, { kind: 'operator', value: 'alice' });
    assert.equal((await call('GET', `/v1/metrics?line=${w.line.__id}&operator=bob`, tokens.operator)).status, 403);
    assert.equal((await call('GET', `/v1/metrics?line=${w.line.__id}&group=support`, tokens.operator)).status, 403);
  });

  it('a hidden object and a missing one get the same 404', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    const foreign = await session('dave', false, false);
    for (const [path, method, body] of [
      [`/v1/sessions/${foreign}`, 'GET', undefined],
      [`/v1/sessions/${foreign}/close`, 'POST', undefined],
      [`/v1/lines/${lineB}`, 'GET', undefined],
      [`/v1/channels/${channelB}/disconnect`, 'POST', undefined],
      [`/v1/channels/${channelB}/inbound`, 'POST', { account: 'x', body: 'y' }],
    ] as const) {
      const hidden = await call(method, path, tokens.operator, body);
      const absent = await call(method, path.replace(/[0-9a-f-]{36}/, missing), tokens.operator, body);
      assert.equal(hidden.status, 404, path);
      assert.equal(absent.status, 404, path);
      assert.equal(hidden.body.title, absent.body.title);
      assert.equal(hidden.body.detail.replace(/[0-9a-f-]{36}/, 'ID'), absent.body.detail.replace(/[0-9a-f-]{36}/, 'ID'), path);
    }
  });
});
