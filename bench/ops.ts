/**
 * Step 2, operations: every route through the local host over DynamoDB Local, sequential and
 * with 10 in flight; per request the DynamoDB calls (which operations, which indexes) and the
 * consumed capacity, read from `usage` of lib/store/db.ts (the host runs the handlers in this
 * process) and from a call log on the shared client.
 */
import { randomUUID } from 'node:crypto';
import { routes } from '../infra/routes.ts';
import { getItem } from '../lib/store/db.ts';
import { sessionKey } from '../lib/store/keys.ts';
import { type CallRecord, callLog, type Env, log, pool, progress, quantile, resetCalls, round, usage } from './support.ts';
import type { World } from './world.ts';

type Role = keyof World['tokens'];
type Kind = 'command' | 'fetch' | 'search' | 'read' | 'create' | 'other';

interface Request {
  method: string;
  path: string;
  body?: unknown;
}

interface Recipe {
  /** Row label (route key, or route key + variant). */
  label: string;
  routeKey: string;
  kind: Kind;
  /** Roles tried in order on the warm-up request until one succeeds. */
  roles: Role[];
  /** Builds the state one sample needs (not timed, not counted). */
  setup?: (w: World, env: Env) => Promise<Record<string, string>>;
  request(w: World, ctx: Record<string, string>, i: number): Request;
}

export interface OpRow {
  label: string;
  routeKey: string;
  kind: Kind;
  status: 'measured' | 'not available yet' | 'failed' | 'no recipe';
  note?: string;
  role?: string;
  samples?: number;
  seq?: { p50: number; p99: number };
  conc?: { p50: number; p99: number };
  /** Median DynamoDB round trips per request (from `usage.calls`). */
  calls?: number;
  /** The usual sequence of DynamoDB operations of one request. */
  pattern?: string;
  /** Most round trips any one request made, and that request's sequence when it differs. */
  callsMax?: number;
  worstPattern?: string;
  rcuPerRequest?: number;
  wcuPerRequest?: number;
  rcuPerCall?: number;
  wcuPerCall?: number;
  budget?: string;
  pass?: boolean;
  errors?: number;
}

export interface OpsResult {
  samples: number;
  rows: OpRow[];
  bareGet: { p50: number; p99: number; samples: number };
  fetchRatio?: { fetchP99: number; fetchP50: number; bareP99: number; ratio: number; pass: boolean };
}

const day = () => new Date().toISOString().slice(0, 10);

