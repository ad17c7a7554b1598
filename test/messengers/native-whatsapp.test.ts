/**
 * A WhatsApp Business number connected natively, end to end against the Graph API fake on
 * loopback (test/support/fakes/meta.ts): connect with credentials → Meta's handshake → signed
 * notification → session and client → duplicates ignored (also in parallel) → forged signature
 * refused with nothing written → an operator's reply sent to /{phoneNumberId}/messages → `sent`,
 * then `delivered`, `read` and `failed` from statuses → a rate limit retried → a refused token
 * puts the channel in error → disconnect and reconnect. Real HTTP, DynamoDB Local, its stream.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type MetaFake,
  metaFailures,
  metaSignature,
  startMetaFake,
  WHATSAPP_CREDENTIALS,
  whatsappNotification,
  whatsappStatus,
  whatsappText,
} from '../support/fakes/meta.ts';
import { sameTable, snapshot, type World } from '../support/fixtures.ts';
import type { TestHost } from '../support/host.ts';
import { type NativeKit, nativeSuite } from '../support/native.ts';

// Short retry delays so that retries happen within the test.
process.env.WEBHOOK_RETRY_SECONDS = '0.2,0.3,0.3,0.5,0.5';

const credentials = WHATSAPP_CREDENTIALS;
const SHEENA = '16505551234';

let fake: MetaFake;
let host: TestHost;
let w: World;
let kit: NativeKit;
let alice: string;
let channelId = '';
let sessionId = '';

nativeSuite(
  () => startMetaFake({ accessToken: credentials.accessToken, phoneNumberIds: [credentials.phoneNumberId] }),
  'WHATSAPP_API_URL',
  (f) => f.apiUrl,
  (suite) => {
    ({ fake, host, w, kit, alice } = suite);
  },
);

/** Posts a notification as Meta does: the raw body signed with the app secret (or as told). */
const notify = (payload: unknown, options: { secret?: string; signature?: string | null; channel?: string } = {}) => {
  const body = JSON.stringify(payload);
  const signature = options.signature === undefined ? metaSignature(body, options.secret ?? credentials.appSecret) : options.signature;
  return kit.hook('POST', `/v1/hooks/whatsapp/${options.channel ?? channelId}`, {
    body,
    headers: signature === null ? {} : { 'x-hub-signature-256': signature },
  });
};
const text = (body: string, id?: string) => whatsappNotification(credentials.phoneNumberId, whatsappText(SHEENA, 'Sheena Nelson', body, id));
const status = (wamid: string, s: 'delivered' | 'read' | 'failed', error?: { code: number; title: string; details: string }) =>
  whatsappNotification(credentials.phoneNumberId, whatsappStatus(wamid, s, SHEENA, error));

