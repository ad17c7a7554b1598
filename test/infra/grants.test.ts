/**
 * Least privilege from what the code calls: a conversation through every function of the app
 * (every HTTP route on the local host, the stream consumer and the live fan-out on the table's
 * stream, the three scheduled functions, the WebSocket handlers) with a watcher of every
 * DynamoDB call (lib/adapters/dynamodb/db.ts `observeDynamo`). The local host tags the function
 * that runs (infra/local/current-function.ts) and every cache misses, as in a fresh Lambda
 * instance; the calls each function made, as IAM actions and index names, must be exactly its
 * grant in infra/grants.ts, which the CDK stack turns into the function's role: a call outside
 * the grant fails here (AWS would deny it), and so does a granted action no function called.
 * The other services (EventBridge, Secrets Manager, the WebSocket management API) are never
 * called locally: their grants are checked against the client modules each bundle reaches.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { build } from 'esbuild';
import { SMTPServer } from 'smtp-server';
import { allFunctionNames, functionEntry } from '../../infra/functions.ts';
import { type FunctionGrant, functionFiles, functionGrants, grantOf, iamActionsOf } from '../../infra/grants.ts';
import { asFunction, currentFunction } from '../../infra/local/current-function.ts';
import { type DynamoObservation, observeDynamo } from '../../infra/local/dynamodb-calls.ts';
import { LOCAL_AUDIENCE } from '../../infra/local/jwt.ts';
import { type StreamPoller, startStreamPoller } from '../../infra/local/stream.ts';
import { receiveSesMail } from '../../lib/app/mail/ses.ts';
import { sweepTimers as sweepTimersAt } from '../../lib/app/timers/sweep.ts';
import { sweepDueDeliveries } from '../../lib/app/webhooks/deliveries.ts';
import { routes } from '../../lib/contract/routes.ts';
import { standInMessenger } from '../support/fakes/messenger.ts';
import { type FakeTelegram, startFakeTelegram, textUpdate } from '../support/fakes/telegram.ts';
import { type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';

process.env.WEBHOOK_RETRY_SECONDS = '0.1,0.1';

const REPO_ROOT = join(import.meta.dirname, '..', '..');

/** Function file → the IAM actions its DynamoDB calls needed (`dynamodb:Query` on an index as `dynamodb:Query@gsi1`). */
const called = new Map<string, Set<string>>();
/** Calls made outside any function (the host's own: stream checkpoints). */
const untagged: DynamoObservation[] = [];

/** The IAM actions one DynamoDB call needs: TransactWriteItems is authorised item by item. */
function needs(call: DynamoObservation): string[] {
  const input = call.input as { IndexName?: string; TransactItems?: Record<string, unknown>[] };
  if (call.command === 'Query') return [input.IndexName ? `dynamodb:Query@${input.IndexName}` : 'dynamodb:Query'];
  if (call.command === 'TransactWriteItems') {
    const byKind: Record<string, string> = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem' };
    return (input.TransactItems ?? []).flatMap((item) => Object.keys(item).map((kind) => `dynamodb:${byKind[kind] ?? kind}`));
  }
  // Every BatchGetItem comes from getItems (db.ts), which asks for a single distinct key with
  // GetItem: a function that batch-reads reads one item whenever its batch holds one key.
  if (call.command === 'BatchGetItem') return ['dynamodb:BatchGetItem', 'dynamodb:GetItem'];
  return [`dynamodb:${call.command}`];
}

let host: TestHost;
let w: World;
let receiver: Receiver;
let management: Server;
let base: string;
let fanOut: StreamPoller;
let telegram: FakeTelegram;
const BOT_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1';