function recipes(): Recipe[] {
  const withSession = async (w: World) => {
    const s = await w.newSession();
    return { id: s.sessionId, client: s.clientId };
  };
  const withAssigned = async (w: World) => {
    const s = await w.assignedSession();
    return { id: s.sessionId, client: s.clientId };
  };
  const search = (collection: string, label: string, where: unknown): Recipe => ({
    label: `POST /v1/${collection}/search — ${label}`,
    routeKey: `POST /v1/${collection}/search`,
    kind: 'search',
    roles: ['admin', 'supervisor', 'operator'],
    request: () => ({ method: 'POST', path: `/v1/${collection}/search`, body: { where, from: 0, size: 10 } }),
  });
  return [
    { label: 'GET /v1/health', routeKey: 'GET /v1/health', kind: 'other', roles: ['admin'], request: () => ({ method: 'GET', path: '/v1/health' }) },
    {
      label: 'POST /v1/lines',
      routeKey: 'POST /v1/lines',
      kind: 'create',
      roles: ['admin'],
      request: (_w, _c, i) => ({ method: 'POST', path: '/v1/lines', body: { __name: `Line ${i} ${randomUUID().slice(0, 6)}`, _operatorGroups: ['support'] } }),
    },
    {
      label: 'GET /v1/lines/{id}',
      routeKey: 'GET /v1/lines/{id}',
      kind: 'fetch',
      roles: ['admin'],
      request: (w) => ({ method: 'GET', path: `/v1/lines/${w.lineId}` }),
    },
    {
      label: 'POST /v1/channels',
      routeKey: 'POST /v1/channels',
      kind: 'create',
      roles: ['admin'],
      request: (w, _c, i) => ({ method: 'POST', path: '/v1/channels', body: { _line: w.lineId, _type: 'telegramBot', __name: `Bot channel ${i}` } }),
    },
    {
      label: 'POST /v1/channels/{id}/inbound — new client, new session',
      routeKey: 'POST /v1/channels/{id}/inbound',
      kind: 'create',
      roles: ['integration'],
      request: (w) => ({ method: 'POST', path: `/v1/channels/${w.channelId}/inbound`, body: { account: `new-${randomUUID()}`, body: 'Hello' } }),
    },
    {
      label: 'POST /v1/channels/{id}/inbound — into the open session',
      routeKey: 'POST /v1/channels/{id}/inbound',
      kind: 'command',
      roles: ['integration'],
      setup: async (w, env) => {
        const account = `open-${randomUUID()}`;
        const r = await env.call('POST', `/v1/channels/${w.channelId}/inbound`, { token: w.integration, body: { account, body: 'first' } });
        return { account, id: r.body?.session?.__id };
      },
      request: (w, c) => ({ method: 'POST', path: `/v1/channels/${w.channelId}/inbound`, body: { account: c.account, body: 'one more thing' } }),
    },
    {
      label: 'POST /v1/channels/{id}/disconnect',
      routeKey: 'POST /v1/channels/{id}/disconnect',
      kind: 'command',
      roles: ['admin'],
      setup: async (w, env) => {
        const r = await env.call('POST', '/v1/channels', { token: w.admin, body: { _line: w.lineId, _type: 'telegramBot', __name: 'to disconnect' } });
        return { id: r.body.__id };
      },
      request: (_w, c) => ({ method: 'POST', path: `/v1/channels/${c.id}/disconnect` }),
    },
    {
      label: 'POST /v1/channels/{id}/reconnect',
      routeKey: 'POST /v1/channels/{id}/reconnect',
      kind: 'command',
      roles: ['admin'],
      setup: async (w, env) => {
        const r = await env.call('POST', '/v1/channels', { token: w.admin, body: { _line: w.lineId, _type: 'telegramBot', __name: 'to reconnect' } });
        await env.call('POST', `/v1/channels/${r.body.__id}/disconnect`, { token: w.admin });
        return { id: r.body.__id };
      },
      request: (_w, c) => ({ method: 'POST', path: `/v1/channels/${c.id}/reconnect` }),
    },
    {
      label: 'PATCH /v1/clients/{id}',
      routeKey: 'PATCH /v1/clients/{id}',
      kind: 'command',
      roles: ['operator', 'supervisor', 'admin'],
      setup: withAssigned,
      request: (_w, c) => ({ method: 'PATCH', path: `/v1/clients/${c.client}`, body: { _applicationItem: { code: 'contacts', id: randomUUID() } } }),
    },
    {
      label: 'PUT /v1/operators/me/status',
      routeKey: 'PUT /v1/operators/me/status',
      kind: 'other',
      roles: ['operator'],
      request: () => ({ method: 'PUT', path: '/v1/operators/me/status', body: { status: 'online' } }),
    },
    {
      label: 'POST /v1/sessions',
      routeKey: 'POST /v1/sessions',
      kind: 'create',
      roles: ['operator'],
      request: (w) => ({ method: 'POST', path: '/v1/sessions', body: { channel: w.channelId, account: `op-made-${randomUUID()}` } }),
    },
    {
      label: 'GET /v1/sessions/{id}',
      routeKey: 'GET /v1/sessions/{id}',
      kind: 'fetch',
      roles: ['operator', 'supervisor', 'admin'],
      setup: withSession,
      request: (_w, c) => ({ method: 'GET', path: `/v1/sessions/${c.id}` }),
    },
    {
      label: 'PATCH /v1/sessions/{id}',
      routeKey: 'PATCH /v1/sessions/{id}',
      kind: 'command',
      roles: ['operator', 'supervisor', 'admin'],
      setup: withAssigned,
      request: (_w, _c, i) => ({ method: 'PATCH', path: `/v1/sessions/${_c.id}`, body: { __name: `Order question ${i}` } }),
    },
    {
      label: 'POST /v1/sessions/{id}/assign',
      routeKey: 'POST /v1/sessions/{id}/assign',
      kind: 'command',
      roles: ['operator', 'supervisor', 'admin'],
      setup: withSession,
      request: (w, c) => ({ method: 'POST', path: `/v1/sessions/${c.id}/assign`, body: { operator: w.operatorId } }),
    },
    {
      label: 'POST /v1/sessions/{id}/close',
      routeKey: 'POST /v1/sessions/{id}/close',
      kind: 'command',
      roles: ['operator'],
      setup: withAssigned,
      request: (_w, c) => ({ method: 'POST', path: `/v1/sessions/${c.id}/close` }),
    },
    {
      label: 'PUT /v1/sessions/{id}/spam',
      routeKey: 'PUT /v1/sessions/{id}/spam',
      kind: 'command',
      roles: ['operator', 'supervisor', 'admin'],
      setup: withAssigned,
      request: (_w, c) => ({ method: 'PUT', path: `/v1/sessions/${c.id}/spam` }),
    },
    {
      label: 'DELETE /v1/sessions/{id}/spam',
      routeKey: 'DELETE /v1/sessions/{id}/spam',
      kind: 'command',
      roles: ['operator', 'supervisor', 'admin'],
      setup: async (w, env) => {
        const s = await w.assignedSession();
        await env.call('PUT', `/v1/sessions/${s.sessionId}/spam`, { token: w.operator });
        return { id: s.sessionId };
      },
      request: (_w, c) => ({ method: 'DELETE', path: `/v1/sessions/${c.id}/spam` }),
    },
    {
      label: 'PUT /v1/sessions/{id}/priority',
      routeKey: 'PUT /v1/sessions/{id}/priority',
      kind: 'command',
      roles: ['operator', 'supervisor', 'admin'],
      setup: withAssigned,
      request: (_w, c) => ({ method: 'PUT', path: `/v1/sessions/${c.id}/priority`, body: { priority: 'High' } }),
    },
    {
      label: 'GET /v1/sessions/{id}/messages',
      routeKey: 'GET /v1/sessions/{id}/messages',
      kind: 'read',
      roles: ['operator', 'supervisor', 'admin'],
      setup: withAssigned,
      request: (_w, c) => ({ method: 'GET', path: `/v1/sessions/${c.id}/messages?from=0&size=10` }),
    },
    {
      label: 'GET /v1/sessions/{id}/messages/last',
      routeKey: 'GET /v1/sessions/{id}/messages/last',
      kind: 'read',
      roles: ['operator', 'supervisor', 'admin'],
      setup: withAssigned,
      request: (_w, c) => ({ method: 'GET', path: `/v1/sessions/${c.id}/messages/last` }),
    },
    {
      label: 'POST /v1/sessions/{id}/messages — operator reply',
      routeKey: 'POST /v1/sessions/{id}/messages',
      kind: 'command',
      roles: ['operator'],
      setup: withAssigned,
      request: (_w, c) => ({ method: 'POST', path: `/v1/sessions/${c.id}/messages`, body: { type: 'text', body: 'Thanks, looking into it' } }),
    },
    search('sessions', "a line's waiting queue", { and: [{ eq: ['_line', '$line'] }, { eq: ['_state', 'Waiting'] }] }),
    search('sessions', "the seed's open sessions of a line", {
      and: [{ eq: ['_line', '$line'] }, { eq: ['__deletedAt', null] }, { neq: ['_state', 'Closed'] }],
    }),
    search('sessions', "an operator's sessions", { eq: ['_userId', '$operator'] }),
    search('sessions', "a channel's sessions", { eq: ['_channel', '$channel'] }),
    search('clients', 'clients of a channel', { eq: ['_channel', '$channel'] }),
    search('channels', "a line's channels", { eq: ['_line', '$line'] }),
    search('lines', 'lines by name', { eq: ['__name', '$lineName'] }),
    {
      label: 'GET /v1/metrics',
      routeKey: 'GET /v1/metrics',
      kind: 'read',
      roles: ['admin', 'supervisor'],
      request: (w) => ({
        method: 'GET',
        path: `/v1/metrics?type=processedSessions&line=${w.lineId}&granularity=day&from=${day()}&to=${day()}`,
      }),
    },
    {
      label: 'GET /v1/openapi.json',
      routeKey: 'GET /v1/openapi.json',
      kind: 'other',
      roles: ['admin'],
      request: () => ({ method: 'GET', path: '/v1/openapi.json' }),
    },
  ];
}

