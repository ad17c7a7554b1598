/**
 * One whole conversation through the HTTP API and the live socket, written once and run against
 * both shapes: the local host (test/verify/scenario.test.ts) and the AWS shape (`npm run
 * verify:aws`: the real bundles behind the template's routes). Every route of the manifest is
 * called at least once; each step names the statuses it accepts, so both shapes must answer
 * alike. The scenario knows nothing of the host: a base URL, a token maker, a live URL and a
 * way to let the stream catch up are all it is given.
 */
import { decodeJwt } from 'jose';
import WebSocket from 'ws';

export interface ScenarioClaims {
  sub: string;
  roles?: string[];
  groups?: string[];
  channels?: string[];
}

export interface ScenarioHost {
  baseUrl: string;
  /** A user token; `lifetimeSeconds` makes it expire that soon (the live expiry steps). */
  token(claims: ScenarioClaims, lifetimeSeconds?: number): Promise<string>;
  /** The live WebSocket URL for a token (`…/v1/live?token=` locally, the WebSocket API's stage in AWS). */
  liveUrl(token: string): string;
  /** Waits until the stream's consumers have handled every write made so far. */
  settle(): Promise<void>;
  /** Runs the scheduled functions once (metrics aggregation, delivery retries, timers). */
  runSchedules(): Promise<void>;
  /** A webhook URL this host accepts and whose deliveries arrive. */
  webhookUrl: string;
  /** A fake Telegram Bot API the host's functions reach (test/support/fakes/telegram.ts). */
  telegram: ScenarioTelegram;
}

/** What the scenario needs of the fake Telegram: a bot token it accepts, and the webhook a token registered. */
export interface ScenarioTelegram {
  tokens: Set<string>;
  webhooks: Map<string, { url: string; secret_token?: string }>;
}

const TELEGRAM_SECRET_HEADER = 'x-telegram-bot-api-secret-token';

export interface StepResult {
  step: string;
  method: string;
  path: string;
  status: number;
  expected: number[];
  ok: boolean;
  detail?: string;
}

export interface ScenarioResult {
  steps: StepResult[];
  /** Frames the operator's live socket received. */
  liveFrames: unknown[];
  /** The sockets whose token expired: how each was closed and what it received. */
  expired: ExpiredSocket[];
  failed: StepResult[];
}

export interface ExpiredSocket {
  /** `event`: met by the fan-out of an event on its line; `ping`: sent a ping (`$default`). */
  met: 'event' | 'ping';
  /** The close code from the server, or undefined when it stayed open. */
  closeCode: number | undefined;
  frames: unknown[];
}

/** How long the expiring sockets' token lives: long enough to connect, short for the run. */
const SHORT_TOKEN_SECONDS = 4;

interface Reply {
  status: number;
  body: unknown;
}

/** A field of a JSON answer, `''` when absent: `at(reply.body, 'session', 'id')`. */
const at = (value: unknown, ...path: string[]): string => {
  const found = path.reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), value);
  return found === undefined || found === null ? '' : String(found);
};

