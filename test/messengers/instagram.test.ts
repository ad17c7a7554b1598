/** The Instagram messaging adapter (lib/adapters/messengers/instagram.ts) against the Graph API fake on loopback. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { instagram } from '../../lib/adapters/messengers/instagram.ts';
import type { HookRequest, OutboundReply } from '../../lib/adapters/messengers/port.ts';
import { InstagramCredentials as instagramCredentials } from '../../lib/contract/messengers.ts';
import { instagramNotification, instagramRead, instagramText, type MetaFake, metaFailures, metaSignature, startMetaFake } from '../support/fakes/meta.ts';

const credentials = instagramCredentials.parse({
  accountId: '17841405822304914',
  accessToken: 'IGAA-token',
  appSecret: 'ig-app-secret',
  verifyToken: 'ig-verify',
});

const post = (body: string, signature?: string): HookRequest => ({
  method: 'POST',
  headers: signature === undefined ? {} : { 'x-hub-signature-256': signature },
  query: {},
  rawBody: body,
});
const parse = (payload: unknown) => instagram.parse(post(JSON.stringify(payload)));
const reply = (text: string, files: OutboundReply['files'] = []): OutboundReply => ({ messageId: 'msg-1', account: '6543210987654321', text, files });

describe('Instagram: verify', () => {
  it('answers the handshake for the verify token and refuses another', () => {
    const handshake = (token: string): HookRequest => ({
      method: 'GET',
      headers: {},
      query: { 'hub.mode': 'subscribe', 'hub.verify_token': token, 'hub.challenge': 'abc123' },
      rawBody: '',
    });
    assert.deepEqual(instagram.verify(handshake('ig-verify'), credentials, ''), {
      answer: { status: 200, body: 'abc123', contentType: 'text/plain; charset=utf-8' },
    });
    assert.deepEqual((instagram.verify(handshake('nope'), credentials, '') as { ok: boolean }).ok, false);
  });

  it('accepts the app secret’s signature and refuses a forged one', () => {
    const body = JSON.stringify(instagramNotification(credentials.accountId, [instagramText(credentials.accountId, '6543210987654321', 'hi')]));
    assert.deepEqual(instagram.verify(post(body, metaSignature(body, 'ig-app-secret')), credentials, ''), { ok: true });
    assert.equal((instagram.verify(post(body, metaSignature(body, 'other')), credentials, '') as { ok: boolean }).ok, false);
    assert.equal((instagram.verify(post(body), credentials, '') as { ok: boolean }).ok, false);
  });
});

describe('Instagram: parse', () => {
  it('reads a text message: mid, sender IGSID, time', () => {
    const message = instagramText(credentials.accountId, '6543210987654321', 'Is the blue one in stock?', 'aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx');
    assert.deepEqual(parse(instagramNotification(credentials.accountId, [message])), [
      {
        kind: 'message',
        externalId: 'aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx',
        account: '6543210987654321',
        text: 'Is the blue one in stock?',
        attachments: [],
        at: new Date(message.timestamp).toISOString(),
      },
    ]);
  });

  it('reads attachments as URL refs, shares as links; ignores echoes and deleted messages', () => {
    const base = { sender: { id: '6543210987654321' }, recipient: { id: credentials.accountId }, timestamp: 1749416383000 };
    const events = parse(
      instagramNotification(credentials.accountId, [
        {
          ...base,
          message: { mid: 'm.image', attachments: [{ type: 'image', payload: { url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1' } }] },
        },
        { ...base, message: { mid: 'm.share', attachments: [{ type: 'share', payload: { url: 'https://www.instagram.com/p/xyz/' } }] } },
        { sender: base.recipient, recipient: base.sender, timestamp: base.timestamp, message: { mid: 'm.echo', text: 'our reply', is_echo: true } },
        { ...base, message: { mid: 'm.deleted', is_deleted: true } },
      ]),
    );
    assert.deepEqual(events, [
      {
        kind: 'message',
        externalId: 'm.image',
        account: '6543210987654321',
        text: '',
        attachments: [{ ref: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1' }],
        at: '2025-06-08T20:59:43.000Z',
      },
      {
        kind: 'message',
        externalId: 'm.share',
        account: '6543210987654321',
        text: 'share: https://www.instagram.com/p/xyz/',
        attachments: [],
        at: '2025-06-08T20:59:43.000Z',
      },
    ]);
  });

  it('reads a read of one of our messages as its status, a watermark as read-up-to; the dashboard’s changes[] form too', () => {
    const read = instagramRead(credentials.accountId, '6543210987654321', 'm.ours');
    const watermark = {
      sender: { id: '6543210987654321' },
      recipient: { id: credentials.accountId },
      timestamp: 1749416383000,
      read: { watermark: 1749416380000 },
    };
    assert.deepEqual(parse(instagramNotification(credentials.accountId, [read, watermark])), [
      { kind: 'status', externalId: 'm.ours', status: 'read', at: new Date(read.timestamp).toISOString() },
      { kind: 'readUpTo', account: '6543210987654321', at: '2025-06-08T20:59:40.000Z' },
    ]);
    const test = { object: 'instagram', entry: [{ id: '0', time: 1, changes: [{ field: 'messages', value: instagramText('0', '12334', 'test', 'm.test') }] }] };
    assert.deepEqual(
      parse(test).map((e) => e.kind === 'message' && e.externalId),
      ['m.test'],
    );
    assert.deepEqual(parse({ object: 'page', entry: [{ messaging: [read] }] }), []);
  });
});

describe('Instagram: send', () => {
  let fake: MetaFake;
  before(async () => {
    fake = await startMetaFake({ accessToken: credentials.accessToken, accountIds: [credentials.accountId] });
    process.env.INSTAGRAM_API_URL = fake.apiUrl;
  });
  after(async () => {
    delete process.env.INSTAGRAM_API_URL;
    await fake.close();
  });

  it('sends { recipient: { id }, message: { text } } to /{accountId}/messages; the mid is the external id', async () => {
    const result = await instagram.send(reply('We have it in blue'), credentials);
    const call = fake.sends(credentials.accountId).at(-1)!;
    assert.equal(call.path, `/v23.0/${credentials.accountId}/messages`);
    assert.equal(call.headers.authorization, `Bearer ${credentials.accessToken}`);
    assert.deepEqual(call.json, { recipient: { id: '6543210987654321' }, message: { text: 'We have it in blue' } });
    assert.ok(result.ok && result.externalId.startsWith('aWdf'));
  });

  it('sends files by URL after the text, each as its kind; the last mid names the reply', async () => {
    const before = fake.sends(credentials.accountId).length;
    const result = await instagram.send(
      reply('See these', [
        { name: 'a.png', contentType: 'image/png', size: 10, url: 'https://files.example/a.png' },
        { name: 'b.pdf', contentType: 'application/pdf', size: 10, url: 'https://files.example/b.pdf' },
      ]),
      credentials,
    );
    const calls = fake.sends(credentials.accountId).slice(before);
    assert.deepEqual(
      calls.map((c) => c.json.message),
      [
        { text: 'See these' },
        { attachment: { type: 'image', payload: { url: 'https://files.example/a.png' } } },
        { attachment: { type: 'file', payload: { url: 'https://files.example/b.pdf' } } },
      ],
    );
    assert.ok(result.ok);
    assert.notEqual(result.externalId, '');
  });

  it('maps failures: a bad token refuses the credentials, a rate limit retries, outside the window is final', async () => {
    fake.failNext('/messages', metaFailures.invalidToken());
    const refused = await instagram.send(reply('x'), credentials);
    assert.ok(!refused.ok && refused.credentialsRefused && !refused.retry);
    fake.failNext('/messages', metaFailures.tooManyRequests());
    const limited = await instagram.send(reply('x'), credentials);
    assert.ok(!limited.ok && limited.retry);
    fake.failNext('/messages', metaFailures.outsideWindow());
    const window = await instagram.send(reply('x'), credentials);
    assert.ok(!window.ok && !window.retry && !window.credentialsRefused);
    assert.match(window.error, /outside of allowed window/);
  });

  it('shows typing with sender_action; fetches a CDN attachment without the token', async () => {
    await instagram.typing!('6543210987654321', credentials);
    assert.deepEqual(fake.sends(credentials.accountId).at(-1)!.json, { recipient: { id: '6543210987654321' }, sender_action: 'typing_on' });
    fake.media.set('ig/photo.jpg', { bytes: new Uint8Array([1, 2, 3]), mimeType: 'image/jpeg' });
    const file = await instagram.fetchAttachment!({ ref: `${fake.url}/cdn/ig/photo.jpg` }, credentials);
    assert.deepEqual([...file.bytes], [1, 2, 3]);
    assert.equal(file.contentType, 'image/jpeg');
    assert.equal(fake.requests.at(-1)!.headers.authorization, undefined);
  });
});