/** Replaces `$line`, `$operator`… placeholders in a search body. */
export function fill(body: unknown, values: Record<string, string>): unknown {
  return JSON.parse(JSON.stringify(body), (_k, v) => (typeof v === 'string' && v.startsWith('$') && v.slice(1) in values ? values[v.slice(1)] : v));
}

/** The route in the manifest that serves `METHOD path`, if any (search may be one `{collection}` route). */
export function served(method: string, path: string): string | undefined {
  const pathOnly = path.split('?')[0]!;
  for (const r of routes) {
    if (r.method !== method) continue;
    const source = r.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, '[^/]+');
    if (new RegExp(`^${source}$`).test(pathOnly)) return `${r.method} ${r.path}`;
  }
  return undefined;
}

/** `GetItem + GetItem + TransactWriteItems` → `2× GetItem + TransactWriteItems`. */
function pattern(calls: CallRecord[]): string {
  const names = calls.map((c) => (c.index ? `${c.op}(${c.index})` : c.op));
  const runs: { name: string; n: number }[] = [];
  for (const name of names) {
    const last = runs[runs.length - 1];
    if (last?.name === name) last.n++;
    else runs.push({ name, n: 1 });
  }
  return runs.map((r) => (r.n > 1 ? `${r.n}× ${r.name}` : r.name)).join(' + ') || '(none)';
}

