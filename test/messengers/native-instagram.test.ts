/**
 * An Instagram professional account connected natively, end to end against the Graph API fake on
 * loopback (test/support/fakes/meta.ts): connect → Meta's handshake → signed message → session →
 * duplicates ignored → forged signature refused with nothing written → an operator's reply sent
 * to /{accountId}/messages → `sent` → `read` from a read event (by mid, and by watermark) → our
 * own echo ignored → a refused token puts the channel in error → disconnect and reconnect.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  INSTAGRAM_CREDENTIALS,
  instagramNotification,
  instagramRead,
  instagramText,
  type MetaFake,
  metaFailures,
  metaSignature,
  startMetaFake,
} from '../support/fakes/meta.ts';
import { sameTable, snapshot, type World } from '../support/fixtures.ts';
import type { TestHost } from '../support/host.ts';
import { type NativeKit, nativeSuite } from '../support/native.ts';

process.env.WEBHOOK_RETRY_SECONDS = '0.2,0.3,0.3,0.5,0.5';

const credentials = INSTAGRAM_CREDENTIALS;
const CLIENT = '6543210987654321';

let fake: MetaFake;
let host: TestHost;
let w: World;
let kit: NativeKit;
let alice: string;
let channelId = '';
let sessionId = '';

nativeSuite(
  () => startMetaFake({ accessToken: credentials.accessToken, accountIds: [credentials.accountId] }),
  'INSTAGRAM_API_URL',
  (f) => f.apiUrl,
  (suite) => {
    ({ fake, host, w, kit, alice } = suite);
  },
);

const notify = (messaging: unknown[], options: { secret?: string; channel?: string } = {}) => {
  const body = JSON.stringify(instagramNotification(credentials.accountId, messaging));
  return kit.hook('POST', `/v1/hooks/instagram/${options.channel ?? channelId}`, {
    body,
    headers: { 'x-hub-signature-256': metaSignature(body, options.secret ?? credentials.appSecret) },
  });
};
const text = (body: string, mid: string) => instagramText(credentials.accountId, CLIENT, body, mid);

describe('an Instagram account, natively', () => {
  test('connect: active, no secret answered or stored in clear; the handshake needs the verify token', async () => {
    const r = await host.call('POST', '/v1/channels', {
      token: w.admin,
      body: { _line: w.line.__id, _type: 'instagram', __name: 'Instagram @acme', _credentials: credentials },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    channelId = r.body.__id;
    assert.equal(r.body._state, 'active');
    const stored = await kit.everyItemText();
    for (const secret of [credentials.accessToken, credentials.appSecret, credentials.verifyToken]) {
      assert.ok(!JSON.stringify(r.body).includes(secret));
      assert.ok(!stored.includes(secret));
    }
    const ok = await kit.hook('GET', `/v1/hooks/instagram/${channelId}?hub.mode=subscribe&hub.verify_token=${credentials.verifyToken}&hub.challenge=42`);
    assert.deepEqual([ok.status, ok.text], [200, '42']);
    assert.equal((await kit.hook('GET', `/v1/hooks/instagram/${channelId}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=42`)).status, 401);
  });

  test('a signed message opens a session; repeats add nothing; a forged signature is 401 and writes nothing', async () => {
    assert.equal((await notify([text('Is the blue one in stock?', 'mid.first')])).status, 200);
    const sessions = await kit.sessionsOf(channelId);
    assert.equal(sessions.length, 1);
    sessionId = sessions[0].__id;
    const [client] = await kit.clientsOf(channelId);
    assert.equal(client._username, CLIENT);
    const repeats = await Promise.all([
      notify([text('Is the blue one in stock?', 'mid.first')]),
      ...Array.from({ length: 5 }, () => notify([text('hello?', 'mid.second')])),
    ]);
    assert.ok(repeats.every((r) => r.status === 200));
    assert.deepEqual(
      (await kit.messagesOf(sessionId)).filter((m) => m.author === 'client').map((m) => [m.body, m.externalId]),
      [
        ['Is the blue one in stock?', 'mid.first'],
        ['hello?', 'mid.second'],
      ],
    );
    const before = await snapshot(host);
    assert.equal((await notify([text('forged', 'mid.forged')], { secret: 'not-the-app-secret' })).status, 401);
    assert.equal((await kit.hook('POST', `/v1/hooks/instagram/${channelId}`, { body: JSON.stringify({ object: 'instagram', entry: [] }) })).status, 401);
    assert.equal((await notify([text('elsewhere', 'mid.x')], { channel: w.channel.__id })).status, 401);
    sameTable(before, await snapshot(host));
  });

  test("an operator's reply goes to /{accountId}/messages and becomes sent; a read by its mid makes it read; its echo adds nothing", async () => {
    assert.equal((await host.call('POST', `/v1/sessions/${sessionId}/assign`, { token: alice, body: { operator: 'alice' } })).status, 200);
    const reply = await kit.reply(sessionId, alice, 'Yes, we have it in blue');
    await kit.statusIs(sessionId, reply, 'sent');
    const call = fake.sends(credentials.accountId).at(-1)!;
    assert.equal(call.headers.authorization, `Bearer ${credentials.accessToken}`);
    assert.deepEqual(call.json, { recipient: { id: CLIENT }, message: { text: 'Yes, we have it in blue' } });
    const mid = fake.answered(call);
    const count = (await kit.messagesOf(sessionId)).length;
    const echo = {
      sender: { id: credentials.accountId },
      recipient: { id: CLIENT },
      timestamp: Date.now(),
      message: { mid, text: 'Yes, we have it in blue', is_echo: true },
    };
    assert.equal((await notify([echo])).status, 200);
    assert.equal((await kit.messagesOf(sessionId)).length, count, 'the echo of our reply is not a client message');
    assert.equal((await notify([instagramRead(credentials.accountId, CLIENT, mid)])).status, 200);
    await kit.statusIs(sessionId, reply, 'read');
  });

  test('a read watermark makes the replies sent before it read', async () => {
    const reply = await kit.reply(sessionId, alice, 'Shall I reserve one?');
    await kit.statusIs(sessionId, reply, 'sent');
    const watermark = { sender: { id: CLIENT }, recipient: { id: credentials.accountId }, timestamp: Date.now(), read: { watermark: Date.now() + 1000 } };
    assert.equal((await notify([watermark])).status, 200);
    await kit.statusIs(sessionId, reply, 'read');
  });

  test('a message outside the window fails without retries; a rate limit is retried; a refused token puts the channel in error', async () => {
    fake.failNext('/messages', metaFailures.outsideWindow());
    const late = await kit.reply(sessionId, alice, 'too late');
    await kit.statusIs(sessionId, late, 'failed');
    assert.equal(fake.sends(credentials.accountId).filter((c) => c.json?.message?.text === 'too late').length, 1);
    fake.failNext('/messages', metaFailures.tooManyRequests());
    const paused = await kit.reply(sessionId, alice, 'after a pause');
    await kit.statusIs(sessionId, paused, 'sent');
    fake.failNext('/messages', metaFailures.invalidToken());
    const refused = await kit.reply(sessionId, alice, 'one more');
    await kit.statusIs(sessionId, refused, 'failed');
    await kit.until('the channel in error', async () => (await kit.channelNow(channelId))._state === 'error');
    assert.ok(!String((await kit.channelNow(channelId))._lastError).includes(credentials.accessToken));
  });

  test('disconnect: messages are taken no more; reconnect: they flow again', async () => {
    assert.equal((await host.call('POST', `/v1/channels/${channelId}/disconnect`, { token: w.admin })).status, 200);
    const count = (await kit.messagesOf(sessionId)).length;
    assert.equal((await notify([text('while off', 'mid.off')])).status, 200);
    assert.equal((await kit.messagesOf(sessionId)).length, count);
    const on = await host.call('POST', `/v1/channels/${channelId}/reconnect`, { token: w.admin });
    assert.equal(on.status, 200, JSON.stringify(on.body));
    assert.equal((await notify([text('back', 'mid.back')])).status, 200);
    assert.ok((await kit.messagesOf(sessionId)).some((m) => m.body === 'back'));
  });
});