/** Runs the conversation; never throws for an unexpected answer (it is recorded as failed). */
export async function runScenario(host: ScenarioHost): Promise<ScenarioResult> {
  const steps: StepResult[] = [];
  const call = async (step: string, method: string, path: string, expected: number[], options: { token?: string; body?: unknown } = {}): Promise<Reply> => {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${host.baseUrl}${path}`, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    const ok = expected.includes(res.status);
    steps.push({ step, method, path, status: res.status, expected, ok, ...(ok ? {} : { detail: text.slice(0, 300) }) });
    return { status: res.status, body };
  };

  /** A step outside the JSON API: the PUT to a pre-signed URL, a download without following its redirect. */
  const raw = async (step: string, method: string, url: string, expected: number[], init: RequestInit = {}): Promise<Response | undefined> => {
    const path = url.startsWith(host.baseUrl) ? url.slice(host.baseUrl.length) : new URL(url).pathname;
    try {
      const res = await fetch(url, { method, redirect: 'manual', ...init });
      const text = await res.text();
      const ok = expected.includes(res.status);
      steps.push({ step, method, path, status: res.status, expected, ok, ...(ok ? {} : { detail: text.slice(0, 300) }) });
      return Object.assign(res, { text: async () => text });
    } catch (error) {
      steps.push({ step, method, path, status: 0, expected, ok: false, detail: String((error as Error).message) });
      return undefined;
    }
  };
  /** Asks for an upload, PUTs the bytes to the pre-signed URL with its headers; answers the file id. */
  const upload = async (who: string, path: string, token: string, text: string): Promise<string> => {
    const bytes = Buffer.from(text, 'utf8');
    const asked = await call(`${who} upload request`, 'POST', path, [201], {
      token,
      body: { name: `${who}-note.txt`, contentType: 'text/plain', size: bytes.length },
    });
    const headers = (asked.body as { headers?: Record<string, string> } | undefined)?.headers ?? {};
    const uploadUrl = at(asked.body, 'uploadUrl');
    if (uploadUrl) await raw(`${who} upload`, 'PUT', uploadUrl, [200], { headers, body: bytes });
    return at(asked.body, '__id');
  };
  /** A download: 302 to a pre-signed GET, which must answer the uploaded bytes. */
  const download = async (who: string, path: string, token: string, text: string): Promise<void> => {
    const res = await raw(`${who} download`, 'GET', `${host.baseUrl}${path}`, [302], { headers: { authorization: `Bearer ${token}` } });
    const location = res?.headers.get('location');
    if (!location) return;
    const got = await raw(`${who} downloaded bytes`, 'GET', location, [200]);
    const body = got ? await got.text() : '';
    const last = steps.at(-1)!;
    if (got && body !== text) Object.assign(last, { ok: false, detail: `the download answered ${JSON.stringify(body.slice(0, 80))}` });
  };

  const admin = await host.token({ sub: 'admin-1', roles: ['admin'] });
  const operator = await host.token({ sub: 'op-1', roles: ['operator'], groups: ['support'] });

  await call('health', 'GET', '/v1/health', [200]);
  await call('openapi', 'GET', '/v1/openapi.json', [200]);
  await call('no token', 'GET', '/v1/webhooks', [401]);
  await call('bad token', 'GET', '/v1/webhooks', [401], { token: 'not-a-jwt' });

  const line = await call('create line', 'POST', '/v1/lines', [201], {
    token: admin,
    body: { __name: 'Support', _operatorGroups: ['support'], _accountApp: 'contacts' },
  });
  const lineId = at(line.body, '__id');
  await call('get line', 'GET', `/v1/lines/${lineId}`, [200], { token: admin });
  await call('update line', 'PATCH', `/v1/lines/${lineId}`, [200], { token: admin, body: { __name: 'Support desk' } });

  const site = await call('create livechat channel', 'POST', '/v1/channels', [201], {
    token: admin,
    body: { _line: lineId, _type: 'livechat', __name: 'Site' },
  });
  const siteId = at(site.body, '__id');
  const custom = await call('create custom channel', 'POST', '/v1/channels', [201], { token: admin, body: { _line: lineId, _type: 'custom', __name: 'Shop' } });
  const customId = at(custom.body, '__id');
  await call('update channel', 'PATCH', `/v1/channels/${customId}`, [200], { token: admin, body: { __name: 'Shop app' } });
  const integration = await host.token({ sub: 'integration-1', roles: ['integration'], channels: [customId] });

  // A native messenger: a Telegram bot channel (its token sealed with the credentials key, its
  // webhook registered at the fake Telegram), then an update Telegram signs with the secret.
  const botToken = '123456789:AAH-verify-scenario-bot-token';
  host.telegram.tokens.add(botToken);
  const bot = await call('create telegram channel', 'POST', '/v1/channels', [201], {
    token: admin,
    body: { _line: lineId, _type: 'telegramBot', __name: 'Bot', _credentials: { botToken } },
  });
  const botId = at(bot.body, '__id');
  const registered = host.telegram.webhooks.get(botToken);
  const hookPath = `/v1/hooks/telegram/${botId}`;
  const registeredOk = Boolean(registered?.url.endsWith(hookPath) && registered.secret_token);
  steps.push({
    step: 'telegram webhook registered',
    method: 'setWebhook',
    path: hookPath,
    status: registeredOk ? 200 : 0,
    expected: [200],
    ok: registeredOk,
    ...(registeredOk ? {} : { detail: `the fake Telegram holds ${JSON.stringify(registered ?? null)}` }),
  });
  const update = (id: number, text: string) =>
    JSON.stringify({
      update_id: id,
      message: {
        message_id: id,
        date: Math.floor(Date.now() / 1000),
        chat: { id: 555001, type: 'private', first_name: 'Ann' },
        from: { id: 555001, is_bot: false, first_name: 'Ann' },
        text,
      },
    });
  await raw('telegram update, forged secret', 'POST', `${host.baseUrl}${hookPath}`, [401], {
    headers: { 'content-type': 'application/json', [TELEGRAM_SECRET_HEADER]: 'not-the-secret' },
    body: update(1, 'forged'),
  });
  await raw('telegram update', 'POST', `${host.baseUrl}${hookPath}`, [200], {
    headers: { 'content-type': 'application/json', [TELEGRAM_SECRET_HEADER]: registered?.secret_token ?? '' },
    body: update(2, 'Hello from Telegram'),
  });

  const webhook = await call('create webhook', 'POST', '/v1/webhooks', [201], {
    token: admin,
    body: { url: host.webhookUrl, events: ['session.*', 'message.created'] },
  });
  const webhookId = at(webhook.body, '__id') || at(webhook.body, 'id');
  await call('list webhooks', 'GET', '/v1/webhooks', [200], { token: admin });

  await call('operator online', 'PUT', '/v1/operators/me/status', [200], { token: operator, body: { status: 'online' } });
  await call('operator capacity', 'PUT', '/v1/operators/op-1', [200], { token: admin, body: { capacity: 5 } });
  await call('line operators', 'GET', `/v1/lines/${lineId}/operators`, [200], { token: admin });

  // The operator's live socket: connected before the conversation, so its events arrive.
  const liveFrames: unknown[] = [];
  const refused = await openSocket(host.liveUrl('not-a-jwt'), []);
  if (refused) {
    steps.push({ step: 'live refused', method: 'GET', path: 'live', status: 101, expected: [401], ok: false, detail: 'a socket opened with a bad token' });
    await closeSocket(refused);
  }
  const socket = await openSocket(host.liveUrl(operator), liveFrames);
  socket?.send(JSON.stringify({ action: 'ping' }));

  // A web-chat visitor writes first: a Waiting session in the queue.
  const visitor = await call('create visitor', 'POST', '/v1/visitors', [201], { body: { channel: siteId } });
  const visitorToken = at(visitor.body, 'token');
  const first = await call('visitor message', 'POST', '/v1/visitors/messages', [201], { token: visitorToken, body: { body: 'Hello, anyone there?' } });
  const visitorSession = at(first.body, 'session', 'id');
  await call('visitor messages', 'GET', '/v1/visitors/messages', [200], { token: visitorToken });
  await call('visitor queue', 'GET', '/v1/visitors/queue', [200], { token: visitorToken });
  // Its read receipt (up to its own message: nothing to mark, the watermark moves).
  await call('visitor read', 'POST', '/v1/visitors/read', [200], { token: visitorToken, body: { upTo: at(first.body, 'message', 'id') } });
  // The visitor's live socket (a visitor token: the authorizer verifies it with the visitor
  // secret), and a typing frame for its own session.
  const visitorFrames: unknown[] = [];
  const visitorSocket = await openSocket(host.liveUrl(visitorToken), visitorFrames);
  if (!visitorSocket)
    steps.push({ step: 'visitor live socket', method: 'GET', path: 'live', status: 0, expected: [101], ok: false, detail: 'a visitor token opened no socket' });
  visitorSocket?.send(JSON.stringify({ type: 'typing', session: visitorSession }));
  visitorSocket?.send(JSON.stringify({ action: 'ping' }));
  await call('session queue', 'GET', `/v1/sessions/${visitorSession}/queue`, [200], { token: admin });
  // The visitor sends a file (the widget's upload) and downloads it back.
  const visitorText = 'A photo of the receipt, as text.';
  const visitorFile = await upload('visitor', '/v1/visitors/files', visitorToken, visitorText);
  await call('visitor file message', 'POST', '/v1/visitors/messages', [200], { token: visitorToken, body: { body: 'Receipt attached', files: [visitorFile] } });
  await download('visitor', `/v1/visitors/files/${visitorFile}`, visitorToken, visitorText);

  // A messenger's client writes through the integration.
  const inbound = await call('inbound message', 'POST', `/v1/channels/${customId}/inbound`, [201], {
    token: integration,
    body: { account: 'client-1', body: 'My order is late', externalId: 'ext-1' },
  });
  const sessionId = at(inbound.body, 'session', '__id') || at(inbound.body, 'session', 'id');
  const clientId = at(inbound.body, 'client', '__id') || at(inbound.body, 'client', 'id');
  await call('update client', 'PATCH', `/v1/clients/${clientId}`, [200], { token: admin, body: { _applicationItem: { code: 'contacts', id: 'contact-1' } } });

  await call('assign', 'POST', `/v1/sessions/${sessionId}/assign`, [200], { token: admin, body: { operator: 'op-1', comment: 'Order 1234, late twice' } });
  const reply = await call('reply', 'POST', `/v1/sessions/${sessionId}/messages`, [201], { token: operator, body: { type: 'text', body: 'Hi! Let me look.' } });
  const replyId = at(reply.body, '__id') || at(reply.body, 'id');
  await call('session read', 'POST', `/v1/sessions/${sessionId}/read`, [200], { token: operator, body: { upTo: replyId } });
  // The operator sends a file: upload, send it as a file message, download it.
  const operatorText = 'Order 1234: shipped on Monday.';
  const operatorFile = await upload('operator', `/v1/sessions/${sessionId}/files`, operator, operatorText);
  await call('file reply', 'POST', `/v1/sessions/${sessionId}/messages`, [201], { token: operator, body: { type: 'file', files: [operatorFile] } });
  await download('operator', `/v1/files/${operatorFile}`, operator, operatorText);
  await call('messages', 'GET', `/v1/sessions/${sessionId}/messages?from=0&size=10`, [200], { token: operator });
  await call('last message', 'GET', `/v1/sessions/${sessionId}/messages/last`, [200], { token: operator });
  await call('get session', 'GET', `/v1/sessions/${sessionId}`, [200], { token: operator });
  await call('save session', 'PATCH', `/v1/sessions/${sessionId}`, [200], { token: operator, body: { __name: 'Late order' } });
  await call('priority', 'PUT', `/v1/sessions/${sessionId}/priority`, [200], { token: admin, body: { priority: 'High' } });
  await call('status report', 'POST', `/v1/channels/${customId}/messages/${replyId}/status`, [200], { token: integration, body: { status: 'delivered' } });
  await call('mark spam', 'PUT', `/v1/sessions/${visitorSession}/spam`, [200], { token: admin });
  await call('unmark spam', 'DELETE', `/v1/sessions/${visitorSession}/spam`, [200], { token: admin });
  // Satisfaction: the close asks, the visitor rates (the rating function's grant in AWS shape).
  await call('line csat on', 'PATCH', `/v1/lines/${lineId}`, [200], { token: admin, body: { _csat: { enabled: true } } });
  await call('assign visitor session', 'POST', `/v1/sessions/${visitorSession}/assign`, [200], { token: admin, body: { operator: 'op-1' } });
  await call('close visitor session', 'POST', `/v1/sessions/${visitorSession}/close`, [200], { token: operator });
  await call('visitor rating', 'POST', '/v1/visitors/rating', [201], { token: visitorToken, body: { score: 5, comment: 'thanks' } });
  await call('operator session', 'POST', '/v1/sessions', [201], { token: operator, body: { channel: customId, account: 'client-2' } });
  // Response templates: written by an admin, read by the operator, sent filled by the server.
  const template = await call('create template', 'POST', `/v1/lines/${lineId}/templates`, [201], {
    token: admin,
    body: { __name: 'Greeting', _shortcut: 'hi', _text: 'Hello {{client.name}}' },
  });
  const templateId = at(template.body, '__id');
  await call('templates', 'GET', `/v1/lines/${lineId}/templates`, [200], { token: operator });
  await call('update template', 'PATCH', `/v1/templates/${templateId}`, [200], {
    token: admin,
    body: { _text: 'Hello {{client.name}}, {{operator.name}} here' },
  });
  await call('template reply', 'POST', `/v1/sessions/${sessionId}/messages`, [201], { token: operator, body: { template: templateId } });
  await call('delete template', 'DELETE', `/v1/templates/${templateId}`, [200], { token: admin });
  // A client's data on request: exported, then erased.
  const doomed = await call('inbound to erase', 'POST', `/v1/channels/${customId}/inbound`, [201], {
    token: integration,
    body: { account: 'client-3', body: 'Please forget me' },
  });
  const doomedId = at(doomed.body, 'client', '__id') || at(doomed.body, 'client', 'id');
  await call('export client', 'GET', `/v1/clients/${doomedId}/export`, [200], { token: admin });
  await call('erase client', 'DELETE', `/v1/clients/${doomedId}`, [200], { token: admin });
  for (const collection of ['lines', 'channels', 'clients', 'sessions']) {
    await call(`search ${collection}`, 'POST', `/v1/${collection}/search`, [200], { token: admin, body: { where: { eq: ['__deletedAt', null] }, size: 10 } });
  }
  await call('close', 'POST', `/v1/sessions/${sessionId}/close`, [200], { token: operator });

  // The stream's consumers: events, deliveries, live push.
  await host.settle();
  await host.runSchedules();
  await host.settle();
  const deliveries = await call('deliveries', 'GET', `/v1/webhooks/${webhookId}/deliveries`, [200], { token: admin });
  const firstDelivery = (at(deliveries.body, 'items') && (deliveries.body as { items: unknown[] }).items[0]) || {};
  const deliveryId = at(firstDelivery, 'id') || at(firstDelivery, '__id') || 'none';
  // Only a failed delivery can be retried: a delivered one answers 409.
  await call('retry delivery', 'POST', `/v1/webhooks/${webhookId}/deliveries/${deliveryId}/retry`, [202, 409], { token: admin });
  await call('metrics', 'GET', `/v1/metrics?line=${lineId}&granularity=day`, [200], { token: admin });

  // Sockets whose token expires: once it has, the server closes them and they get nothing more.
  // The local host closes them at expiry; in AWS the fan-out meets one when an event comes on its
  // line, and `$default` the other when it sends a frame: each closes it with DeleteConnection.
  // The stream is settled, so nothing reaches them before the steps below.
  const shortToken = await host.token({ sub: 'op-1', roles: ['operator'], groups: ['support'] }, SHORT_TOKEN_SECONDS);
  const expiresAt = Number(decodeJwt(shortToken).exp) * 1000;
  const toEvent = await watchedSocket(host.liveUrl(shortToken));
  const toPing = await watchedSocket(host.liveUrl(shortToken));
  if (!toEvent || !toPing)
    steps.push({
      step: 'live short token',
      method: 'GET',
      path: 'live',
      status: 0,
      expected: [101],
      ok: false,
      detail: 'a socket with a short-lived token did not open',
    });
  // Past the expiry (bounded: the token's lifetime and a margin).
  await waitFor(() => Date.now() > expiresAt + 250, (SHORT_TOKEN_SECONDS + 5) * 1000);
  // A ping first, closed by `$default` before any event can meet it.
  if (toPing?.ws.readyState === WebSocket.OPEN) toPing.ws.send(JSON.stringify({ action: 'ping' }));
  await toPing?.closed(10_000);
  await host.settle();
  // An event on its line (channel.disconnected): the fan-out meets the expired connection.
  await call('disconnect channel', 'POST', `/v1/channels/${siteId}/disconnect`, [200], { token: admin });
  await host.settle();
  const expired: ExpiredSocket[] = [];
  for (const [met, watched] of [
    ['event', toEvent],
    ['ping', toPing],
  ] as const) {
    if (!watched) continue;
    const closeCode = await watched.closed(10_000);
    expired.push({ met, closeCode, frames: watched.frames });
    const types = watched.frames.map((f) => String((f as { type?: string }).type));
    const wrong = types.filter((t) => t.includes('.') || t === 'pong');
    if (closeCode === undefined || wrong.length > 0)
      steps.push({
        step: `live expired token (${met})`,
        method: 'WS',
        path: 'live',
        status: closeCode ?? 0,
        expected: [1000, 1008],
        ok: false,
        detail: closeCode === undefined ? 'the socket stayed open after its token expired' : `it received ${wrong.join(', ')} after its token expired`,
      });
    else steps.push({ step: `live expired token (${met})`, method: 'WS', path: 'live', status: closeCode, expected: [closeCode], ok: true });
    if (closeCode === undefined) watched.ws.terminate();
  }
  await call('reconnect channel', 'POST', `/v1/channels/${siteId}/reconnect`, [200], { token: admin });
  await call('delete webhook', 'DELETE', `/v1/webhooks/${webhookId}`, [200], { token: admin });

  if (visitorSocket) {
    await waitFor(() => visitorFrames.some((f) => (f as { type?: string }).type === 'pong'), 10_000);
    await closeSocket(visitorSocket);
    const types = visitorFrames.map((f) => String((f as { type?: string }).type));
    const foreign = visitorFrames.filter((f) => String((f as { type?: string }).type).includes('.') && (f as { session?: string }).session !== visitorSession);
    if (!types.includes('pong') || types.includes('error') || foreign.length > 0)
      steps.push({
        step: 'visitor live frames',
        method: 'WS',
        path: 'live',
        status: 0,
        expected: [101],
        ok: false,
        detail: `frames ${types.join(', ')}${foreign.length ? `; ${foreign.length} of another session` : ''}`,
      });
  }
  if (socket) await closeSocket(socket);
  if (!socket) steps.push({ step: 'live socket', method: 'GET', path: 'live', status: 0, expected: [101], ok: false, detail: 'the live socket did not open' });
  else {
    const types = liveFrames.map((f) => String((f as { type?: string }).type));
    if (!types.includes('pong'))
      steps.push({ step: 'live pong', method: 'WS', path: 'live', status: 0, expected: [101], ok: false, detail: `no pong among ${types.join(', ')}` });
    // Events reach the socket through the stream (the local hub, or the fan-out's PostToConnection in AWS).
    if (!types.some((t) => t.includes('.')))
      steps.push({ step: 'live events', method: 'WS', path: 'live', status: 0, expected: [101], ok: false, detail: `no event among ${types.join(', ')}` });
  }
  return { steps, liveFrames, expired, failed: steps.filter((s) => !s.ok) };
}

/** Keeps every frame the socket receives, parsed when it is JSON. */
function recordFrames(ws: WebSocket, frames: unknown[]): void {
  ws.on('message', (data) => {
    try {
      frames.push(JSON.parse(String(data)));
    } catch {
      frames.push(String(data));
    }
  });
}

function openSocket(url: string, frames: unknown[]): Promise<WebSocket | undefined> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    recordFrames(ws, frames);
    ws.once('open', () => resolve(ws));
    ws.once('error', () => resolve(undefined));
    ws.once('unexpected-response', () => resolve(undefined));
  });
}

function closeSocket(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    ws.once('close', () => resolve());
    ws.close(1000, 'done');
  });
}

interface WatchedSocket {
  ws: WebSocket;
  frames: unknown[];
  /** The server's close code once closed, or undefined if still open after `timeoutMs`. */
  closed(timeoutMs: number): Promise<number | undefined>;
}

/** Opens a socket that records its frames and its close, from its first moment. */
async function watchedSocket(url: string): Promise<WatchedSocket | undefined> {
  const frames: unknown[] = [];
  let code: number | undefined;
  let onClose: (() => void) | undefined;
  const ws = new WebSocket(url);
  recordFrames(ws, frames);
  ws.on('close', (c) => {
    code = c;
    onClose?.();
  });
  const opened = await new Promise<boolean>((resolve) => {
    ws.once('open', () => resolve(true));
    ws.once('error', () => resolve(false));
    ws.once('unexpected-response', () => resolve(false));
  });
  if (!opened) return undefined;
  return {
    ws,
    frames,
    closed: (timeoutMs) =>
      code !== undefined
        ? Promise.resolve(code)
        : new Promise((resolve) => {
            const timer = setTimeout(() => resolve(code), timeoutMs);
            onClose = () => {
              clearTimeout(timer);
              resolve(code);
            };
          }),
  };
}

/** Waits until `condition` holds, at most `timeoutMs`. */
async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}