function mostCommon(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
}

/** The budget of a row, checked on every sample (not just the typical one). */
function budgetOf(row: OpRow, calls: CallRecord[][]): { budget?: string; pass?: boolean } {
  if (row.kind === 'command') {
    // A command's floor: read what it decides on, then one conditional transaction.
    return { budget: '≤ 2 round trips (a read, then one transaction)', pass: calls.every((c) => c.length <= 2) };
  }
  if (row.kind === 'fetch') {
    return { budget: 'one GetItem', pass: calls.every((c) => c.length === 1 && c[0]!.op === 'GetItem') };
  }
  if (row.kind === 'search') {
    const touched = new Set<string>();
    let pass = true;
    for (const sample of calls) {
      const queries = sample.filter((c) => c.op === 'Query');
      const indexes = new Set(queries.map((c) => (c.index?.startsWith('gsi') ? c.index : 'table')));
      for (const i of indexes) touched.add(i);
      const scans = sample.filter((c) => c.op === 'Scan').length;
      // Keys-only indexes: each Query page is followed by one BatchGetItem of its items.
      const fetches = sample.filter((c) => c.op === 'BatchGetItem' || c.op === 'GetItem').length;
      const other = sample.length - queries.length - fetches - scans;
      if (scans > 0 || queries.length === 0 || queries.length > indexes.size || fetches > queries.length || other > 0) pass = false;
    }
    return {
      budget: `one Query per index touched, + one BatchGetItem of its items (${touched.size} touched: ${[...touched].join(', ') || 'none'})`,
      pass,
    };
  }
  return {};
}

async function tokenFor(w: World, role: Role) {
  return w.tokens[role];
}

