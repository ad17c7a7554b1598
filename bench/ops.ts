/**
 * Step 2, operations: every route through the local host over DynamoDB Local, sequential and
 * with 10 in flight; per request the DynamoDB calls (which operations, which indexes) and the
 * consumed capacity, read from `usage` of lib/adapters/dynamodb/db.ts (the host runs the handlers in this
 * process) and from a call log on the shared client.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mapPool } from '../lib/adapters/concurrency.ts';
import { getItem } from '../lib/adapters/dynamodb/db.ts';
import { type DeliveryTarget, deliveryKey, sessionKey } from '../lib/adapters/dynamodb/keys.ts';
import { attemptDelivery, deliverNew } from '../lib/app/webhooks/deliveries.ts';
import type { ChatlinesEvent } from '../lib/contract/events.ts';
import { routes } from '../lib/contract/routes.ts';
import {
  INSTAGRAM_CREDENTIALS,
  instagramNotification,
  instagramText,
  metaSignature,
  startMetaFake,
  WHATSAPP_CREDENTIALS,
  whatsappNotification,
  whatsappText,
} from '../test/support/fakes/meta.ts';
import { startFakeTelegram, textUpdate } from '../test/support/fakes/telegram.ts';
import { rawJson, startViberFake, viberSignature, viberText } from '../test/support/fakes/viber.ts';
import { png } from '../test/support/png.ts';
import { type CallRecord, callLog, type Env, fileStore, log, progress, quantile, resetCalls, round, usage } from './support.ts';
import { expectOk, type World } from './world.ts';

type StaffRole = keyof World['tokens'];
/**
 * A staff role (its token from the world); `visitor`: the request carries its own visitor token,
 * if any; `none`: no token, the request carries its own proof (a messenger's signed hook).
 */
type Role = StaffRole | 'visitor' | 'none';
type Kind = 'command' | 'fetch' | 'search' | 'read' | 'create' | 'other';

interface Request {
  method: string;
  path: string;
  body?: unknown;
  /** As `visitor`: the sample's visitor token (none: `POST /v1/visitors`, where a visitor starts). */
  visitorToken?: string;
  /** The body byte for byte (a messenger's update, signed over these bytes); instead of `body`. */
  raw?: string;
  headers?: Record<string, string>;
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
  /**
   * Measured with the searches, before the other recipes fill the bench line's queue with
   * thousands of Waiting sessions: for reads whose cost follows the length of that queue.
   */
  early?: boolean;
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
  /** Median round trips per request: calls in flight together counted once (`calls` counts each). */
  roundTrips?: number;
  /** The usual sequence of DynamoDB operations of one request. */
  pattern?: string;
  /** Samples that refreshed an expired instance cache (the line), counted apart in the budget (see `isCacheRefresh`). */
  cacheRefreshes?: number;
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
  /**
   * The request's own DynamoDB time (the sum of its calls' times, sequential requests): p50 and
   * p99 over the samples, and the request's p99 over that p99 (what the host, the handler and
   * the HTTP round trip add).
   */
  dynamo?: { p50: number; p99: number; ratio: number };
}

export interface OpsResult {
  samples: number;
  rows: OpRow[];
  bareGet: { p50: number; p99: number; samples: number };
  fetchRatio?: { fetchP99: number; fetchP50: number; bareP99: number; ratio: number; pass: boolean };
}

const day = () => new Date().toISOString().slice(0, 10);

/** A setup request that has to succeed (else the row fails, naming it): its body. */
async function must(env: Env, method: string, path: string, options: { token?: string; body?: unknown }): Promise<any> {
  const r = await env.call(method, path, options);
  expectOk(`setup ${method} ${path}`, r);
  return r.body;
}

/** Made on first use, then the same for every later call: state that reads share, or that many samples hang off. */
function once<T>(make: (w: World, env: Env) => Promise<T>): (w: World, env: Env) => Promise<T> {
  let made: Promise<T> | undefined;
  return (w, env) => {
    made ??= make(w, env);
    return made;
  };
}

let receiving: Promise<string> | undefined;
/**
 * The receiver of the bench's webhook subscriptions, on loopback: `/ok` answers 204, any other
 * path 503 (a subscriber whose endpoint is down). Started on first use; it never holds the
 * process open.
 */
function receiver(): Promise<string> {
  receiving ??= new Promise<string>((resolve, reject) => {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(req.url === '/ok' ? 204 : 503).end());
    });
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.unref();
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
  return receiving;
}

/**
 * An event as the stream consumer hands it to the delivery machine, of a made-up session on the
 * quiet line (the step runs no consumer; what an event says does not change what delivering it costs).
 */
function madeUpEvent(w: World): ChatlinesEvent {
  const session = randomUUID();
  return {
    id: `${session}.1`,
    type: 'session.created',
    time: new Date().toISOString(),
    line: w.quietLineId,
    channel: randomUUID(),
    session,
    sequence: 1,
    data: {},
  };
}

/**
 * A failed delivery to `hookId` (a subscription whose receiver answers 503), made by the code that
 * makes them in production: the delivery worker's first attempt (`deliverNew`: 503, recorded
 * pending and due again after the schedule's one step), then the sweeper's (`attemptDelivery`: 503
 * again, the schedule is spent, the item is written `failed`). The retry
 * schedule is one step (0 s) long for this setup only (`WEBHOOK_RETRY_SECONDS`, the knob the
 * delivery tests turn): the default ten steps make the same item with 11 sends instead of 2, and
 * it differs only in `attempts`.
 * Nothing else delivers during this step (it runs no consumer and no sweeper), so the setting
 * reaches nothing else.
 */