describe('a WhatsApp number, natively', () => {
  test('credentials of the wrong shape are a 400 naming the field, and write nothing', async () => {
    const before = await snapshot(host);
    const bad = await host.call('POST', '/v1/channels', {
      token: w.admin,
      body: { _line: w.line.__id, _type: 'whatsapp', __name: 'WhatsApp', _credentials: { ...credentials, phoneNumberId: '+1 650 555' } },
    });
    assert.equal(bad.status, 400, JSON.stringify(bad.body));
    assert.equal(bad.body.errors[0].path, '_credentials.phoneNumberId');
    const missing = await host.call('POST', '/v1/channels', {
      token: w.admin,
      body: { _line: w.line.__id, _type: 'whatsapp', __name: 'WhatsApp', _credentials: { phoneNumberId: credentials.phoneNumberId } },
    });
    assert.equal(missing.status, 400);
    sameTable(before, await snapshot(host));
  });

  test('connect: the channel is active; no secret is answered or stored in clear', async () => {
    const r = await host.call('POST', '/v1/channels', {
      token: w.admin,
      body: { _line: w.line.__id, _type: 'whatsapp', __name: 'WhatsApp +1 650', _credentials: credentials },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    channelId = r.body.__id;
    assert.equal(r.body._state, 'active');
    assert.equal(r.body._credentials, undefined);
    const stored = await kit.everyItemText();
    for (const secret of [credentials.accessToken, credentials.appSecret, credentials.verifyToken]) {
      assert.ok(!JSON.stringify(r.body).includes(secret));
      assert.ok(!stored.includes(secret), 'a secret is in the table in clear');
    }
    assert.equal(fake.requests.length, 0, 'WhatsApp has no webhook registration call');
  });

  test("Meta's handshake gets the challenge as text, only with the verify token", async () => {
    const query = (token: string) => `?hub.mode=subscribe&hub.verify_token=${encodeURIComponent(token)}&hub.challenge=1158201444`;
    const ok = await kit.hook('GET', `/v1/hooks/whatsapp/${channelId}${query(credentials.verifyToken)}`);
    assert.equal(ok.status, 200);
    assert.equal(ok.text, '1158201444');
    assert.match(ok.contentType ?? '', /^text\/plain/);
    assert.equal((await kit.hook('GET', `/v1/hooks/whatsapp/${channelId}${query('guess')}`)).status, 401);
    assert.equal((await kit.hook('GET', `/v1/hooks/whatsapp/${w.channel.__id}${query(credentials.verifyToken)}`)).status, 401);
  });

  test('a signed message opens a session for a client named as in WhatsApp', async () => {
    const sent = await notify(text('Does it come in another color?', 'wamid.first'));
    assert.equal(sent.status, 200, sent.text);
    const [client, ...others] = await kit.clientsOf(channelId);
    assert.equal(others.length, 0);
    assert.equal(client._username, SHEENA);
    assert.equal(client.__name, 'Sheena Nelson');
    const sessions = await kit.sessionsOf(channelId);
    assert.equal(sessions.length, 1);
    sessionId = sessions[0].__id;
    assert.deepEqual(
      (await kit.messagesOf(sessionId)).filter((m) => m.author === 'client').map((m) => [m.body, m.externalId]),
      [['Does it come in another color?', 'wamid.first']],
    );
  });

  test('a repeated notification adds nothing, also ten at once', async () => {
    assert.equal((await notify(text('Does it come in another color?', 'wamid.first'))).status, 200);
    const parallel = await Promise.all(Array.from({ length: 10 }, () => notify(text('Hello?', 'wamid.second'))));
    assert.ok(
      parallel.every((p) => p.status === 200),
      parallel.map((p) => p.status).join(','),
    );
    assert.deepEqual(
      (await kit.messagesOf(sessionId)).filter((m) => m.author === 'client').map((m) => m.body),
      ['Does it come in another color?', 'Hello?'],
    );
  });

  test('a forged, missing or misplaced signature is 401 and writes nothing', async () => {
    const before = await snapshot(host);
    assert.equal((await notify(text('forged', 'wamid.forged'), { secret: 'another-app-secret' })).status, 401);
    assert.equal((await notify(text('unsigned', 'wamid.unsigned'), { signature: null })).status, 401);
    assert.equal((await notify(text('bare hex', 'wamid.bare'), { signature: metaSignature('x', credentials.appSecret).slice(7) })).status, 401);
    // The right signature on a channel that does not exist, or is of another type: the same 401.
    assert.equal((await notify(text('elsewhere', 'wamid.x'), { channel: '00000000-0000-4000-8000-000000000000' })).status, 401);
    assert.equal((await notify(text('elsewhere', 'wamid.y'), { channel: w.channel.__id })).status, 401);
    // Signed by the same app, but about another of its numbers: taken by no one here.
    const otherNumber = whatsappNotification('999999999999999', whatsappText(SHEENA, 'Sheena Nelson', 'to the other number', 'wamid.other'));
    assert.equal((await notify(otherNumber)).status, 200);
    const garbage = await kit.hook('POST', `/v1/hooks/whatsapp/${channelId}`, { body: '{not json', headers: { 'x-hub-signature-256': 'sha256=00' } });
    assert.equal(garbage.status, 401);
    sameTable(before, await snapshot(host));
  });

  test("an operator's reply goes to /{phoneNumberId}/messages for the client's number and becomes sent, then delivered and read", async () => {
    assert.equal((await host.call('POST', `/v1/sessions/${sessionId}/assign`, { token: alice, body: { operator: 'alice' } })).status, 200);
    const before = fake.sends(credentials.phoneNumberId).length;
    const reply = await kit.reply(sessionId, alice, 'Yes, in blue and green');
    await kit.statusIs(sessionId, reply, 'sent');
    const [call, ...more] = fake.sends(credentials.phoneNumberId).slice(before);
    assert.equal(more.length, 0);
    assert.equal(call!.headers.authorization, `Bearer ${credentials.accessToken}`);
    assert.deepEqual(call!.json, {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: SHEENA,
      type: 'text',
      text: { body: 'Yes, in blue and green', preview_url: false },
    });
    const wamid = fake.answered(call!);
    assert.equal((await notify(status(wamid, 'delivered'))).status, 200);
    await kit.statusIs(sessionId, reply, 'delivered');
    assert.equal((await notify(status(wamid, 'read'))).status, 200);
    await kit.statusIs(sessionId, reply, 'read');
    // A status about a message chatlines never sent changes nothing.
    assert.equal((await notify(status('wamid.unknown', 'read'))).status, 200);
  });

  test('a failed status (outside the 24-hour window) marks the reply failed', async () => {
    const reply = await kit.reply(sessionId, alice, 'Are you still there?');
    await kit.statusIs(sessionId, reply, 'sent');
    const wamid = fake.answered(fake.sends(credentials.phoneNumberId).at(-1)!);
    const failed = status(wamid, 'failed', { code: 131047, title: 'Re-engagement message', details: 'More than 24 hours have passed.' });
    assert.equal((await notify(failed)).status, 200);
    await kit.statusIs(sessionId, reply, 'failed');
  });

  test('a rate limit is retried; a closed window answered at once fails the reply without retries', async () => {
    fake.failNext('/messages', metaFailures.throughput());
    const reply = await kit.reply(sessionId, alice, 'after a pause');
    await kit.statusIs(sessionId, reply, 'sent');
    assert.equal(fake.sends(credentials.phoneNumberId).filter((c) => c.json?.text?.body === 'after a pause').length, 2);
    fake.failNext('/messages', metaFailures.reengagement());
    const refused = await kit.reply(sessionId, alice, 'too late');
    await kit.statusIs(sessionId, refused, 'failed');
    assert.equal(fake.sends(credentials.phoneNumberId).filter((c) => c.json?.text?.body === 'too late').length, 1);
    assert.equal((await kit.channelNow(channelId))._state, 'active');
  });

  test('a refused token (190) fails the reply and puts the channel in error with the reason', async () => {
    fake.failNext('/messages', metaFailures.invalidToken());
    const reply = await kit.reply(sessionId, alice, 'one more');
    await kit.statusIs(sessionId, reply, 'failed');
    await kit.until('the channel in error', async () => (await kit.channelNow(channelId))._state === 'error');
    const channel = await kit.channelNow(channelId);
    assert.match(channel._lastError, /190|OAuth/);
    assert.ok(!String(channel._lastError).includes(credentials.accessToken));
  });

  test('disconnect: notifications are taken no more (and the seed allows no reconnect of a whatsapp channel)', async () => {
    const off = await host.call('POST', `/v1/channels/${channelId}/disconnect`, { token: w.admin });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    const before = (await kit.messagesOf(sessionId)).length;
    assert.equal((await notify(text('while disconnected', 'wamid.off'))).status, 200);
    assert.equal((await kit.messagesOf(sessionId)).length, before);
    assert.equal((await host.call('POST', `/v1/channels/${channelId}/reconnect`, { token: w.admin })).status, 409);
  });
});