/** Measures every recipe whose route exists; the rest are listed as not available yet. */
export async function benchOps(env: Env, w: World, quick: boolean): Promise<OpsResult> {
  const samples = quick ? 30 : 120;
  const values = { line: w.lineId, operator: w.operatorId, channel: w.channelId, lineName: '' };
  const lineName = await env.call('GET', `/v1/lines/${w.lineId}`, { token: w.admin });
  values.lineName = lineName.body?.__name ?? '';
  const rows: OpRow[] = [];
  const covered = new Set<string>();
  // Searches first, over a small known population (20 waiting, 10 assigned sessions): the
  // other recipes leave thousands of sessions and clients behind, and unbounded partitions
  // (clients of a channel) would then dominate the run. Growth is measured in step 3.
  const all = [...recipes()].sort((a, b) => Number(b.kind === 'search') - Number(a.kind === 'search'));
  if (all.some((r) => r.kind === 'search' && served('POST', `/v1/${r.routeKey.split('/')[2]}/search`))) {
    for (let i = 0; i < 20; i++) await w.newSession();
    if (served('POST', '/v1/sessions/x/assign')) for (let i = 0; i < 10; i++) await w.assignedSession();
  }
  const bar = progress('operations');
  let index = 0;
  for (const recipe of all) {
    bar.tick(index++, all.length);
    const probe = recipe.request(w, {}, 0);
    const routeKey = served(probe.method, probe.path);
    if (!routeKey) {
      rows.push({
        label: recipe.label,
        routeKey: recipe.routeKey,
        kind: recipe.kind,
        status: 'not available yet',
        note: 'route not in the manifest when measured',
      });
      continue;
    }
    covered.add(routeKey);
    const row: OpRow = { label: recipe.label, routeKey, kind: recipe.kind, status: 'measured' };
    try {
      await measure(env, w, recipe, row, samples, values);
    } catch (error) {
      row.status = 'failed';
      row.note = (error as Error).message.slice(0, 300);
    }
    rows.push(row);
  }
  bar.done();
  for (const r of routes) {
    const key = `${r.method} ${r.path}`;
    if (!covered.has(key))
      rows.push({
        label: key,
        routeKey: key,
        kind: 'other',
        status: 'no recipe',
        note: 'route added after the bench was written: add a recipe in bench/ops.ts',
      });
  }

  // The bare GetItem a fetch makes (same client, this process) against the fetch through the
  // host, interleaved one for one so that machine noise hits both alike.
  const s = await w.newSession();
  const fetchToken = w.tokens[(rows.find((r) => r.routeKey === 'GET /v1/sessions/{id}')?.role as Role | undefined) ?? 'operator'];
  const bare: number[] = [];
  const fetched: number[] = [];
  let fetchErrors = 0;
  for (let i = 0; i < 20; i++) await getItem(sessionKey(s.sessionId));
  for (let i = 0; i < samples * 2; i++) {
    const t = performance.now();
    await getItem(sessionKey(s.sessionId));
    bare.push(performance.now() - t);
    const r = await env.call('GET', `/v1/sessions/${s.sessionId}`, { token: fetchToken });
    if (r.status !== 200) fetchErrors++;
    fetched.push(r.ms);
  }
  const bareGet = { p50: round(quantile(bare, 0.5), 2), p99: round(quantile(bare, 0.99), 2), samples: bare.length };
  const result: OpsResult = { samples, rows, bareGet };
  if (fetchErrors === 0) {
    const fetchP99 = quantile(fetched, 0.99);
    const ratio = fetchP99 / bareGet.p99;
    result.fetchRatio = {
      fetchP99: round(fetchP99, 2),
      fetchP50: round(quantile(fetched, 0.5), 2),
      bareP99: bareGet.p99,
      ratio: round(ratio, 2),
      pass: ratio <= 3,
    };
  }
  log(`  operations: ${rows.filter((r) => r.status === 'measured').length} measured, ${rows.filter((r) => r.status !== 'measured').length} not`);
  return result;
}

