/**
 * A Telegram bot connected natively, end to end against a fake Bot API on loopback
 * (test/support/fakes/telegram.ts): connect → webhook registered with a secret → signed update →
 * session and client → duplicates ignored (also in parallel) → forged secret refused with nothing
 * written → an operator's reply sent with sendMessage to the right chat → `sent` → 429 retried
 * after retry_after → 403 marks the reply failed → 401 puts the channel in error → disconnect
 * removes the webhook, reconnect registers it again. Real HTTP, DynamoDB Local, its stream.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { telegram } from '../../lib/adapters/messengers/telegram.ts';
import { type FakeTelegram, startFakeTelegram, textUpdate } from '../support/fakes/telegram.ts';
import { sameTable, snapshot, type World } from '../support/fixtures.ts';
import type { TestHost } from '../support/host.ts';
import { openLive, roundTrip } from '../support/live.ts';
import { nativeSuite } from '../support/native.ts';

// Short retry delays so that retries happen within the test.
process.env.WEBHOOK_RETRY_SECONDS = '0.2,0.3,0.3,0.5,0.5';

const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1';
const OTHER = '987654321:AAFakeFakeFakeFakeFakeFakeFakeFake12';

let fake: FakeTelegram;
let host: TestHost;
let w: World;
let alice: string;

nativeSuite(
  async () => {
    const started = await startFakeTelegram();
    started.tokens.add(TOKEN);
    return started;
  },
  'TELEGRAM_API_URL',
  (f) => f.url,
  (suite) => {
    ({ fake, host, w, alice } = suite);
  },
);

const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 15_000) => {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

async function channelNow(id: string) {
  const r = await host.call('POST', '/v1/channels/search', { token: w.admin, body: { where: { eq: ['__id', id] }, size: 1 } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.items[0];
}
async function messagesOf(session: string) {
  const r = await host.call('GET', `/v1/sessions/${session}/messages?size=1000`, { token: w.admin });
  assert.equal(r.status, 200);
  return r.body as { __id: string; author: string; body: string; externalId: string | null; _deliveryStatus: string | null }[];
}
async function everyItemText(): Promise<string> {
  const client = new DynamoDBClient({ endpoint: host.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const out = await client.send(new ScanCommand({ TableName: host.tableName }));
  client.destroy();
  return JSON.stringify(out.Items);
}

const ann = { id: 555001, first_name: 'Ann', last_name: 'Lee', username: 'ann_lee' };
let channelId = '';
let sessionId = '';

describe('a Telegram bot, natively', () => {
  test('connecting with a token the messenger refuses is a 400 and writes nothing', async () => {
    const before = await snapshot(host);
    const malformed = await host.call('POST', '/v1/channels', {
      token: w.admin,
      body: { _line: w.line.__id, _type: 'telegramBot', __name: 'Bot', _credentials: { botToken: 'nope' } },
    });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.errors[0].path, '_credentials.botToken');
    const refused = await host.call('POST', '/v1/channels', {
      token: w.admin,
      body: { _line: w.line.__id, _type: 'telegramBot', __name: 'Bot', _credentials: { botToken: OTHER } },
    });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.match(refused.body.detail, /refused/);
    const wrongShape = await host.call('POST', '/v1/channels', {
      token: w.admin,
      body: { _line: w.line.__id, _type: 'telegramBot', __name: 'Bot', _credentials: { authToken: 'x' } },
    });
    assert.equal(wrongShape.status, 400);
    const notNative = await host.call('POST', '/v1/channels', {
      token: w.admin,
      body: { _line: w.line.__id, _type: 'custom', __name: 'Bot', _credentials: { botToken: TOKEN } },
    });
    assert.equal(notNative.status, 400);
    sameTable(before, await snapshot(host));
    assert.equal(fake.webhooks.size, 0);
  });

  test('connect: the webhook is registered with a generated secret; the token is never answered or stored in clear', async () => {
    const r = await host.call('POST', '/v1/channels', {
      token: w.admin,
      body: { _line: w.line.__id, _type: 'telegramBot', __name: 'Support bot', _credentials: { botToken: TOKEN } },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    channelId = r.body.__id;
    assert.equal(r.body._state, 'active');
    assert.ok(!JSON.stringify(r.body).includes(TOKEN));
    assert.equal(r.body._credentials, undefined);
    const hook = fake.webhooks.get(TOKEN);
    assert.equal(hook?.url, `${host.url}/v1/hooks/telegram/${channelId}`);
    assert.match(hook?.secret_token ?? '', /^[A-Za-z0-9_-]{32,256}$/);
    const stored = await everyItemText();
    assert.ok(!stored.includes(TOKEN), 'the token is in the table in clear');
    assert.ok(!stored.includes(hook!.secret_token!), 'the hook secret is in the table in clear');
    assert.ok(!JSON.stringify(await channelNow(channelId)).includes(TOKEN));
  });

  test('a signed update opens a session for a client named as in Telegram', async () => {
    const sent = await fake.post(TOKEN, textUpdate(1, 10, ann, 'hello'));
    assert.equal(sent.status, 200, sent.body);
    const clients = await host.call('POST', '/v1/clients/search', {
      token: w.admin,
      body: { where: { eq: ['_channel', channelId] }, size: 10 },
    });
    assert.equal(clients.body.items.length, 1);
    const client = clients.body.items[0];
    assert.equal(client._username, String(ann.id));
    assert.equal(client.__name, 'Ann Lee');
    assert.equal(client._extraData.username, 'ann_lee');
    const sessions = await host.call('POST', '/v1/sessions/search', { token: w.admin, body: { where: { eq: ['_channel', channelId] }, size: 10 } });
    assert.equal(sessions.body.items.length, 1);
    sessionId = sessions.body.items[0].__id;
    const messages = (await messagesOf(sessionId)).filter((m) => m.author === 'client');
    assert.deepEqual(
      messages.map((m) => [m.body, m.externalId]),
      [['hello', `${ann.id}:10`]],
    );
  });

  test('a repeated update adds nothing, also ten at once', async () => {
    assert.equal((await fake.post(TOKEN, textUpdate(1, 10, ann, 'hello'))).status, 200);
    const parallel = await Promise.all(Array.from({ length: 10 }, () => fake.post(TOKEN, textUpdate(2, 11, ann, 'are you there?'))));
    assert.ok(
      parallel.every((p) => p.status === 200),
      parallel.map((p) => p.status).join(','),
    );
    const messages = (await messagesOf(sessionId)).filter((m) => m.author === 'client');
    assert.deepEqual(
      messages.map((m) => m.body),
      ['hello', 'are you there?'],
    );
  });

  test('a forged, missing or misplaced secret is 401 and writes nothing', async () => {
    const before = await snapshot(host);
    const forged = await fake.post(TOKEN, textUpdate(3, 12, ann, 'forged'), { secret: 'x'.repeat(43) });
    assert.equal(forged.status, 401);
    const none = await fake.post(TOKEN, textUpdate(3, 12, ann, 'forged'), { secret: null });
    assert.equal(none.status, 401);
    const secret = fake.webhooks.get(TOKEN)!.secret_token!;
    const headers = { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret };
    const body = JSON.stringify(textUpdate(3, 12, ann, 'elsewhere'));
    // The right secret on a channel that does not exist, or is not a telegram bot: the same 401.
    const missing = await fetch(`${host.url}/v1/hooks/telegram/00000000-0000-4000-8000-000000000000`, { method: 'POST', headers, body });
    assert.equal(missing.status, 401);
    const otherType = await fetch(`${host.url}/v1/hooks/telegram/${w.channel.__id}`, { method: 'POST', headers, body });
    assert.equal(otherType.status, 401);
    // A broken body with a forged secret is 401 too: nothing is parsed before the proof.
    const garbage = await fake.post(TOKEN, textUpdate(3, 12, ann, ''), { secret: 'forged', raw: '{not json' });
    assert.equal(garbage.status, 401);
    sameTable(before, await snapshot(host));
  });

  test("an operator's reply goes out with sendMessage to the client's chat and becomes sent; a staff note never does", async () => {
    assert.equal((await host.call('POST', `/v1/sessions/${sessionId}/assign`, { token: alice, body: { operator: 'alice' } })).status, 200);
    const note = await host.call('POST', `/v1/sessions/${sessionId}/messages`, { token: alice, body: { type: 'system', body: 'VIP client' } });
    assert.equal(note.status, 201, JSON.stringify(note.body));
    const reply = await host.call('POST', `/v1/sessions/${sessionId}/messages`, { token: alice, body: { type: 'text', body: 'how can I help?' } });
    assert.equal(reply.status, 201);
    await fake.waitFor(() => fake.callsOf('sendMessage').some((c) => c.body.text === 'how can I help?'), 'the reply sent');
    const call = fake.callsOf('sendMessage').find((c) => c.body.text === 'how can I help?')!;
    assert.equal(call.token, TOKEN);
    assert.equal(String(call.body.chat_id), String(ann.id));
    await until('the reply sent', async () => (await messagesOf(sessionId)).find((m) => m.__id === reply.body.__id)?._deliveryStatus === 'sent');
    assert.ok(!fake.callsOf('sendMessage').some((c) => c.body.text === 'VIP client'));
  });

  test("the operator's typing is passed on with sendChatAction, once while the throttle holds", async () => {
    const socket = await openLive(host.url, alice);
    try {
      const before = fake.callsOf('sendChatAction').length;
      for (let i = 0; i < 3; i++) socket.send({ type: 'typing', session: sessionId });
      await until('sendChatAction', async () => fake.callsOf('sendChatAction').length > before);
      const call = fake.callsOf('sendChatAction')[before]!;
      assert.deepEqual({ chat: String(call.body.chat_id), action: call.body.action }, { chat: String(ann.id), action: 'typing' });
      await roundTrip(socket.ws);
      assert.equal(fake.callsOf('sendChatAction').length, before + 1, 'three frames at once: one action');
    } finally {
      socket.ws.close();
    }
  });

  test('429 is retried after retry_after', async () => {
    fake.failNext('sendMessage', 429, 'Too Many Requests: retry after 1', 1);
    const reply = await host.call('POST', `/v1/sessions/${sessionId}/messages`, { token: alice, body: { type: 'text', body: 'after a pause' } });
    await until(
      'the reply sent after the pause',
      async () => (await messagesOf(sessionId)).find((m) => m.__id === reply.body.__id)?._deliveryStatus === 'sent',
    );
    const attempts = fake.callsOf('sendMessage').filter((c) => c.body.text === 'after a pause');
    assert.equal(attempts.length, 2);
    assert.ok(attempts[1]!.at - attempts[0]!.at >= 950, `retried after ${attempts[1]!.at - attempts[0]!.at} ms`);
  });

  test('403 (blocked by the user) marks the reply failed, without retries', async () => {
    fake.blocked.add(String(ann.id));
    const reply = await host.call('POST', `/v1/sessions/${sessionId}/messages`, { token: alice, body: { type: 'text', body: 'are you still there?' } });
    await until('the reply failed', async () => (await messagesOf(sessionId)).find((m) => m.__id === reply.body.__id)?._deliveryStatus === 'failed');
    assert.equal(fake.callsOf('sendMessage').filter((c) => c.body.text === 'are you still there?').length, 1);
    fake.blocked.delete(String(ann.id));
    assert.equal((await channelNow(channelId))._state, 'active');
  });

  test('401 (token revoked) fails the reply and puts the channel in error with the reason', async () => {
    fake.failNext('sendMessage', 401, 'Unauthorized');
    const reply = await host.call('POST', `/v1/sessions/${sessionId}/messages`, { token: alice, body: { type: 'text', body: 'one more' } });
    await until('the reply failed', async () => (await messagesOf(sessionId)).find((m) => m.__id === reply.body.__id)?._deliveryStatus === 'failed');
    await until('the channel in error', async () => (await channelNow(channelId))._state === 'error');
    const channel = await channelNow(channelId);
    assert.match(channel._lastError, /Unauthorized/);
    assert.ok(!String(channel._lastError).includes(TOKEN));
  });

  test('disconnect removes the webhook; reconnect registers it again and clears the error', async () => {
    const off = await host.call('POST', `/v1/channels/${channelId}/disconnect`, { token: w.admin });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    assert.equal(fake.callsOf('deleteWebhook').length, 1);
    assert.equal(fake.webhooks.has(TOKEN), false);
    const before = fake.callsOf('setWebhook').length;
    const on = await host.call('POST', `/v1/channels/${channelId}/reconnect`, { token: w.admin });
    assert.equal(on.status, 200, JSON.stringify(on.body));
    assert.equal(on.body._state, 'active');
    assert.equal(on.body._lastError, null);
    assert.equal(fake.callsOf('setWebhook').length, before + 1);
    assert.equal(fake.webhooks.get(TOKEN)?.url, `${host.url}/v1/hooks/telegram/${channelId}`);
    // Messages flow again under the (same) secret.
    assert.equal((await fake.post(TOKEN, textUpdate(4, 13, ann, 'back'))).status, 200);
    assert.ok((await messagesOf(sessionId)).some((m) => m.body === 'back'));
  });

  test('new credentials by PATCH are registered with a new secret; the old secret stops working', async () => {
    fake.tokens.add(OTHER);
    const oldSecret = fake.webhooks.get(TOKEN)!.secret_token!;
    const r = await host.call('PATCH', `/v1/channels/${channelId}`, { token: w.admin, body: { _credentials: { botToken: OTHER } } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(!JSON.stringify(r.body).includes(OTHER));
    const hook = fake.webhooks.get(OTHER)!;
    assert.equal(hook.url, `${host.url}/v1/hooks/telegram/${channelId}`);
    assert.notEqual(hook.secret_token, oldSecret);
    assert.equal((await fake.post(TOKEN, textUpdate(5, 14, ann, 'old secret'))).status, 401);
    assert.equal((await fake.post(OTHER, textUpdate(6, 15, ann, 'new secret'))).status, 200);
    // Its replies stay with the messenger: no _deliveryUrl on a native channel.
    const url = await host.call('PATCH', `/v1/channels/${channelId}`, { token: w.admin, body: { _deliveryUrl: 'https://example.com/x' } });
    assert.equal(url.status, 409);
  });
});

describe('the Telegram adapter', () => {
  test('typing goes out with sendChatAction; an attachment comes with getFile and the file URL', async () => {
    await telegram.typing!('555001', { botToken: TOKEN });
    assert.deepEqual(fake.callsOf('sendChatAction').at(-1)?.body, { chat_id: '555001', action: 'typing' });
    const file = await telegram.fetchAttachment!({ ref: 'AgAD-photo', contentType: 'image/jpeg' }, { botToken: TOKEN });
    assert.equal(Buffer.from(file.bytes).toString(), 'bytes');
    assert.equal(file.contentType, 'image/jpeg');
  });

  test('a photo with a caption and a document parse into text and attachments', () => {
    const update = {
      update_id: 9,
      message: {
        message_id: 20,
        date: 1_700_000_000,
        chat: { id: 7, type: 'private', first_name: 'Bo' },
        from: { id: 7, is_bot: false, first_name: 'Bo' },
        caption: 'my receipt',
        photo: [
          { file_id: 'small', file_unique_id: 's', width: 90, height: 90, file_size: 100 },
          { file_id: 'large', file_unique_id: 'l', width: 900, height: 900, file_size: 9000 },
        ],
      },
    };
    const [event] = telegram.parse({ method: 'POST', headers: {}, query: {}, rawBody: JSON.stringify(update) });
    assert.equal(event?.kind, 'message');
    if (event?.kind !== 'message') return;
    assert.equal(event.text, 'my receipt');
    assert.equal(event.externalId, '7:20');
    assert.equal(event.displayName, 'Bo');
    assert.deepEqual(
      event.attachments.map((a) => a.ref),
      ['large'],
    );
    const doc = {
      update_id: 10,
      message: {
        ...update.message,
        message_id: 21,
        caption: undefined,
        photo: undefined,
        document: { file_id: 'd1', file_unique_id: 'du', file_name: 'a.pdf', mime_type: 'application/pdf' },
      },
    };
    const [d] = telegram.parse({ method: 'POST', headers: {}, query: {}, rawBody: JSON.stringify(doc) });
    assert.ok(d?.kind === 'message' && d.attachments[0]?.name === 'a.pdf' && d.text === '');
    // Updates other than messages say nothing.
    assert.deepEqual(
      telegram.parse({ method: 'POST', headers: {}, query: {}, rawBody: JSON.stringify({ update_id: 11, edited_message: update.message }) }),
      [],
    );
  });
});