before(async () => {
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  process.env.CHATLINES_CACHES = 'off';
  observeDynamo((call) => {
    const fn = currentFunction();
    if (!fn) return void untagged.push(call);
    const set = called.get(fn) ?? new Set<string>();
    for (const action of needs(call)) set.add(action);
    called.set(fn, set);
  });
  telegram = await startFakeTelegram();
  telegram.tokens.add(BOT_TOKEN);
  process.env.TELEGRAM_API_URL = telegram.url;
  // The delivery sweeper runs when the conversation says (each wait below), not on a timer: what it finds due is then the same every run.
  host = await startTestHost({ events: true, sweepEveryMs: 3_600_000, files: true });
  w = await world(host, { channelType: 'telegramBot', lineBody: { _accountApp: 'contacts' } });
  receiver = await startReceiver();
  // API Gateway's management API for the WebSocket handlers and the fan-out: 410 Gone for the
  // connections named `gone-…` (the client went away), 200 for the others.
  management = createServer((req, res) => {
    if (req.url === '/.well-known/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ keys: [{ ...host.key.publicJwk, alg: 'ES256', use: 'sig' }] }));
    }
    req.resume();
    req.on('end', () => {
      if (/\/@connections\/gone-/.test(req.url ?? '')) {
        res.writeHead(410, { 'content-type': 'application/json', 'x-amzn-errortype': 'GoneException' });
        return res.end('{"message":"Gone"}');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => management.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(management.address() as { port: number }).port}`;
  process.env.JWT_ISSUER = base;
  process.env.JWT_AUDIENCE = LOCAL_AUDIENCE;
  process.env.LIVE_ENDPOINT = `${base}/live`;
  // The fan-out is a second consumer of the stream in AWS: here a second poller collects the same
  // records, and the conversation hands them to the fan-out's handler when it says (fanOutNow).
  fanOut = await startStreamPoller({
    endpoint: host.endpoint,
    tableName: host.tableName,
    handler: async (event: DynamoDBStreamEvent) => {
      fanOutRecords.push(...event.Records);
      return { batchItemFailures: [] };
    },
    functionName: 'live-fanout',
    fromNow: true,
    onError: () => undefined,
  });
});

const fanOutRecords: DynamoDBStreamEvent['Records'] = [];
/** Every record written so far, to the fan-out in batches of the mapping's size (100): the batches' contents do not depend on when the poller polled. */
async function fanOutNow(): Promise<void> {
  await host.events!.poller.drain();
  await fanOut.drain();
  const { handler } = await import('../../functions/stream/live-fanout.ts');
  while (fanOutRecords.length > 0) {
    const result = await asFunction('live-fanout', () => handler({ Records: fanOutRecords.splice(0, 100) }));
    assert.deepEqual(result.batchItemFailures, []);
  }
}
after(async () => {
  observeDynamo(undefined);
  delete process.env.CHATLINES_CACHES;
  await fanOut?.stop();
  await receiver?.close();
  await telegram?.close();
  management?.close();
  await host?.close();
});

let keys = 0;
/**
 * A call as a client makes it: a staff caller's mutation carries an Idempotency-Key (the route
 * then reads and records it), searches and visitor calls none. Answers the reply, any status
 * below 500 (a refusal runs the function's reads too).
 */
async function attempt(method: string, path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}) {
  const keyed = token && method !== 'GET' && !path.endsWith('/search') && !('idempotency-key' in headers);
  const r = await host.call(method, path, {
    ...(token ? { token } : {}),
    ...(body !== undefined ? { body } : {}),
    headers: keyed ? { ...headers, 'idempotency-key': `k-${++keys}` } : headers,
  });
  assert.ok(r.status < 500, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}
/** {@link attempt}, which must succeed; answers the body. */
async function ok(method: string, path: string, token: string | undefined, body?: unknown, headers?: Record<string, string>) {
  const r = await attempt(method, path, token, body, headers);
  assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
const until = async (what: string, check: () => Promise<boolean>) => {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
};

/** A client's mail to the inbox channel. */
const mailText = (messageId: string, subject: string, inReplyTo?: string) =>
  [
    'From: Ann <ann@client.example>',
    'To: support@example.com',
    `Subject: ${subject}`,
    `Message-ID: ${messageId}`,
    ...(inReplyTo ? [`In-Reply-To: ${inReplyTo}`, `References: <m1@client.example> ${inReplyTo}`] : []),
    'Content-Type: text/plain; charset=utf-8',
    '',
    'It does not print.',
    '',
  ].join('\r\n');

/** The SMTP server replies go to: refuses the first mail for now (451), keeps the others. */
async function startMailSink(): Promise<{ url: string; mails: string[]; refused: number; close(): Promise<void> }> {
  const sink = { url: '', mails: [] as string[], refused: 0, close: async () => undefined };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (sink.refused === 0) {
          sink.refused++;
          return callback(Object.assign(new Error('try later'), { responseCode: 451 }));
        }
        sink.mails.push(Buffer.concat(chunks).toString('utf8'));
        callback(null);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `smtp://127.0.0.1:${(server.server.address() as { port: number }).port}`;
  sink.close = () => new Promise<undefined>((resolve) => server.close(() => resolve(undefined)));
  return sink;
}

describe('the conversation', () => {
  test('every route, the stream, the schedules and the WebSocket handlers run', async () => {
    const admin = w.admin;
    const line = w.line.__id;
    const alice = await w.operator('alice');
    const bob = await w.operator('bob');
    const lead = await host.token({ sub: 'lead', roles: ['supervisor'], groups: ['leads'] });
    const bot = await host.token({ sub: 'bot-1', roles: ['bot'] });

    await ok('GET', '/v1/health', undefined);
    await ok('GET', '/v1/openapi.json', undefined);
    await ok('GET', `/v1/lines/${line}`, alice);
    // Every timer policy, so that the sweeper below has SLA breaches, returns to the queue and closes to fire.
    await ok('PATCH', `/v1/lines/${line}`, admin, {
      _sla: { firstResponse: 60, nextResponse: 60, resolution: 3600 },
      _returnToQueue: { afterNoReply: 120 },
      _autoClose: { afterInactive: 300, botAfterInactive: 300 },
    });
    await ok('GET', `/v1/lines/${line}/operators`, lead);
    await ok('PUT', '/v1/operators/bob', admin, { capacity: 7 });

    // Events out: a webhook whose receiver fails first, so deliveries are retried by the sweeper and by hand.
    receiver.answer = (n) => (n <= 3 ? 503 : 200);
    const hook = await ok('POST', '/v1/webhooks', admin, { url: receiver.url, events: ['session.*', 'message.*'], line });
    receiver.secret = hook.secret;
    await ok('GET', '/v1/webhooks', admin);

    // A client writes (a new client, then the same one again, then a replayed request), an operator takes and answers.
    const first = await ok('POST', `/v1/channels/${w.channel.__id}/inbound`, w.integration, { account: 'amy', body: 'hello' });
    const id = first.session.__id as string;
    await ok('POST', `/v1/channels/${w.channel.__id}/inbound`, w.integration, { account: 'amy', body: 'are you there?' });
    const replay = { 'idempotency-key': 'inbound-1' };
    await ok('POST', `/v1/channels/${w.channel.__id}/inbound`, w.integration, { account: 'amy', body: 'once' }, replay);
    await ok('POST', `/v1/channels/${w.channel.__id}/inbound`, w.integration, { account: 'amy', body: 'once' }, replay);
    // The fan-out's first batch: the events of one line only.
    await fanOutNow();
    await ok('GET', `/v1/sessions/${id}/queue`, w.integration);
    await ok('GET', `/v1/sessions/${id}`, alice);
    await ok('PATCH', `/v1/sessions/${id}`, admin, { __name: 'order 42' });
    await ok('POST', `/v1/sessions/${id}/assign`, alice, { operator: 'alice' }, { 'idempotency-key': 'take-1' });
    await ok('POST', `/v1/sessions/${id}/assign`, alice, { operator: 'alice' }, { 'idempotency-key': 'take-1' });
    const reply = await ok('POST', `/v1/sessions/${id}/messages`, alice, { type: 'text', body: 'how can I help?' });
    await ok('POST', `/v1/sessions/${id}/messages`, alice, { type: 'system', body: 'VIP' });
    await ok('GET', `/v1/sessions/${id}/messages`, alice);
    await ok('GET', `/v1/sessions/${id}/messages/last`, alice);
    await ok('PUT', `/v1/sessions/${id}/priority`, alice, { priority: 'High' });
    await ok('POST', `/v1/channels/${w.channel.__id}/messages/${reply.__id}/status`, w.integration, { status: 'delivered' });
    await ok('POST', `/v1/channels/${w.channel.__id}/messages/${reply.__id}/status`, w.integration, { status: 'read' });
    await ok('POST', `/v1/sessions/${id}/assign`, alice, { operator: 'bob' });
    await ok('PUT', `/v1/sessions/${id}/spam`, bob);
    await ok('DELETE', `/v1/sessions/${id}/spam`, bob);
    await ok('POST', `/v1/sessions/${id}/close`, bob);
    await ok('PATCH', `/v1/clients/${first.client.__id}`, admin, { _blockedStatus: 'blocked' });
    await ok('PATCH', `/v1/clients/${first.client.__id}`, alice, { _applicationItem: { code: 'contacts', id: 'c-1' } });
    // A blocked client's message opens a session marked as spam; an operator starts one of their own.
    await ok('POST', `/v1/channels/${w.channel.__id}/inbound`, w.integration, { account: 'amy', body: 'again' });
    await ok('POST', '/v1/sessions', alice, { channel: w.channel.__id, account: 'ben' });
    const botSession = (await ok('POST', `/v1/channels/${w.channel.__id}/inbound`, w.integration, { account: 'cy', body: 'hi bot' })).session.__id;
    await ok('POST', `/v1/sessions/${botSession}/assign`, admin, { bot: true });
    await ok('POST', `/v1/sessions/${botSession}/messages`, bot, { type: 'text', body: 'beep' });
    // Response templates: three (so that a line's list is a batch read), listed, changed, sent by the bot, one deleted.
    const templates = [];
    for (const shortcut of ['hi', 'bye', 'wait']) {
      templates.push(await ok('POST', `/v1/lines/${line}/templates`, lead, { __name: shortcut, _shortcut: shortcut, _text: `${shortcut} {{client.name}}` }));
    }
    await ok('GET', `/v1/lines/${line}/templates`, alice);
    await ok('PATCH', `/v1/templates/${templates[0].__id}`, lead, { _shortcut: 'hello' });
    await ok('POST', `/v1/sessions/${botSession}/messages`, bot, { template: templates[0].__id });
    await ok('DELETE', `/v1/templates/${templates[2].__id}`, lead);
    // A client's data on request: amy (two sessions) exported, then erased, with a transfer comment before.
    await ok('POST', `/v1/sessions/${botSession}/assign`, bot, { operator: 'alice', comment: 'over to you' });
    await ok('GET', `/v1/clients/${first.client.__id}/export`, admin);
    await ok('DELETE', `/v1/clients/${first.client.__id}`, admin);

    // A line that routes by itself: the consumer assigns new sessions up to the operator's capacity, then the next as one closes.
    const auto = await ok('POST', '/v1/lines', admin, { __name: 'Auto', _operatorGroups: ['auto'], _routing: { mode: 'auto', capacity: 2 } });
    const autoChannel = await ok('POST', '/v1/channels', admin, { _line: auto.__id, _type: 'telegramBot', __name: 'Auto bot' });
    const autoIntegration = await host.token({ sub: 'integration-2', roles: ['integration'], channels: [autoChannel.__id] });
    const zed = await w.operator('zed', { groups: ['auto'] });
    const routed: string[] = [];
    for (const account of ['r1', 'r2', 'r3']) {
      routed.push((await ok('POST', `/v1/channels/${autoChannel.__id}/inbound`, autoIntegration, { account, body: 'route me' })).session.__id);
    }
    await host.events!.poller.drain();
    await until('the first two routed', async () => (await ok('GET', `/v1/sessions/${routed[0]}`, zed))._userId === 'zed');
    await ok('POST', `/v1/sessions/${routed[0]}/close`, zed);
    await host.events!.poller.drain();
    await ok('PUT', '/v1/operators/me/status', zed, { status: 'offline' });
    await host.events!.poller.drain();
    await ok('PATCH', `/v1/lines/${auto.__id}`, admin, { _routing: { capacity: 3, botFirst: true } });
    await ok('PUT', '/v1/operators/me/status', zed, { status: 'online' });
    await ok('POST', `/v1/channels/${autoChannel.__id}/inbound`, autoIntegration, { account: 'r4', body: 'bot first' });
    await host.events!.poller.drain();

    // Every role on sessions in every state: admins, supervisors, operators, the bot and
    // integrations take different paths (visibility, the holder, presence, the supervised lines).
    const roles = { admin, lead, alice, bob, bot, integration: w.integration };
    const open = async (account: string) =>
      (await ok('POST', `/v1/channels/${w.channel.__id}/inbound`, w.integration, { account, body: 'hi' })).session.__id as string;
    const waiting = await open('mx-waiting');
    const held = await open('mx-held');
    await ok('POST', `/v1/sessions/${held}/assign`, alice, { operator: 'alice' });
    const closed = await open('mx-closed');
    await ok('POST', `/v1/sessions/${closed}/assign`, alice, { operator: 'alice' });
    await ok('POST', `/v1/sessions/${closed}/close`, alice);
    const spam = await open('mx-spam');
    await ok('POST', `/v1/sessions/${spam}/assign`, bob, { operator: 'bob' });
    await ok('PUT', `/v1/sessions/${spam}/spam`, bob);
    for (const session of [waiting, held, closed, spam]) {
      for (const token of Object.values(roles)) {
        for (const suffix of ['', '/messages', '/messages/last', '/queue']) await attempt('GET', `/v1/sessions/${session}${suffix}`, token);
      }
    }
    for (const [name, token] of Object.entries(roles)) {
      const session = await open(`mx-${name}`);
      await attempt('POST', `/v1/sessions/${session}/assign`, admin, { operator: 'alice' });
      await attempt('PATCH', `/v1/sessions/${session}`, token, { __name: `by ${name}` });
      await attempt('PUT', `/v1/sessions/${session}/priority`, token, { priority: 'High' });
      await attempt('POST', `/v1/sessions/${session}/messages`, token, { type: 'text', body: `from ${name}` });
      await attempt('POST', `/v1/sessions/${session}/messages`, token, { type: 'system', body: `note from ${name}` });
      await attempt('POST', `/v1/sessions/${session}/assign`, token, { operator: 'bob' });
      await attempt('PUT', `/v1/sessions/${session}/spam`, token);
      await attempt('DELETE', `/v1/sessions/${session}/spam`, token);
      await attempt('POST', `/v1/sessions/${session}/close`, token);
      await attempt('GET', `/v1/lines/${line}`, token);
      await attempt('GET', `/v1/lines/${line}/operators`, token);
      await attempt('PUT', '/v1/operators/bob', token, { capacity: 9 });
      await attempt('PATCH', `/v1/clients/${first.client.__id}`, token, { _applicationItem: { code: 'contacts', id: `c-${name}` } });
      await attempt('GET', `/v1/metrics?line=${line}`, token);
      await attempt('GET', '/v1/webhooks', token);
      await attempt('POST', '/v1/webhooks', token, { url: 'https://hooks.example.com/x', events: ['session.sla_breached'], line });
      await attempt('PATCH', `/v1/lines/${line}`, token, { __name: 'Support' });
      await attempt('POST', '/v1/channels', token, { _line: line, _type: 'telegram', __name: `by ${name}` });
      await attempt('POST', '/v1/sessions', token, { channel: w.channel.__id, account: `started-by-${name}` });
    }

    // Channels.
    const extra = await ok('POST', '/v1/channels', admin, { _line: line, _type: 'telegramBot', __name: 'Second' });
    await ok('PATCH', `/v1/channels/${extra.__id}`, admin, { __name: 'Second (renamed)' });
    // Clearing the endpoint reads the channel with its credentials (a native channel takes none).
    await ok('PATCH', `/v1/channels/${extra.__id}`, admin, { _deliveryUrl: null });
    await ok('POST', `/v1/channels/${extra.__id}/disconnect`, admin);
    await ok('POST', `/v1/channels/${extra.__id}/reconnect`, admin);

    // Mail: an inbox channel with an address (changed once), a mail in (as SES's receipt function
    // runs it), two replies out through an SMTP sink that refuses the first for now (so the
    // sweeper sends it), the client's answer threaded in, and SES's sending events.
    const sink = await startMailSink();
    process.env.SMTP_URL = sink.url;
    // On a line of its own: its events stay out of the webhook's list the steps below read.
    const mailLine = await ok('POST', '/v1/lines', admin, {
      __name: 'Mail',
      _operatorGroups: ['support'],
      _sla: { firstResponse: 60, nextResponse: 60, resolution: 3600 },
      _autoClose: { afterInactive: 300, botAfterInactive: 300 },
    });
    const inbox = await ok('POST', '/v1/channels', admin, { _line: mailLine.__id, _type: 'inbox', __name: 'Mail', _address: 'help@example.com' });
    await ok('PATCH', `/v1/channels/${inbox.__id}`, admin, { _address: 'support@example.com' });
    const receiveMail = (raw: string, recipient = 'support@example.com') =>
      asFunction('receive-mail', () =>
        receiveSesMail({ messageId: 'ses-1', recipients: [recipient], spf: 'PASS', dkim: 'PASS', dmarc: 'FAIL' }, async () => Buffer.from(raw)),
      );
    const [received] = await receiveMail(mailText('<m1@client.example>', 'Broken printer'));
    assert.equal(received?.outcome, 'received');
    const mailSession = (received as { session: string }).session;
    await ok('POST', `/v1/sessions/${mailSession}/assign`, alice, { operator: 'alice' });
    const firstReply = await ok('POST', `/v1/sessions/${mailSession}/messages`, alice, { type: 'text', body: 'Unplug it.' });
    await host.events!.poller.drain();
    await until('the first reply refused by the sink', async () => sink.refused > 0);
    await ok('POST', `/v1/sessions/${mailSession}/messages`, alice, { type: 'text', body: 'And plug it in again.' });
    await host.events!.poller.drain();
    await until('the second reply mailed', async () => sink.mails.some((m) => m.includes('plug it in again')));
    await asFunction('retry-deliveries', () => sweepDueDeliveries(Date.now() + 60_000));
    await until('the first reply mailed by the sweeper', async () => sink.mails.some((m) => m.includes('Unplug it.')));
    const [answered] = await receiveMail(mailText('<m2@client.example>', 'Re: Broken printer', `<${firstReply.__id}@example.com>`));
    assert.equal((answered as { session?: string }).session, mailSession);
    const mailEvents = (await import('../../functions/mail/mail-events.ts')).handler;
    const sesEvent = (message: Record<string, unknown>) => ({ Records: [{ Sns: { MessageId: 'sns-1', Message: JSON.stringify(message) } }] }) as never;
    await asFunction('mail-events', () => mailEvents(sesEvent({ eventType: 'Delivery', mail: { tags: { 'chatlines-message': [firstReply.__id] } } })));
    // A blocked sender with no open session: its mail goes to its last session if marked as spam (found by the client's sessions index).
    await ok('POST', `/v1/sessions/${mailSession}/close`, alice);
    await ok('PATCH', `/v1/clients/${(await ok('GET', `/v1/sessions/${mailSession}`, admin))._clients[0]}`, admin, { _blockedStatus: 'blocked' });
    const [blockedMail] = await receiveMail(mailText('<m3@client.example>', 'Again'));
    assert.equal(blockedMail?.outcome, 'received');
    await sink.close();

    // A Telegram bot connected natively: its webhook, signed updates (a repeat, a forgery), replies
    // out through the Bot API — one retried after 429 by the sweeper, one refused for good there,
    // one with the token refused (the channel goes to error) — new credentials, disconnect, reconnect.
    await attempt('POST', '/v1/channels', admin, {
      _line: line,
      _type: 'telegramBot',
      __name: 'Refused',
      _credentials: { botToken: BOT_TOKEN.replace('1', '2') },
    });
    const native = await ok('POST', '/v1/channels', admin, { _line: line, _type: 'telegramBot', __name: 'Native bot', _credentials: { botToken: BOT_TOKEN } });
    const tg = { id: 4242, first_name: 'Tess', username: 'tess' };
    assert.equal((await telegram.post(BOT_TOKEN, textUpdate(1, 1, tg, 'hi bot'))).status, 200);
    assert.equal((await telegram.post(BOT_TOKEN, textUpdate(1, 1, tg, 'hi bot'))).status, 200);
    assert.equal((await telegram.post(BOT_TOKEN, textUpdate(2, 2, tg, 'forged'), { secret: 'forged' })).status, 401);
    assert.equal((await telegram.post(BOT_TOKEN, textUpdate(3, 3, tg, 'still there?'))).status, 200);
    const tgSession = (await ok('POST', '/v1/sessions/search', admin, { where: { eq: ['_channel', native.__id] }, size: 1 })).items[0].__id as string;
    await ok('POST', `/v1/sessions/${tgSession}/assign`, alice, { operator: 'alice' });
    const sentTo = (text: string) => telegram.callsOf('sendMessage').filter((c) => c.body.text === text).length;
    const statusOf = async (id: string) =>
      ((await ok('GET', `/v1/sessions/${tgSession}/messages?size=100`, alice)) as { __id: string; _deliveryStatus: string }[]).find((m) => m.__id === id)
        ?._deliveryStatus;
    const tgReply = async (text: string) => (await ok('POST', `/v1/sessions/${tgSession}/messages`, alice, { type: 'text', body: text })).__id as string;
    const hello = await tgReply('hello from chatlines');
    await until('the reply sent', async () => (await statusOf(hello)) === 'sent');
    telegram.failNext('sendMessage', 429, 'Too Many Requests: retry after 0', 0);
    const later = await tgReply('after the flood');
    await until('the reply sent by the sweeper', async () => {
      await host.events!.sweep();
      return (await statusOf(later)) === 'sent';
    });
    telegram.failNext('sendMessage', 502, 'Bad Gateway');
    telegram.blocked.add(String(tg.id));
    const refused = await tgReply('to a blocked chat');
    await until('the reply failed in the sweeper', async () => {
      await host.events!.sweep();
      return (await statusOf(refused)) === 'failed';
    });
    telegram.blocked.delete(String(tg.id));
    telegram.failNext('sendMessage', 401, 'Unauthorized');
    const revoked = await tgReply('with a revoked token');
    await until('the reply failed', async () => (await statusOf(revoked)) === 'failed');
    assert.ok(sentTo('hello from chatlines') === 1);
    await ok('PATCH', `/v1/channels/${native.__id}`, admin, { _credentials: { botToken: BOT_TOKEN } });
    await ok('POST', `/v1/channels/${native.__id}/disconnect`, admin);
    await ok('POST', `/v1/channels/${native.__id}/reconnect`, admin);
    // What the messenger reports of our replies (statuses, read watermarks), through a stand-in
    // adapter: the hook finds a reply by the id the messenger gave it, and a client's latest session.
    const viber = standInMessenger('viberbot', 'viber');
    try {
      const vb = await ok('POST', '/v1/channels', admin, { _line: line, _type: 'viberbot', __name: 'Viber', _credentials: { authToken: 'vb' } });
      const proof = viber.proof('vb', viber.hooks.at(-1)!.secret);
      const vbHook = (events: unknown[]) =>
        fetch(`${host.url}/v1/hooks/viber/${vb.__id}`, { method: 'POST', headers: { 'x-stand-in-proof': proof }, body: JSON.stringify(events) });
      assert.equal((await vbHook([{ kind: 'message', externalId: 'v1', account: 'vic', text: 'hi', attachments: [] }])).status, 200);
      const vbSession = (await ok('POST', '/v1/sessions/search', admin, { where: { eq: ['_channel', vb.__id] }, size: 1 })).items[0].__id as string;
      await ok('POST', `/v1/sessions/${vbSession}/assign`, alice, { operator: 'alice' });
      const vbReply = (await ok('POST', `/v1/sessions/${vbSession}/messages`, alice, { type: 'text', body: 'hello viber' })).__id as string;
      const vbStatus = async () =>
        ((await ok('GET', `/v1/sessions/${vbSession}/messages?size=100`, alice)) as { __id: string; _deliveryStatus: string }[]).find((m) => m.__id === vbReply)
          ?._deliveryStatus;
      await until('the viber reply sent', async () => (await vbStatus()) === 'sent');
      assert.equal((await vbHook([{ kind: 'status', externalId: `ext-${viber.sent.length}`, status: 'delivered' }])).status, 200);
      assert.equal((await vbHook([{ kind: 'readUpTo', account: 'vic', at: new Date(Date.now() + 1000).toISOString() }])).status, 200);
      assert.equal(await vbStatus(), 'read');
    } finally {
      viber.restore();
    }

    // Searches: each collection, a key lookup, an index plan, a count and a sweep.
    const del = { eq: ['__deletedAt', null] };
    for (const [collection, body] of [
      ['lines', { where: { and: [del, { eq: ['__name', 'Support'] }] }, size: 1 }],
      ['lines', { size: 5 }],
      ['channels', { where: { and: [del, { eq: ['_state', 'active'] }] }, size: 5 }],
      ['channels', { size: 5, count: true }],
      ['clients', { where: { and: [del, { eq: ['_channel', w.channel.__id] }] }, size: 5 }],
      ['clients', { size: 5 }],
      ['sessions', { where: { and: [del, { eq: ['__id', id] }] }, size: 1 }],
      ['sessions', { where: { and: [del, { all: ['_clients', [first.client.__id]] }, { neq: ['_state', 'Closed'] }] }, size: 1 }],
      ['sessions', { where: { and: [{ eq: ['_line', line] }, { eq: ['_state', 'Waiting'] }] }, size: 5, count: true }],
      ['sessions', { where: { eq: ['_userId', 'alice'] }, size: 5 }],
      ['sessions', { where: { and: [{ eq: ['_userId', 'alice'] }, { neq: ['_state', 'Closed'] }] }, size: 5 }],
      ['sessions', { where: { and: [{ eq: ['_line', line] }, { neq: ['_state', 'Closed'] }] }, size: 5 }],
      ['sessions', { where: { eq: ['_channel', w.channel.__id] }, size: 5 }],
      ['sessions', { where: { lt: ['_lastActivityAt', new Date().toISOString()] }, size: 5 }],
      ['sessions', { size: 5 }],
    ] as const) {
      await ok('POST', `/v1/${collection}/search`, admin, body);
      await ok('POST', `/v1/${collection}/search`, alice, body);
    }

    // The web-chat widget's visitor.
    const livechat = await ok('POST', '/v1/channels', admin, { _line: line, _type: 'livechat', __name: 'Web chat' });
    const visitor = await ok('POST', '/v1/visitors', undefined, { channel: livechat.__id });
    const asVisitor = { authorization: `Bearer ${visitor.token}` };
    await ok('POST', '/v1/visitors/messages', undefined, { body: 'hello from the web' }, asVisitor);
    await ok('POST', '/v1/visitors/messages', undefined, { body: 'anyone?' }, asVisitor);
    await ok('GET', '/v1/visitors/messages', undefined, undefined, asVisitor);
    await ok('GET', '/v1/visitors/queue', undefined, undefined, asVisitor);
    // A second visitor waiting too: the queue's pages hold several sessions (one batch read, not one read).
    const second = await ok('POST', '/v1/visitors', undefined, { channel: livechat.__id });
    await ok('POST', '/v1/visitors/messages', undefined, { body: 'me too' }, { authorization: `Bearer ${second.token}` });
    await ok('GET', '/v1/visitors/queue', undefined, undefined, asVisitor);
    await ok('GET', '/v1/visitors/queue', undefined, undefined, { authorization: `Bearer ${second.token}` });
    await ok('GET', '/v1/visitors/messages', undefined, undefined, { authorization: `Bearer ${second.token}` });
    // Satisfaction: the close asks for a rating; one visitor rates in the widget, the other answers "4".
    await ok('PATCH', `/v1/lines/${line}`, admin, { _csat: { enabled: true } });
    const [firstVisit, secondVisit] = await Promise.all(
      [asVisitor, { authorization: `Bearer ${second.token}` }].map((auth) => ok('GET', '/v1/visitors/messages', undefined, undefined, auth)),
    );
    for (const visit of [firstVisit, secondVisit]) {
      await ok('POST', `/v1/sessions/${visit.session.id}/assign`, admin, { operator: 'alice' });
      await ok('POST', `/v1/sessions/${visit.session.id}/close`, alice);
    }
    await ok('POST', '/v1/visitors/rating', undefined, { score: 5, comment: 'quick' }, asVisitor);
    await ok('POST', '/v1/visitors/messages', undefined, { body: '4' }, { authorization: `Bearer ${second.token}` });

    // Files: uploads signed for staff and a visitor, sent (the check reads the objects), downloads signed.
    const text = Buffer.from('a few words\n');
    const putFile = async (path: string, token: string | undefined, name: string, headers: Record<string, string> = {}) => {
      const u = await ok('POST', path, token, { name, contentType: 'text/plain', size: text.length }, headers);
      assert.equal((await fetch(u.uploadUrl, { method: 'PUT', headers: u.headers, body: text })).status, 200);
      return u.__id as string;
    };
    const visitorFile = await putFile('/v1/visitors/files', undefined, 'v.txt', asVisitor);
    const fromVisitor = await ok('POST', '/v1/visitors/messages', undefined, { files: [visitorFile] }, asVisitor);
    await ok('POST', `/v1/sessions/${fromVisitor.session.id}/assign`, alice, { operator: 'alice' });
    const staffFile = await putFile(`/v1/sessions/${fromVisitor.session.id}/files`, alice, 'a.txt');
    await ok('POST', `/v1/sessions/${fromVisitor.session.id}/messages`, alice, { type: 'file', files: [staffFile] });
    await ok('GET', `/v1/files/${staffFile}?redirect=false`, alice);
    await ok('GET', `/v1/visitors/files/${staffFile}?redirect=false`, undefined, undefined, asVisitor);
    // Read receipts both ways on the first visitor's session (alice holds it since its file above).
    const visitorSession = (await ok('GET', '/v1/visitors/messages', undefined, undefined, asVisitor)).session.id as string;
    assert.equal(visitorSession, fromVisitor.session.id);
    const staffReply = await ok('POST', `/v1/sessions/${visitorSession}/messages`, alice, { type: 'text', body: 'hi there' });
    const visitorLast = await ok('POST', '/v1/visitors/messages', undefined, { body: 'thanks' }, asVisitor);
    await ok('POST', `/v1/sessions/${visitorSession}/read`, alice, { upTo: visitorLast.message.id });
    await ok('POST', '/v1/visitors/read', undefined, { upTo: staffReply.__id }, asVisitor);

    // The stream: events out, deliveries (failing first), then the sweeper and a retry by hand.
    await fanOutNow();
    await until('a failed delivery retried by the sweeper', async () => {
      await host.events!.sweep();
      // The conversation makes more deliveries than one page holds: read every page.
      for (let from = 0; ; from += 100) {
        const list = await ok('GET', `/v1/webhooks/${hook.__id}/deliveries?size=100&from=${from}`, admin);
        if (list.items.some((d: { attempts: number; status: string }) => d.attempts > 1 && d.status === 'delivered')) return true;
        if (list.items.length < 100) return false;
      }
    });
    const failing = await ok('POST', '/v1/webhooks', admin, { url: receiver.url.replace(/\/?$/, '/never'), events: ['session.*', 'message.*'], line });
    await ok('GET', '/v1/webhooks', admin);
    receiver.answer = 503;
    for (const account of ['dee', 'dee2', 'dee3']) await w.openSession(account);
    await host.events!.poller.drain();
    // A minute later: more deliveries are due than the due index has shards, so one page holds several.
    await asFunction('retry-deliveries', () => sweepDueDeliveries(Date.now() + 60_000));
    let failed: { eventId: string } | undefined;
    await until('a delivery that failed for good', async () => {
      await host.events!.sweep();
      const list = await ok('GET', `/v1/webhooks/${failing.__id}/deliveries?size=100`, admin);
      failed = list.items.find((d: { status: string }) => d.status === 'failed');
      return failed !== undefined;
    });
    receiver.answer = 200;
    await ok('POST', `/v1/webhooks/${failing.__id}/deliveries/${failed!.eventId}/retry`, admin);
    await ok('DELETE', `/v1/webhooks/${failing.__id}`, admin);
    await ok('DELETE', `/v1/webhooks/${hook.__id}`, admin);

    // The schedules.
    const aggregate = (await import('../../functions/schedule/aggregate-metrics.ts')).handler;
    const sweepTimers = (await import('../../functions/schedule/sweep-timers.ts')).handler;
    const retryDeliveries = (await import('../../functions/schedule/retry-deliveries.ts')).handler;
    await asFunction('aggregate-metrics', () => aggregate());
    await asFunction('sweep-timers', () => sweepTimers());
    // Hours later: every clock of the sessions above is due.
    await asFunction('sweep-timers', () => sweepTimersAt({ now: Date.now() + 4 * 3600_000 }));
    await host.events!.poller.drain();
    await asFunction('retry-deliveries', () => retryDeliveries());
    await ok('GET', `/v1/metrics?line=${line}`, admin);

    // The WebSocket handlers, as API Gateway calls them.
    const ws = (connectionId: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      requestContext: { connectionId, domainName: base.replace('http://', ''), stage: 'live', ...extra },
    });
    const authorize = (await import('../../functions/live/live-authorizer.ts')).handler;
    const connect = (await import('../../functions/live/live-connect.ts')).handler;
    const frames = (await import('../../functions/live/live-default.ts')).handler;
    const disconnect = (await import('../../functions/live/live-disconnect.ts')).handler;
    const token = await host.token({ sub: 'lead', roles: ['supervisor'], groups: ['leads'] }, { issuer: base });
    const allowed = await asFunction('live-authorizer', () =>
      authorize({ methodArn: 'arn:aws:execute-api:us-east-1:1:api/live/$connect', queryStringParameters: { token } } as never),
    );
    await asFunction('live-connect', () => connect({ ...ws('c1', { authorizer: allowed.context }), headers: {} } as never));
    // Callers who see one line, several, and every line.
    const callers = {
      c2: { sub: 'alice', roles: ['operator'], groups: ['support'], channels: [] },
      c3: { sub: 'root', roles: ['admin'], groups: [], channels: [] },
      c4: { sub: 'both', roles: ['supervisor'], groups: ['leads', 'auto'], channels: [] },
      // Gone before the fan-out posts to it: the fan-out removes it.
      'gone-1': { sub: 'root', roles: ['admin'], groups: [], channels: [] },
    };
    for (const [connection, caller] of Object.entries(callers)) {
      await asFunction('live-connect', () => connect({ ...ws(connection, { authorizer: { caller: JSON.stringify(caller) } }), headers: {} } as never));
    }
    await ok('POST', `/v1/sessions/${(await w.openSession('eve')).session.__id}/assign`, alice, { operator: 'alice' });
    await fanOutNow();
    await asFunction('live-default', () => frames({ ...ws('c1'), body: '{"action":"ping"}' } as never));
    await asFunction('live-default', () => frames({ ...ws('c1'), body: '{"action":"resume","after":"0"}' } as never));
    // Gone before $default answers: the handler removes it.
    await asFunction('live-connect', () =>
      connect({
        ...ws('gone-2', { authorizer: { caller: JSON.stringify({ sub: 'alice', roles: ['operator'], groups: ['support'], channels: [] }) } }),
        headers: {},
      } as never),
    );
    await asFunction('live-default', () => frames({ ...ws('gone-2'), body: '{"action":"ping"}' } as never));
    for (const connection of ['c3', 'c4'])
      await asFunction('live-default', () => frames({ ...ws(connection), body: '{"action":"resume","after":"0"}' } as never));
    // A visitor's connection, and typing both ways on its session (alice holds it).
    const visitorAllowed = await asFunction('live-authorizer', () =>
      authorize({ methodArn: 'arn:aws:execute-api:us-east-1:1:api/live/$connect', queryStringParameters: { token: visitor.token } } as never),
    );
    await asFunction('live-connect', () => connect({ ...ws('v1', { authorizer: visitorAllowed.context }), headers: {} } as never));
    await asFunction('live-default', () => frames({ ...ws('v1'), body: JSON.stringify({ type: 'typing', session: visitorSession }) } as never));
    await asFunction('live-default', () => frames({ ...ws('c2'), body: JSON.stringify({ type: 'typing', session: visitorSession }) } as never));
    for (const connection of ['c1', 'c2', 'c3', 'c4', 'v1']) await asFunction('live-disconnect', () => disconnect(ws(connection) as never));
  });
});

/** Calls outside their function's grant (AWS would deny them), as `file: action`. */
function outsideGrants(calls: ReadonlyMap<string, ReadonlySet<string>>, grants: Readonly<Record<string, FunctionGrant>>): string[] {
  const found: string[] = [];
  for (const [file, actions] of calls) {
    const granted = new Set(grants[file] ? iamActionsOf(grants[file]) : []);
    for (const action of actions) if (!granted.has(action)) found.push(`${file}: ${action}`);
  }
  return found;
}
/** Granted actions no call of their function needed, as `file: action`. */
function unusedGrants(calls: ReadonlyMap<string, ReadonlySet<string>>, grants: Readonly<Record<string, FunctionGrant>>): string[] {
  return Object.entries(grants).flatMap(([file, grant]) =>
    iamActionsOf(grant)
      .filter((action) => !calls.get(file)?.has(action))
      .map((action) => `${file}: ${action}`),
  );
}

describe('grants', () => {
  test('every function of the app has a grant, and every grant a function', () => {
    assert.deepEqual([...functionFiles()].sort(), allFunctionNames());
  });

  test('every function ran and made no DynamoDB call outside its grant', () => {
    if (process.env.PRINT_GRANTS) {
      const learned = Object.fromEntries([...called].sort(([a], [b]) => a.localeCompare(b)).map(([f, s]) => [f, [...s].sort()]));
      console.log(JSON.stringify(learned, null, 1));
    }
    assert.deepEqual(outsideGrants(called, functionGrants), [], 'calls AWS would deny: add them to the function in infra/grants.ts');
    const silent = functionFiles().filter((f) => iamActionsOf(grantOf(f)).length > 0 && !called.has(f));
    assert.deepEqual(silent, [], 'functions with a table grant the conversation never ran');
  });

  test('no grant holds an action its function never called', () => {
    assert.deepEqual(
      unusedGrants(called, functionGrants),
      [],
      'granted but never called: remove them from infra/grants.ts (or drive the path that needs them)',
    );
  });

  test('the comparison catches a grant one action short, and one action too wide', () => {
    const getLine = grantOf('get-line');
    assert.ok(called.get('get-line')?.has('dynamodb:GetItem'));
    const beyond = (found: string[], baseline: string[]) => found.filter((x) => !baseline.includes(x));
    const short = { ...functionGrants, 'get-line': { ...getLine, table: getLine.table.filter((a) => a !== 'GetItem') } };
    assert.deepEqual(beyond(outsideGrants(called, short), outsideGrants(called, functionGrants)), ['get-line: dynamodb:GetItem']);
    const wide = { ...functionGrants, 'get-line': { ...getLine, table: [...getLine.table, 'BatchWriteItem' as const], indexes: ['gsi7' as const] } };
    assert.deepEqual(beyond(unusedGrants(called, wide), unusedGrants(called, functionGrants)), [
      'get-line: dynamodb:BatchWriteItem',
      'get-line: dynamodb:Query@gsi7',
    ]);
  });

  test("the other services' grants follow the modules each function's code reaches (esbuild's module graph)", async () => {
    // The local host calls none of them (events stay in process, the secret is a file, sockets
    // are its own): what a function's bundle contains of each client module says what it calls.
    const clients: [keyof FunctionGrant, string][] = [
      ['putEvents', 'lib/adapters/aws/eventbridge.ts'],
      ['visitorSecret', 'lib/adapters/secrets.ts'],
      ['postToConnection', 'lib/adapters/aws/live.ts'],
      ['sendMail', 'lib/adapters/messengers/email.ts'],
      ['readMail', 'lib/adapters/aws/mail-objects.ts'],
      ['credentialsKey', 'lib/adapters/aws/kms.ts'],
      ['files', 'lib/adapters/files/s3.ts'],
    ];
    const files = functionFiles();
    const { metafile } = await build({
      entryPoints: Object.fromEntries(files.map((f) => [f, functionEntry(f)])),
      absWorkingDir: REPO_ROOT,
      outdir: join(REPO_ROOT, 'cdk.out', 'grants-probe'),
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'node',
      external: ['@aws-sdk/*'],
      logLevel: 'silent',
    });
    const reached = new Map<string, string[]>();
    for (const output of Object.values(metafile.outputs)) {
      const file = files.find((f) => output.entryPoint && functionEntry(f).endsWith(output.entryPoint));
      if (!file) continue;
      reached.set(
        file,
        Object.entries(output.inputs)
          .filter(([, input]) => input.bytesInOutput > 0)
          .map(([path]) => path),
      );
    }
    assert.equal(reached.size, files.length);
    for (const file of files) {
      for (const [flag, module] of clients) {
        const granted = flag === 'files' ? (grantOf(file).files?.length ?? 0) > 0 : grantOf(file)[flag] === true;
        assert.equal(reached.get(file)!.includes(module), granted, `${file}: ${flag} (${module})`);
      }
    }
  });

  test("the host's own calls are only its stream checkpoints", () => {
    const others = untagged.filter((c) => !JSON.stringify(c.input).includes('STREAM#CHECKPOINT'));
    assert.deepEqual(
      others.map((c) => `${c.command} ${JSON.stringify(c.input).slice(0, 200)}`),
      [],
    );
  });

  test("the manifest's coarse access level agrees with each route function's grant", () => {
    for (const route of routes) {
      const grant = functionGrants[route.function]!;
      const level = grant.table.some((a) => !['GetItem', 'BatchGetItem', 'Query', 'ConditionCheckItem'].includes(a))
        ? 'write'
        : grant.table.length + grant.indexes.length > 0
          ? 'read'
          : 'none';
      assert.equal(route.access, level, `${route.method} ${route.path} (${route.function})`);
    }
  });
});