async function measure(env: Env, w: World, recipe: Recipe, row: OpRow, samples: number, values: Record<string, string>): Promise<void> {
  const build = (ctx: Record<string, string>, i: number) => {
    const req = recipe.request(w, ctx, i);
    return { ...req, ...(req.body !== undefined ? { body: fill(req.body, values) } : {}) };
  };
  // Warm-up: finds a role the route accepts, loads the function, fills the line cache.
  let token: string | undefined;
  let lastFailure = '';
  for (const role of recipe.roles) {
    const ctx = recipe.setup ? await recipe.setup(w, env) : {};
    const req = build(ctx, 0);
    const r = await env.call(req.method, req.path, { token: await tokenFor(w, role), ...(req.body !== undefined ? { body: req.body } : {}) });
    if (r.status >= 200 && r.status < 300) {
      token = await tokenFor(w, role);
      row.role = role;
      break;
    }
    lastFailure = `${role}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`;
  }
  if (!token) throw new Error(`no role got a 2xx on the warm-up (${lastFailure})`);

  const contexts = async (n: number) => {
    const out: Record<string, string>[] = [];
    for (let i = 0; i < n; i++) out.push(recipe.setup ? await recipe.setup(w, env) : {});
    return out;
  };
  let errors = 0;
  // Sequential: latency and the DynamoDB calls of each request on its own.
  const seqCtx = await contexts(samples);
  const seq: number[] = [];
  const calls: number[] = [];
  const rcu: number[] = [];
  const wcu: number[] = [];
  const logs: CallRecord[][] = [];
  for (let i = 0; i < samples; i++) {
    const req = build(seqCtx[i]!, i + 1);
    resetCalls();
    const r = await env.call(req.method, req.path, { token, ...(req.body !== undefined ? { body: req.body } : {}) });
    if (r.status < 200 || r.status > 299) errors++;
    seq.push(r.ms);
    calls.push(usage.calls);
    // Capacity by operation from the call log: `usage` books a TOTAL-only answer (all a
    // TransactWriteItems returns) as read capacity.
    rcu.push(callLog.reduce((t, c) => t + c.rcu, 0));
    wcu.push(callLog.reduce((t, c) => t + c.wcu, 0));
    logs.push([...callLog]);
  }
  // 10 in flight: latency only (the counters would mix requests).
  const concCtx = await contexts(samples);
  const conc = await pool(concCtx, 10, async (ctx, i) => {
    const req = build(ctx, samples + i + 1);
    const r = await env.call(req.method, req.path, { token, ...(req.body !== undefined ? { body: req.body } : {}) });
    if (r.status < 200 || r.status > 299) errors++;
    return r.ms;
  });
  const sum = (a: number[]) => a.reduce((s, x) => s + x, 0);
  row.samples = samples;
  row.seq = { p50: round(quantile(seq, 0.5), 2), p99: round(quantile(seq, 0.99), 2) };
  row.conc = { p50: round(quantile(conc, 0.5), 2), p99: round(quantile(conc, 0.99), 2) };
  row.calls = quantile(calls, 0.5);
  row.pattern = mostCommon(logs.map(pattern));
  const worst = logs.reduce((a, b) => (b.length > a.length ? b : a), [] as CallRecord[]);
  row.callsMax = worst.length;
  if (pattern(worst) !== row.pattern) row.worstPattern = `${pattern(worst)} (${logs.filter((l) => l.length === worst.length).length} of ${samples})`;
  row.rcuPerRequest = round(sum(rcu) / samples, 2);
  row.wcuPerRequest = round(sum(wcu) / samples, 2);
  const totalCalls = sum(calls);
  row.rcuPerCall = totalCalls ? round(sum(rcu) / totalCalls, 2) : 0;
  row.wcuPerCall = totalCalls ? round(sum(wcu) / totalCalls, 2) : 0;
  row.errors = errors;
  Object.assign(row, budgetOf(row, logs));
}