async function failedDelivery(w: World, hookId: string): Promise<string> {
  const target: DeliveryTarget = { kind: 'webhook', id: hookId };
  const event = madeUpEvent(w);
  const schedule = process.env.WEBHOOK_RETRY_SECONDS;
  process.env.WEBHOOK_RETRY_SECONDS = '0';
  try {
    const key = deliveryKey(target, event.id);
    // The first attempt (the delivery worker's) leaves it due again at once; the second (the sweeper's) spends the schedule.
    let [outcome] = await deliverNew([{ target, event }]);
    if (outcome === 'retry') outcome = await attemptDelivery(key.pk, key.sk);
    if (outcome !== 'failed') throw new Error(`setup: a delivery to a receiver that answers 503 ended ${outcome}, not failed`);
  } finally {
    if (schedule === undefined) delete process.env.WEBHOOK_RETRY_SECONDS;
    else process.env.WEBHOOK_RETRY_SECONDS = schedule;
  }
  return event.id;
}

function recipes(): Recipe[] {
  const withSession = async (w: World) => {
    const s = await w.newSession();
    return { id: s.sessionId, client: s.clientId };
  };
  const withAssigned = async (w: World) => {
    const s = await w.assignedSession();
    return { id: s.sessionId, client: s.clientId };
  };
  const botChannel = async (w: World, env: Env, name: string): Promise<string> =>
    (await must(env, 'POST', '/v1/channels', { token: w.admin, body: { _line: w.lineId, _type: 'telegramBot', __name: name } })).__id;
  /** A web-chat visitor starts on a livechat channel (the world's unless named): its token. */
  const visitor = async (w: World, env: Env, channel = w.livechatChannelId): Promise<string> =>
    (await must(env, 'POST', '/v1/visitors', { body: { channel } })).token;
  /** A visitor that has written once: its token and its (Waiting) session. */
  const visitorWrote = async (w: World, env: Env, channel = w.livechatChannelId) => {
    const token = await visitor(w, env, channel);
    const r = await must(env, 'POST', '/v1/visitors/messages', { token, body: { body: 'Hello, is anyone there?' } });
    return { token, session: r.session.id as string };
  };
  /** A subscription of the quiet line to a receiver path (`/ok` answers 204, others 503). */
  const subscribe = async (w: World, env: Env, path: string): Promise<string> =>
    (await must(env, 'POST', '/v1/webhooks', { token: w.admin, body: { url: `${await receiver()}${path}`, events: ['session.*'], line: w.quietLineId } })).__id;
  // The subscription whose failed deliveries are retried, one delivery per sample.
  const downHook = once((w, env) => subscribe(w, env, '/down'));
  /** A line of its own for a template recipe; the world's operators, supervisors and admin see it. */
  const templateLine = async (w: World, env: Env, purpose: string): Promise<string> =>
    (
      await must(env, 'POST', '/v1/lines', {
        token: w.admin,
        body: { __name: `Templates ${purpose} ${randomUUID().slice(0, 8)}`, _operatorGroups: ['support'], _supervisorGroups: ['leads'] },
      })
    ).__id;
  const template = async (w: World, env: Env, line: string, n: number): Promise<string> =>
    (await must(env, 'POST', `/v1/lines/${line}/templates`, { token: w.admin, body: { __name: `Greeting ${n}`, _text: 'Hello, thanks for writing!' } })).__id;
  const patchLine = once((w, env) => templateLine(w, env, 'patch'));
  const deleteLine = once((w, env) => templateLine(w, env, 'delete'));
  /** A livechat channel on a line that asks for a rating when a session closes (the world's operator serves it). */
  const csatChannel = once(async (w, env) => {
    const line = await must(env, 'POST', '/v1/lines', {
      token: w.admin,
      body: { __name: `CSAT ${randomUUID().slice(0, 8)}`, _operatorGroups: ['support'], _csat: { enabled: true } },
    });
    return (await must(env, 'POST', '/v1/channels', { token: w.admin, body: { _line: line.__id, _type: 'livechat', __name: 'Web chat (CSAT)' } }))
      .__id as string;
  });
  /** An upload through a file route, its bytes PUT to the store: the file's id. */
  const uploaded = async (env: Env, path: string, options: { token: string }): Promise<string> => {
    const u = await must(env, 'POST', path, { ...options, body: { name: 'photo.png', contentType: 'image/png', size: PNG.length } });
    const put = await fetch(u.uploadUrl, { method: 'PUT', headers: u.headers, body: PNG });
    if (put.status !== 200) throw new Error(`setup: the upload's PUT answered ${put.status} ${await put.text()}`);
    return u.__id;
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
      label: 'PATCH /v1/lines/{id}',
      routeKey: 'PATCH /v1/lines/{id}',
      kind: 'command',
      roles: ['admin'],
      // A line per sample: a line is replaced at the `__updatedAt` it was read at, so 10 in flight
      // on one line would be 409s. Its operator group is nobody's.
      setup: async (w, env) => ({
        id: (
          await must(env, 'POST', '/v1/lines', { token: w.admin, body: { __name: `To patch ${randomUUID().slice(0, 8)}`, _operatorGroups: ['bench-quiet'] } })
        ).__id,
      }),
      request: (_w, c, i) => ({
        method: 'PATCH',
        path: `/v1/lines/${c.id}`,
        body: { __name: `Patched line ${i} ${randomUUID().slice(0, 6)}`, _routing: { capacity: 4 } },
      }),
    },
    {
      label: 'GET /v1/lines/{id}/operators — one operator online',
      routeKey: 'GET /v1/lines/{id}/operators',
      kind: 'read',
      roles: ['supervisor', 'admin', 'operator'],
      request: (w) => ({ method: 'GET', path: `/v1/lines/${w.lineId}/operators` }),
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
      label: 'PATCH /v1/channels/{id} — rename',
      routeKey: 'PATCH /v1/channels/{id}',
      kind: 'command',
      roles: ['admin'],
      // A channel per sample: it is replaced at the `__updatedAt` it was read at (10 in flight on one: 409s).
      setup: async (w, env) => ({ id: await botChannel(w, env, 'to rename') }),
      request: (_w, c, i) => ({ method: 'PATCH', path: `/v1/channels/${c.id}`, body: { __name: `Renamed bot ${i}` } }),
    },
    {
      label: 'PATCH /v1/channels/{id} — set the delivery endpoint',
      routeKey: 'PATCH /v1/channels/{id}',
      kind: 'command',
      roles: ['admin'],
      // The channel and its endpoint item (URL + a new signing secret) in the one transaction.
      setup: async (w, env) => ({ id: await botChannel(w, env, 'to deliver'), url: `${await receiver()}/ok` }),
      request: (_w, c) => ({ method: 'PATCH', path: `/v1/channels/${c.id}`, body: { _deliveryUrl: c.url } }),
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
      label: 'PUT /v1/operators/{id}',
      routeKey: 'PUT /v1/operators/{id}',
      kind: 'command',
      roles: ['admin', 'supervisor'],
      // An operator per sample (10 in flight on one record would conflict), its record made by
      // setting its status; offline and in a group no line serves, so no routing sees it.
      setup: async (_w, env) => {
        const id = `cap-${randomUUID().slice(0, 8)}`;
        const token = await env.token({ sub: id, roles: ['operator'], groups: ['bench-capacity'] });
        await must(env, 'PUT', '/v1/operators/me/status', { token, body: { status: 'offline' } });
        return { id };
      },
      request: (_w, c) => ({ method: 'PUT', path: `/v1/operators/${c.id}`, body: { capacity: 3 } }),
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
    {
      label: 'POST /v1/channels/{id}/messages/{messageId}/status — delivered',
      routeKey: 'POST /v1/channels/{id}/messages/{messageId}/status',
      kind: 'command',
      roles: ['integration'],
      // An operator's text reply per sample: a reply writes the ref item a report finds its session by.
      setup: async (w, env) => {
        const s = await w.assignedSession();
        const reply = await must(env, 'POST', `/v1/sessions/${s.sessionId}/messages`, {
          token: w.operator,
          body: { type: 'text', body: 'Your order has shipped' },
        });
        return { message: reply.__id };
      },
      request: (w, c) => ({ method: 'POST', path: `/v1/channels/${w.channelId}/messages/${c.message}/status`, body: { status: 'delivered' } }),
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
    // The queue reads take the whole Waiting queue of the line: measured early, over the seed's
    // 20 Waiting sessions, with one Waiting session for every sample (a new one per sample would
    // lengthen the queue being measured as it goes).
    {
      label: 'GET /v1/sessions/{id}/queue — 20 Waiting ahead',
      routeKey: 'GET /v1/sessions/{id}/queue',
      kind: 'read',
      early: true,
      roles: ['operator', 'supervisor', 'admin'],
      setup: once(async (w) => ({ id: (await w.newSession()).sessionId })),
      request: (_w, c) => ({ method: 'GET', path: `/v1/sessions/${c.id}/queue` }),
    },
    {
      label: 'GET /v1/visitors/queue — 21 Waiting ahead',
      routeKey: 'GET /v1/visitors/queue',
      kind: 'read',
      early: true,
      roles: ['visitor'],
      setup: once(async (w, env) => ({ token: (await visitorWrote(w, env)).token })),
      request: (_w, c) => ({ method: 'GET', path: '/v1/visitors/queue', visitorToken: c.token }),
    },
    {
      label: 'POST /v1/visitors',
      routeKey: 'POST /v1/visitors',
      kind: 'other',
      roles: ['visitor'],
      // No token: this is where a visitor starts (reads the channel, signs a token, writes nothing).
      request: (w) => ({ method: 'POST', path: '/v1/visitors', body: { channel: w.livechatChannelId } }),
    },
    {
      label: 'POST /v1/visitors/messages — new visitor, new session',
      routeKey: 'POST /v1/visitors/messages',
      kind: 'create',
      roles: ['visitor'],
      setup: async (w, env) => ({ token: await visitor(w, env) }),
      request: (_w, c) => ({ method: 'POST', path: '/v1/visitors/messages', body: { body: 'Hello, I have a question' }, visitorToken: c.token }),
    },
    {
      label: 'POST /v1/visitors/messages — into the open session',
      routeKey: 'POST /v1/visitors/messages',
      kind: 'command',
      roles: ['visitor'],
      setup: async (w, env) => ({ token: (await visitorWrote(w, env)).token }),
      request: (_w, c) => ({ method: 'POST', path: '/v1/visitors/messages', body: { body: 'one more thing' }, visitorToken: c.token }),
    },
    {
      label: 'GET /v1/visitors/messages — a visitor, an operator and a reply',
      routeKey: 'GET /v1/visitors/messages',
      kind: 'read',
      roles: ['visitor'],
      setup: async (w, env) => {
        const v = await visitorWrote(w, env);
        await must(env, 'POST', `/v1/sessions/${v.session}/assign`, { token: w.operator, body: { operator: w.operatorId } });
        await must(env, 'POST', `/v1/sessions/${v.session}/messages`, { token: w.operator, body: { type: 'text', body: 'Hi, how can I help?' } });
        return { token: v.token };
      },
      request: (_w, c) => ({ method: 'GET', path: '/v1/visitors/messages', visitorToken: c.token }),
    },
    // Webhook subscriptions name the quiet line (no events there), listed before any other is made.
    {
      label: 'GET /v1/webhooks — 10 subscriptions',
      routeKey: 'GET /v1/webhooks',
      kind: 'read',
      roles: ['admin', 'supervisor'],
      setup: once(async (w, env) => {
        for (let n = 0; n < 10; n++) await subscribe(w, env, '/ok');
        return {};
      }),
      request: () => ({ method: 'GET', path: '/v1/webhooks' }),
    },
    {
      label: 'POST /v1/webhooks',
      routeKey: 'POST /v1/webhooks',
      kind: 'create',
      roles: ['admin', 'supervisor'],
      setup: async () => ({ url: `${await receiver()}/ok` }),
      request: (w, c) => ({ method: 'POST', path: '/v1/webhooks', body: { url: c.url, events: ['session.*', 'message.created'], line: w.quietLineId } }),
    },
    {
      label: 'DELETE /v1/webhooks/{id}',
      routeKey: 'DELETE /v1/webhooks/{id}',
      kind: 'command',
      roles: ['admin', 'supervisor'],
      setup: async (w, env) => ({ id: await subscribe(w, env, '/ok') }),
      request: (_w, c) => ({ method: 'DELETE', path: `/v1/webhooks/${c.id}` }),
    },
    {
      label: 'GET /v1/webhooks/{id}/deliveries — 30 delivered, a page of 20',
      routeKey: 'GET /v1/webhooks/{id}/deliveries',
      kind: 'read',
      roles: ['admin', 'supervisor'],
      // One subscription's history for every sample: 30 deliveries its receiver took at the first
      // attempt, written by the consumer's and the delivery worker's own code.
      setup: once(async (w, env) => {
        const id = await subscribe(w, env, '/ok');
        const target: DeliveryTarget = { kind: 'webhook', id };
        for (let n = 0; n < 30; n++) {
          const [outcome] = await deliverNew([{ target, event: madeUpEvent(w) }]);
          if (outcome !== 'delivered') throw new Error(`setup: a delivery to a receiver that answers 204 ended ${outcome}`);
        }
        return { id };
      }),
      request: (_w, c) => ({ method: 'GET', path: `/v1/webhooks/${c.id}/deliveries?size=20` }),
    },
    {
      label: 'POST /v1/webhooks/{id}/deliveries/{deliveryId}/retry',
      routeKey: 'POST /v1/webhooks/{id}/deliveries/{deliveryId}/retry',
      kind: 'command',
      roles: ['admin', 'supervisor'],
      // One subscription whose receiver answers 503; a failed delivery per sample (see failedDelivery).
      // Retried, it is pending and due: the sweeper of a later step (events) attempts it once more.
      setup: async (w, env) => {
        const id = await downHook(w, env);
        return { id, delivery: await failedDelivery(w, id) };
      },
      request: (_w, c) => ({ method: 'POST', path: `/v1/webhooks/${c.id}/deliveries/${c.delivery}/retry` }),
    },
    // Response templates, each recipe on a line of its own: a line holds at most 500, and creating
    // one reads the line's list.
    {
      label: 'GET /v1/lines/{id}/templates — 10 templates',
      routeKey: 'GET /v1/lines/{id}/templates',
      kind: 'read',
      roles: ['operator', 'supervisor', 'admin'],
      setup: once(async (w, env) => {
        const id = await templateLine(w, env, 'list');
        for (let n = 0; n < 10; n++) await template(w, env, id, n);
        return { id };
      }),
      request: (_w, c) => ({ method: 'GET', path: `/v1/lines/${c.id}/templates` }),
    },
    {
      label: 'POST /v1/lines/{id}/templates',
      routeKey: 'POST /v1/lines/{id}/templates',
      kind: 'create',
      roles: ['supervisor', 'admin'],
      setup: once(async (w, env) => ({ id: await templateLine(w, env, 'create') })),
      request: (_w, c, i) => ({ method: 'POST', path: `/v1/lines/${c.id}/templates`, body: { __name: `Shipping ${i}`, _text: 'We ship within two days.' } }),
    },
    {
      label: 'PATCH /v1/templates/{id}',
      routeKey: 'PATCH /v1/templates/{id}',
      kind: 'command',
      roles: ['supervisor', 'admin'],
      // A template per sample: 10 in flight on one would race on its version.
      setup: async (w, env) => ({ id: await template(w, env, await patchLine(w, env), 0) }),
      request: (_w, c, i) => ({ method: 'PATCH', path: `/v1/templates/${c.id}`, body: { _text: `We ship within ${i + 2} days.` } }),
    },
    {
      label: 'DELETE /v1/templates/{id}',
      routeKey: 'DELETE /v1/templates/{id}',
      kind: 'command',
      roles: ['supervisor', 'admin'],
      setup: async (w, env) => ({ id: await template(w, env, await deleteLine(w, env), 0) }),
      request: (_w, c) => ({ method: 'DELETE', path: `/v1/templates/${c.id}` }),
    },
    // A client's data on request (admins).
    {
      label: 'GET /v1/clients/{id}/export — one session, its messages',
      routeKey: 'GET /v1/clients/{id}/export',
      kind: 'read',
      roles: ['admin'],
      setup: once(withAssigned),
      request: (_w, c) => ({ method: 'GET', path: `/v1/clients/${c.client}/export` }),
    },
    {
      label: 'DELETE /v1/clients/{id} — a client with one session',
      routeKey: 'DELETE /v1/clients/{id}',
      // Not a single-session command: the tombstone's transaction, then the chain of sessions and
      // each one's messages a page at a time (their bodies cleared), then the record of the end.
      kind: 'other',
      roles: ['admin'],
      setup: withAssigned,
      request: (_w, c) => ({ method: 'DELETE', path: `/v1/clients/${c.client}` }),
    },
    // CSAT: a visitor rates its closed session once, so a closed session per sample.
    {
      label: 'POST /v1/visitors/rating',
      routeKey: 'POST /v1/visitors/rating',
      kind: 'command',
      roles: ['visitor'],
      setup: async (w, env) => {
        const v = await visitorWrote(w, env, await csatChannel(w, env));
        await must(env, 'POST', `/v1/sessions/${v.session}/assign`, { token: w.operator, body: { operator: w.operatorId } });
        await must(env, 'POST', `/v1/sessions/${v.session}/close`, { token: w.operator });
        return { token: v.token };
      },
      request: (_w, c) => ({ method: 'POST', path: '/v1/visitors/rating', body: { score: 5, comment: 'Quick and friendly' }, visitorToken: c.token }),
    },
    // Read receipts: a session per sample (a receipt moves its reader's watermark once).
    {
      label: "POST /v1/sessions/{id}/read — the client's message",
      routeKey: 'POST /v1/sessions/{id}/read',
      kind: 'command',
      roles: ['operator'],
      setup: async (w, env) => {
        const r = await must(env, 'POST', `/v1/channels/${w.channelId}/inbound`, {
          token: w.integration,
          body: { account: `read-${randomUUID()}`, body: 'Where is my order?' },
        });
        await must(env, 'POST', `/v1/sessions/${r.session.__id}/assign`, { token: w.operator, body: { operator: w.operatorId } });
        return { id: r.session.__id, upTo: r.message.__id };
      },
      request: (_w, c) => ({ method: 'POST', path: `/v1/sessions/${c.id}/read`, body: { upTo: c.upTo } }),
    },
    {
      label: "POST /v1/visitors/read — the operator's reply",
      routeKey: 'POST /v1/visitors/read',
      kind: 'command',
      roles: ['visitor'],
      setup: async (w, env) => {
        const v = await visitorWrote(w, env);
        await must(env, 'POST', `/v1/sessions/${v.session}/assign`, { token: w.operator, body: { operator: w.operatorId } });
        const reply = await must(env, 'POST', `/v1/sessions/${v.session}/messages`, { token: w.operator, body: { type: 'text', body: 'Hi, how can I help?' } });
        return { token: v.token, upTo: reply.__id };
      },
      request: (_w, c) => ({ method: 'POST', path: '/v1/visitors/read', body: { upTo: c.upTo }, visitorToken: c.token }),
    },
    // Files, with the local S3-compatible store: the routes sign and authorize; the bytes' PUT
    // and GET go to the store, not measured (not DynamoDB calls, not the route).
    {
      label: 'POST /v1/sessions/{id}/files',
      routeKey: 'POST /v1/sessions/{id}/files',
      kind: 'create',
      roles: ['operator'],
      setup: async (w) => {
        await fileStore();
        return withAssigned(w);
      },
      request: (_w, c) => ({ method: 'POST', path: `/v1/sessions/${c.id}/files`, body: { name: 'photo.png', contentType: 'image/png', size: PNG.length } }),
    },
    {
      label: 'GET /v1/files/{id} — a sent PNG (?redirect=false)',
      routeKey: 'GET /v1/files/{id}',
      kind: 'read',
      roles: ['operator', 'supervisor', 'admin'],
      setup: once(async (w, env) => {
        await fileStore();
        const s = await w.assignedSession();
        const file = await uploaded(env, `/v1/sessions/${s.sessionId}/files`, { token: w.operator });
        await must(env, 'POST', `/v1/sessions/${s.sessionId}/messages`, { token: w.operator, body: { type: 'file', body: 'the label', files: [file] } });
        return { id: file };
      }),
      request: (_w, c) => ({ method: 'GET', path: `/v1/files/${c.id}?redirect=false` }),
    },
    {
      label: 'POST /v1/visitors/files',
      routeKey: 'POST /v1/visitors/files',
      kind: 'create',
      roles: ['visitor'],
      setup: async (w, env) => {
        await fileStore();
        return { token: await visitor(w, env) };
      },
      request: (_w, c) => ({
        method: 'POST',
        path: '/v1/visitors/files',
        body: { name: 'photo.png', contentType: 'image/png', size: PNG.length },
        visitorToken: c.token,
      }),
    },
    {
      label: "GET /v1/visitors/files/{id} — the visitor's sent PNG (?redirect=false)",
      routeKey: 'GET /v1/visitors/files/{id}',
      kind: 'read',
      roles: ['visitor'],
      setup: once(async (w, env) => {
        await fileStore();
        const token = await visitor(w, env);
        const file = await uploaded(env, '/v1/visitors/files', { token });
        await must(env, 'POST', '/v1/visitors/messages', { token, body: { body: 'a photo of the box', files: [file] } });
        return { token, id: file };
      }),
      request: (_w, c) => ({ method: 'GET', path: `/v1/visitors/files/${c.id}?redirect=false`, visitorToken: c.token }),
    },
    // Messenger hooks, on natively connected channels whose messenger is a fake on loopback
    // (test/support/fakes): each update signed as its messenger signs it. A new client per sample
    // whose first message opened its session (setup); the sample is its next message, with a new
    // message id (a repeated one stops at the dedup guard).
    {
      label: 'POST /v1/hooks/telegram/{channelId} — a message into the open session',
      routeKey: 'POST /v1/hooks/telegram/{channelId}',
      kind: 'command',
      roles: ['none'],
      setup: async (w, env) => {
        const t = await telegramChannel(w, env);
        const from = Math.floor(1e8 + Math.random() * 9e8);
        await mustHook(env, telegramHook(t, from, 1, 'Hello from Telegram'));
        return { ...t, from: String(from) };
      },
      request: (_w, c) => telegramHook(c as TelegramCtx, Number(c.from), 2, 'one more thing'),
    },
    {
      label: "GET /v1/hooks/whatsapp/{channelId} — Meta's handshake",
      routeKey: 'GET /v1/hooks/whatsapp/{channelId}',
      kind: 'read',
      roles: ['none'],
      setup: async (w, env) => ({ id: await metaChannel(w, env, 'whatsapp') }),
      request: (_w, c, i) => handshake('whatsapp', c.id!, WHATSAPP.verifyToken, i),
    },
    {
      label: 'POST /v1/hooks/whatsapp/{channelId} — a message into the open session',
      routeKey: 'POST /v1/hooks/whatsapp/{channelId}',
      kind: 'command',
      roles: ['none'],
      setup: async (w, env) => {
        const id = await metaChannel(w, env, 'whatsapp');
        const from = `1650${Math.floor(1e6 + Math.random() * 9e6)}`;
        await mustHook(env, whatsappHook(id, from, 'Does it come in blue?'));
        return { id, from };
      },
      request: (_w, c) => whatsappHook(c.id!, c.from!, 'one more thing'),
    },
    {
      label: 'POST /v1/hooks/viber/{channelId} — a message into the open session',
      routeKey: 'POST /v1/hooks/viber/{channelId}',
      kind: 'command',
      roles: ['none'],
      setup: async (w, env) => {
        const id = await viberChannel(w, env);
        const from = `${randomBytes(9).toString('base64')}=`;
        await mustHook(env, viberHook(id, from, 'a message to the service'));
        return { id, from };
      },
      request: (_w, c) => viberHook(c.id!, c.from!, 'are you there?'),
    },
    {
      label: "GET /v1/hooks/instagram/{channelId} — Meta's handshake",
      routeKey: 'GET /v1/hooks/instagram/{channelId}',
      kind: 'read',
      roles: ['none'],
      setup: async (w, env) => ({ id: await metaChannel(w, env, 'instagram') }),
      request: (_w, c, i) => handshake('instagram', c.id!, INSTAGRAM.verifyToken, i),
    },
    {
      label: 'POST /v1/hooks/instagram/{channelId} — a message into the open session',
      routeKey: 'POST /v1/hooks/instagram/{channelId}',
      kind: 'command',
      roles: ['none'],
      setup: async (w, env) => {
        const id = await metaChannel(w, env, 'instagram');
        const from = String(Math.floor(1e15 + Math.random() * 9e15));
        await mustHook(env, instagramHook(id, from, 'Is the blue one in stock?'));
        return { id, from };
      },
      request: (_w, c) => instagramHook(c.id!, c.from!, 'one more thing'),
    },
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

// ------------------------------------------------------------------ messengers' hooks

/** A real 2×2 PNG: what the file recipes upload (a send checks the content). */
const PNG = png();

const TELEGRAM_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1';
const WHATSAPP = WHATSAPP_CREDENTIALS;
const INSTAGRAM = INSTAGRAM_CREDENTIALS;
const VIBER_TOKEN = '4453b6ac12345678-e02c5f12174805f9-daec9cbb5448c51f';

/** The messenger fakes this step started (closed when it ends). */
const fakes: { close(): Promise<void> }[] = [];

/** Connects a native channel on the bench line: its id. */
async function nativeChannel(w: World, env: Env, type: string, credentials: Record<string, string>): Promise<string> {
  return (
    await must(env, 'POST', '/v1/channels', { token: w.admin, body: { _line: w.lineId, _type: type, __name: `Bench ${type}`, _credentials: credentials } })
  ).__id;
}

type TelegramCtx = { id: string; secret: string };
/** A Telegram bot connected against the fake Bot API: the channel and the secret its webhook was registered with. */
const telegramChannel = once(async (w, env): Promise<TelegramCtx> => {
  const fake = await startFakeTelegram();
  fakes.push(fake);
  fake.tokens.add(TELEGRAM_TOKEN);
  process.env.TELEGRAM_API_URL = fake.url;
  const id = await nativeChannel(w, env, 'telegramBot', { botToken: TELEGRAM_TOKEN });
  const secret = fake.webhooks.get(TELEGRAM_TOKEN)?.secret_token;
  if (!secret) throw new Error('setup: the Telegram channel registered no webhook secret');
  return { id, secret };
});

/** WhatsApp and Instagram: one Graph API fake, one channel each (Meta registers no webhook by API). */
const metaFake = once(async () => {
  const fake = await startMetaFake({ accessToken: WHATSAPP.accessToken, phoneNumberIds: [WHATSAPP.phoneNumberId], accountIds: [INSTAGRAM.accountId] });
  fakes.push(fake);
  process.env.WHATSAPP_API_URL = fake.apiUrl;
  process.env.INSTAGRAM_API_URL = fake.apiUrl;
  return fake;
});
const whatsappChannel = once(async (w, env) => {
  await metaFake(w, env);
  return nativeChannel(w, env, 'whatsapp', WHATSAPP);
});
const instagramChannel = once(async (w, env) => {
  await metaFake(w, env);
  return nativeChannel(w, env, 'instagram', INSTAGRAM);
});
const metaChannel = (w: World, env: Env, type: 'whatsapp' | 'instagram') => (type === 'whatsapp' ? whatsappChannel(w, env) : instagramChannel(w, env));

/** A Viber bot: connecting calls `set_webhook`, whose check calls the hook on this host. */
const viberChannel = once(async (w, env) => {
  const fake = await startViberFake({ authToken: VIBER_TOKEN });
  fakes.push(fake);
  process.env.VIBER_API_URL = fake.apiUrl;
  return nativeChannel(w, env, 'viberbot', { authToken: VIBER_TOKEN });
});

/** A hook request made in setup, which has to succeed. */
async function mustHook(env: Env, req: Request): Promise<void> {
  const r = await env.call(req.method, req.path, { ...(req.raw !== undefined ? { raw: req.raw } : {}), ...(req.headers ? { headers: req.headers } : {}) });
  expectOk(`setup ${req.method} ${req.path}`, r);
}

let telegramUpdates = Math.floor(Date.now() / 1000);
/** A text message update, with the secret token Telegram sends with each (a new update id each time). */
function telegramHook(t: TelegramCtx, from: number, messageId: number, text: string): Request {
  const raw = JSON.stringify(textUpdate(++telegramUpdates, messageId, { id: from, first_name: 'Ann', last_name: 'Lee' }, text));
  return { method: 'POST', path: `/v1/hooks/telegram/${t.id}`, raw, headers: { 'x-telegram-bot-api-secret-token': t.secret } };
}

/** Meta's signature: HMAC-SHA256 of the raw body with the app secret. */
function metaHook(messenger: 'whatsapp' | 'instagram', channel: string, payload: unknown, appSecret: string): Request {
  const raw = JSON.stringify(payload);
  return { method: 'POST', path: `/v1/hooks/${messenger}/${channel}`, raw, headers: { 'x-hub-signature-256': metaSignature(raw, appSecret) } };
}
const whatsappHook = (channel: string, from: string, text: string) =>
  metaHook('whatsapp', channel, whatsappNotification(WHATSAPP.phoneNumberId, whatsappText(from, 'Sheena Nelson', text)), WHATSAPP.appSecret);
const instagramHook = (channel: string, from: string, text: string) =>
  metaHook('instagram', channel, instagramNotification(INSTAGRAM.accountId, [instagramText(INSTAGRAM.accountId, from, text)]), INSTAGRAM.appSecret);

/** Viber's signature: HMAC-SHA256 of the raw body with the bot's auth token. */
function viberHook(channel: string, from: string, text: string): Request {
  const raw = rawJson(viberText(from, 'John McClane', text));
  return { method: 'POST', path: `/v1/hooks/viber/${channel}`, raw, headers: { 'x-viber-content-signature': viberSignature(raw, VIBER_TOKEN) } };
}

/** Meta's webhook verification: the challenge comes back when the verify token is the channel's. */
const handshake = (messenger: string, channel: string, verifyToken: string, i: number): Request => ({
  method: 'GET',
  path: `/v1/hooks/${messenger}/${channel}?hub.mode=subscribe&hub.verify_token=${encodeURIComponent(verifyToken)}&hub.challenge=${1_158_201_444 + i}`,
});

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

/**
 * Commands whose floor is above 2 round trips, each with why: what they decide on is named only
 * by an item read first. Listed in the report with the reason, never silently passed. `calls`
 * bounds every sample's DynamoDB calls; `roundTrips`, where given, its round trips (calls in
 * flight together count once).
 */
export const COMMAND_FLOORS: Record<string, { calls: number; roundTrips?: number; why: string }> = {
  'DELETE /v1/sessions/{id}/spam': {
    calls: 4,
    why: "3 round trips, 4 calls: the chain rule needs the client's newest session (a gsi3 Query) and capacity the record of the operator to restore, both named only by the session; read in parallel after it, then the transaction. A rare correction; making it 2 would add a write to every session's creation (a newest-session pointer on the client)",
  },
  ...Object.fromEntries(
    ['telegram', 'whatsapp', 'viber', 'instagram'].map((messenger) => [
      `POST /v1/hooks/${messenger}/{channelId}`,
      {
        calls: 4,
        roundTrips: 3,
        why: "3 round trips, 4 calls: the messenger's proof is checked with the channel's sealed credentials (one read) before anything in the update is read; then the message's own read of the client and its open session, named by the verified update's account (the dedup guard of the messenger's message id read alongside), then the transaction",
      },
    ]),
  ),
  'POST /v1/visitors/rating': {
    calls: 4,
    roundTrips: 4,
    why: "4 round trips: a visitor token names a channel and an account, not a session: the account's client (its guard), the client's newest session (a gsi3 Query, keys only), the session, then the transaction",
  },
  'POST /v1/visitors/read': {
    calls: 6,
    roundTrips: 5,
    why: "5 round trips, 6 calls: the visitor's newest session found as for a rating (the account's guard, then gsi3), then the session and the `upTo` message in parallel, the unread staff replies between the visitor's watermark (on the session) and `upTo` (a Query), then the transaction",
  },
  'POST /v1/sessions/{id}/read': {
    calls: 5,
    roundTrips: 3,
    why: "3 round trips, 5 calls: the session, the `upTo` message and the operator's presence (all named by the request: in parallel), the unread client messages between the operator's watermark (on the session) and `upTo` (a Query), then the transaction",
  },
};

/** Round trips of one request: calls that start while an earlier one is still in flight ride in its round trip. */
export function roundTrips(calls: readonly CallRecord[]): number {
  let trips = 0;
  let end = -Infinity;
  for (const c of [...calls].sort((a, b) => (a.start ?? 0) - (b.start ?? 0))) {
    const start = c.start ?? end;
    const stop = start + (c.ms ?? 0);
    if (start >= end) {
      trips++;
      end = stop;
    } else end = Math.max(end, stop);
  }
  return trips;
}

/**
 * A read the instance caches make when their entry has expired (the line, 60 s: its single-key
 * GetItem in lib/adapters/dynamodb/lines.ts): a command that meets one pays a round trip more,
 * once a minute per line and instance. Counted apart as long as at most one sample in
 * `CACHE_REFRESH_SHARE` makes one; more often means the cache is not used, and the rows fail.
 */
const isCacheRefresh = (c: CallRecord) => c.op === 'GetItem' && c.index === 'LINE';
const CACHE_REFRESH_SHARE = 20;

/** A command's samples without their cache refreshes, and how many samples made one. */
export function withoutRefreshes(calls: CallRecord[][]): { samples: CallRecord[][]; refreshed: number; apart: boolean } {
  const refreshed = calls.filter((c) => c.some(isCacheRefresh)).length;
  // A command that reads the line on (nearly) every request reads it on purpose (or misses its cache): every read counts.
  if (refreshed === 0 || refreshed * CACHE_REFRESH_SHARE > calls.length) return { samples: calls, refreshed, apart: false };
  return { samples: calls.map((c) => c.filter((x) => !isCacheRefresh(x))), refreshed, apart: true };
}

/** The budget of a row, checked on every sample (not just the typical one). */
function budgetOf(row: OpRow, calls: CallRecord[][]): { budget?: string; pass?: boolean; cacheRefreshes?: number } {
  if (row.kind === 'command') {
    // A command's floor: read what it decides on, then one conditional transaction.
    const floor = COMMAND_FLOORS[row.routeKey];
    const { samples, refreshed, apart: countedApart } = withoutRefreshes(calls);
    const apart = countedApart ? { cacheRefreshes: refreshed } : {};
    if (floor) {
      const within = (c: CallRecord[]) => c.length <= floor.calls && (floor.roundTrips === undefined || roundTrips(c) <= floor.roundTrips);
      const bound = floor.roundTrips === undefined ? `${floor.calls} calls` : `${floor.roundTrips} round trips and ${floor.calls} calls`;
      return { budget: `≤ ${bound} (stated floor: ${floor.why})`, pass: samples.every(within), ...apart };
    }
    return { budget: '≤ 2 round trips (a read, then one transaction)', pass: samples.every((c) => c.length <= 2), ...apart };
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

/** The token a request is sent with as `role` (a visitor's is the request's own; none to start). */
function tokenFor(w: World, role: Role, req: Request): string | undefined {
  if (role === 'none') return undefined;
  return role === 'visitor' ? req.visitorToken : w.tokens[role];
}

/** Measures every recipe whose route exists; the rest are listed as not available yet. */
export async function benchOps(env: Env, w: World, quick: boolean, kinds?: ReadonlySet<string>): Promise<OpsResult> {
  const samples = quick ? 30 : 120;
  const values = { line: w.lineId, operator: w.operatorId, channel: w.channelId, lineName: '' };
  const lineName = await env.call('GET', `/v1/lines/${w.lineId}`, { token: w.admin });
  values.lineName = lineName.body?.__name ?? '';
  const rows: OpRow[] = [];
  const covered = new Set<string>();
  for (const r of recipes().filter((x) => kinds && !kinds.has(x.kind))) covered.add(r.routeKey);
  // Searches and the queue reads first, over a small known population (20 waiting, 10 assigned
  // sessions): the other recipes leave thousands of sessions and clients behind, and unbounded
  // partitions (clients of a channel, a line's queue) would then dominate the run. Growth is
  // measured in step 3.
  const first = (r: Recipe) => r.kind === 'search' || r.early === true;
  // `--kinds=command`: only those recipes; the other routes count as covered (not measured this run).
  const all = recipes()
    .filter((r) => !kinds || kinds.has(r.kind))
    .sort((a, b) => Number(first(b)) - Number(first(a)));
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
  for (const fake of fakes.splice(0)) await fake.close();
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
  const fetchToken = w.tokens[(rows.find((r) => r.routeKey === 'GET /v1/sessions/{id}')?.role as StaffRole | undefined) ?? 'operator'];
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
  const build = (ctx: Record<string, string>, i: number): Request => {
    const req = recipe.request(w, ctx, i);
    return { ...req, ...(req.body !== undefined ? { body: fill(req.body, values) } : {}) };
  };
  const send = (req: Request, as: Role) =>
    env.call(req.method, req.path, {
      token: tokenFor(w, as, req),
      ...(req.body !== undefined ? { body: req.body } : {}),
      ...(req.raw !== undefined ? { raw: req.raw } : {}),
      ...(req.headers ? { headers: req.headers } : {}),
    });
  const contexts = async (n: number) => {
    const out: Record<string, string>[] = [];
    for (let i = 0; i < n; i++) out.push(recipe.setup ? await recipe.setup(w, env) : {});
    return out;
  };
  // The samples' state first (a setup may take longer than the line cache's minute), then the
  // warm-up right before them: it finds a role the route accepts, loads the function and fills
  // the line cache, so the samples measure a request with the instance warm, as the budgets mean.
  const seqCtx = await contexts(samples);
  let found: Role | undefined;
  let lastFailure = '';
  for (const role of recipe.roles) {
    const ctx = recipe.setup ? await recipe.setup(w, env) : {};
    const r = await send(build(ctx, 0), role);
    if (r.status >= 200 && r.status < 300) {
      found = role;
      row.role = role;
      break;
    }
    lastFailure = `${role}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`;
  }
  if (!found) throw new Error(`no role got a 2xx on the warm-up (${lastFailure})`);
  const role = found;

  let errors = 0;
  // Sequential: latency and the DynamoDB calls of each request on its own.
  const seq: number[] = [];
  const calls: number[] = [];
  const rcu: number[] = [];
  const wcu: number[] = [];
  const logs: CallRecord[][] = [];
  const dynamoMs: number[] = [];
  for (let i = 0; i < samples; i++) {
    const req = build(seqCtx[i]!, i + 1);
    resetCalls();
    const r = await send(req, role);
    if (r.status < 200 || r.status > 299) errors++;
    seq.push(r.ms);
    calls.push(usage.calls);
    // Capacity by operation from the call log: `usage` books a TOTAL-only answer (all a
    // TransactWriteItems returns) as read capacity.
    rcu.push(callLog.reduce((t, c) => t + c.rcu, 0));
    wcu.push(callLog.reduce((t, c) => t + c.wcu, 0));
    logs.push([...callLog]);
    dynamoMs.push(callLog.reduce((t, c) => t + (c.ms ?? 0), 0));
  }
  // 10 in flight: latency only (the counters would mix requests).
  const concCtx = await contexts(samples);
  const conc = await mapPool(concCtx, 10, async (ctx, i) => {
    const r = await send(build(ctx, samples + i + 1), role);
    if (r.status < 200 || r.status > 299) errors++;
    return r.ms;
  });
  const sum = (a: number[]) => a.reduce((s, x) => s + x, 0);
  row.samples = samples;
  row.seq = { p50: round(quantile(seq, 0.5), 2), p99: round(quantile(seq, 0.99), 2) };
  row.conc = { p50: round(quantile(conc, 0.5), 2), p99: round(quantile(conc, 0.99), 2) };
  const dynamoP99 = quantile(dynamoMs, 0.99);
  row.dynamo = { p50: round(quantile(dynamoMs, 0.5), 2), p99: round(dynamoP99, 2), ratio: dynamoP99 > 0 ? round(row.seq.p99 / dynamoP99, 2) : NaN };
  row.calls = quantile(calls, 0.5);
  row.roundTrips = quantile(logs.map(roundTrips), 0.5);
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
