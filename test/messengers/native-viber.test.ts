/**
 * A Viber bot connected natively, end to end against the bot API fake on loopback
 * (test/support/fakes/viber.ts): connect → `set_webhook` registered (Viber checks the hook with
 * a signed `webhook` callback, which must get 200) → signed message → session → duplicates
 * ignored → forged signature refused with nothing written → an operator's reply sent with
 * `send_message` → `sent`, then `delivered`, `read` (seen) and `failed` callbacks → status 12
 * retried, 6 final → an invalid token puts the channel in error → disconnect removes the
 * webhook, reconnect sets it again.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rawJson, startViberFake, type ViberFake, viberFailures, viberReceipt, viberSignature, viberText } from '../support/fakes/viber.ts';
import { sameTable, snapshot, type World } from '../support/fixtures.ts';
import type { TestHost } from '../support/host.ts';
import { type NativeKit, nativeSuite } from '../support/native.ts';

process.env.WEBHOOK_RETRY_SECONDS = '0.2,0.3,0.3,0.5,0.5';

const AUTH_TOKEN = '4453b6ac12345678-e02c5f12174805f9-daec9cbb5448c51f';
const JOHN = '01234567890A=';

let fake: ViberFake;
let host: TestHost;
let w: World;
let kit: NativeKit;
let alice: string;
let channelId = '';
let sessionId = '';

nativeSuite(
  () => startViberFake({ authToken: AUTH_TOKEN, accountName: 'Acme Support' }),
  'VIBER_API_URL',
  (f) => f.apiUrl,
  (suite) => {
    ({ fake, host, w, kit, alice } = suite);
  },
);

const sendsOf = (text: string) => fake.requests.filter((r) => r.path === '/pa/send_message' && r.json?.text === text);

describe('a Viber bot, natively', () => {
  test('a token Viber refuses is a 400 and writes nothing', async () => {
    const before = await snapshot(host);
    const r = await host.call('POST', '/v1/channels', {
      token: w.admin,
      body: { _line: w.line.__id, _type: 'viberbot', __name: 'Viber', _credentials: { authToken: 'not-the-token' } },
    });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    sameTable(before, await snapshot(host));
    assert.equal(fake.webhook, '');
  });

  test('connect: set_webhook with the hook URL and event types, checked by Viber with a signed callback; no token answered or stored in clear', async () => {
    const r = await host.call('POST', '/v1/channels', {
      token: w.admin,
      body: { _line: w.line.__id, _type: 'viberbot', __name: 'Viber bot', _credentials: { authToken: AUTH_TOKEN } },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    channelId = r.body.__id;
    assert.equal(r.body._state, 'active');
    assert.equal(fake.webhook, `${host.url}/v1/hooks/viber/${channelId}`);
    assert.deepEqual(fake.eventTypes, ['delivered', 'seen', 'failed', 'subscribed', 'unsubscribed', 'conversation_started']);
    assert.ok(!JSON.stringify(r.body).includes(AUTH_TOKEN));
    assert.ok(!(await kit.everyItemText()).includes(AUTH_TOKEN));
  });

  test('a signed message opens a session for a client named as in Viber; repeats add nothing, also in parallel', async () => {
    const first = viberText(JOHN, 'John McClane', 'a message to the service', 5098034272017991001n);
    assert.equal((await fake.callback(first)).status, 200);
    const [client, ...others] = await kit.clientsOf(channelId);
    assert.equal(others.length, 0);
    assert.equal(client._username, JOHN);
    assert.equal(client.__name, 'John McClane');
    const sessions = await kit.sessionsOf(channelId);
    assert.equal(sessions.length, 1);
    sessionId = sessions[0].__id;
    // Tokens one apart: read as doubles they would be one message.
    const second = viberText(JOHN, 'John McClane', 'are you there?', 5098034272017991002n);
    const results = await Promise.all([fake.callback(first), ...Array.from({ length: 5 }, () => fake.callback(second))]);
    assert.ok(results.every((r) => r.status === 200));
    assert.deepEqual(
      (await kit.messagesOf(sessionId)).filter((m) => m.author === 'client').map((m) => [m.body, m.externalId]),
      [
        ['a message to the service', '5098034272017991001'],
        ['are you there?', '5098034272017991002'],
      ],
    );
  });

  test('a forged or missing signature is 401 and writes nothing', async () => {
    const before = await snapshot(host);
    const forged = viberText(JOHN, 'John McClane', 'forged', 5098034272017991003n);
    assert.equal((await fake.callback(forged, viberSignature(rawJson(forged), 'another-token'))).status, 401);
    assert.equal((await kit.hook('POST', `/v1/hooks/viber/${channelId}`, { body: rawJson(forged) })).status, 401);
    const body = rawJson(forged);
    const signed = { 'x-viber-content-signature': viberSignature(body, AUTH_TOKEN) };
    assert.equal((await kit.hook('POST', `/v1/hooks/viber/${w.channel.__id}`, { body, headers: signed })).status, 401);
    assert.equal((await kit.hook('GET', `/v1/hooks/viber/${channelId}`)).status >= 400, true);
    sameTable(before, await snapshot(host));
  });

  test("an operator's reply goes out with send_message to the client and becomes sent, then delivered and read", async () => {
    assert.equal((await host.call('POST', `/v1/sessions/${sessionId}/assign`, { token: alice, body: { operator: 'alice' } })).status, 200);
    const reply = await kit.reply(sessionId, alice, 'Welcome to the party, pal');
    await kit.statusIs(sessionId, reply, 'sent');
    const [call, ...more] = sendsOf('Welcome to the party, pal');
    assert.equal(more.length, 0);
    assert.equal(call!.headers['x-viber-auth-token'], AUTH_TOKEN);
    assert.deepEqual(call!.json, { receiver: JOHN, sender: { name: 'Acme Support' }, type: 'text', text: 'Welcome to the party, pal' });
    const token = fake.tokens.at(-1)!;
    assert.equal((await fake.callback(viberReceipt('delivered', token, JOHN))).status, 200);
    await kit.statusIs(sessionId, reply, 'delivered');
    assert.equal((await fake.callback(viberReceipt('seen', token, JOHN))).status, 200);
    await kit.statusIs(sessionId, reply, 'read');
  });

  test('a failed callback marks the reply failed', async () => {
    const reply = await kit.reply(sessionId, alice, 'still there?');
    await kit.statusIs(sessionId, reply, 'sent');
    assert.equal((await fake.callback(viberReceipt('failed', fake.tokens.at(-1)!, JOHN, 'user unreachable'))).status, 200);
    await kit.statusIs(sessionId, reply, 'failed');
  });

  test('12 (too many requests) is retried; 6 (not subscribed) fails the reply at once', async () => {
    fake.failNext('/pa/send_message', viberFailures.tooManyRequests());
    const paused = await kit.reply(sessionId, alice, 'after a pause');
    await kit.statusIs(sessionId, paused, 'sent');
    assert.equal(sendsOf('after a pause').length, 2);
    fake.unsubscribed.add(JOHN);
    const gone = await kit.reply(sessionId, alice, 'anyone?');
    await kit.statusIs(sessionId, gone, 'failed');
    assert.equal(sendsOf('anyone?').length, 1);
    fake.unsubscribed.delete(JOHN);
    assert.equal((await kit.channelNow(channelId))._state, 'active');
  });

  test('2 (invalid token) fails the reply and puts the channel in error', async () => {
    fake.failNext('/pa/send_message', viberFailures.invalidAuthToken());
    const reply = await kit.reply(sessionId, alice, 'one more');
    await kit.statusIs(sessionId, reply, 'failed');
    await kit.until('the channel in error', async () => (await kit.channelNow(channelId))._state === 'error');
    assert.match((await kit.channelNow(channelId))._lastError, /invalidAuthToken/);
  });

  test('disconnect removes the webhook; reconnect sets it again and messages flow', async () => {
    const off = await host.call('POST', `/v1/channels/${channelId}/disconnect`, { token: w.admin });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    assert.equal(fake.webhook, '');
    assert.deepEqual(fake.requests.filter((r) => r.path === '/pa/set_webhook').at(-1)!.json, { url: '' });
    const on = await host.call('POST', `/v1/channels/${channelId}/reconnect`, { token: w.admin });
    assert.equal(on.status, 200, JSON.stringify(on.body));
    assert.equal(on.body._state, 'active');
    assert.equal(fake.webhook, `${host.url}/v1/hooks/viber/${channelId}`);
    assert.equal((await fake.callback(viberText(JOHN, 'John McClane', 'back', 5098034272017991099n))).status, 200);
    assert.ok((await kit.messagesOf(sessionId)).some((m) => m.body === 'back'));
  });

  test('a new token by PATCH: Viber checks the hook signed with it before it is stored, then only it is taken', async () => {
    const NEW = '5553b6ac87654321-f02c5f12174805f9-eaec9cbb5448c51f';
    fake.authToken = NEW;
    const before = fake.requests.filter((r) => r.path === '/pa/set_webhook').length;
    const r = await host.call('PATCH', `/v1/channels/${channelId}`, { token: w.admin, body: { _credentials: { authToken: NEW, senderName: 'Acme Desk' } } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const calls = fake.requests.filter((q) => q.path === '/pa/set_webhook').slice(before);
    assert.equal(calls.at(-1)!.headers['x-viber-auth-token'], NEW);
    assert.equal(fake.webhook, `${host.url}/v1/hooks/viber/${channelId}`);
    const stored = await kit.everyItemText();
    assert.ok(!stored.includes(NEW), 'the new token is in the table in clear');
    assert.equal((await fake.callback(viberText(JOHN, 'John McClane', 'with the new token', 5098034272017991200n))).status, 200);
    assert.ok((await kit.messagesOf(sessionId)).some((m) => m.body === 'with the new token'));
    const old = viberText(JOHN, 'John McClane', 'with the old token', 5098034272017991201n);
    assert.equal((await fake.callback(old, viberSignature(rawJson(old), AUTH_TOKEN))).status, 401);
    const reply = await kit.reply(sessionId, alice, 'signed anew');
    await kit.statusIs(sessionId, reply, 'sent');
    assert.deepEqual(sendsOf('signed anew')[0]!.json.sender, { name: 'Acme Desk' });
  });
});
