/** The Viber bot adapter (lib/adapters/messengers/viber.ts) against the REST Bot API fake on loopback. */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { HookRequest, OutboundReply } from '../../lib/adapters/messengers/port.ts';
import { viber } from '../../lib/adapters/messengers/viber.ts';
import { ViberCredentials as viberCredentials } from '../../lib/contract/messengers.ts';
import { rawJson, startViberFake, type ViberFake, viberFailures, viberReceipt, viberSignature, viberText } from '../support/fakes/viber.ts';

const credentials = viberCredentials.parse({ authToken: '4453b6ac12345678-e02c5f12174805f9-daec9cbb5448c51f' });

const post = (body: string, signature?: string): HookRequest => ({
  method: 'POST',
  headers: signature === undefined ? {} : { 'x-viber-content-signature': signature },
  query: {},
  rawBody: body,
});
const parse = (payload: object) => viber.parse(post(rawJson(payload)));
const reply = (text: string, files: OutboundReply['files'] = []): OutboundReply => ({ messageId: 'msg-1', account: '01234567890A=', text, files });

describe('Viber: verify', () => {
  it('accepts the hex HMAC of the body under the auth token; refuses a forged, tampered or missing one, and GET', () => {
    const body = rawJson(viberText('01234567890A=', 'John McClane', 'hi'));
    assert.deepEqual(viber.verify(post(body, viberSignature(body, credentials.authToken)), credentials, ''), { ok: true });
    for (const [what, request] of [
      ['another token', post(body, viberSignature(body, 'other-token'))],
      ['a changed body', post(body.replace('hi', 'ho'), viberSignature(body, credentials.authToken))],
      ['no header', post(body)],
      ['GET', { method: 'GET', headers: {}, query: {}, rawBody: '' } as HookRequest],
    ] as const) {
      assert.equal((viber.verify(request, credentials, '') as { ok: boolean }).ok, false, what);
    }
  });
});

describe('Viber: parse', () => {
  it('reads a text message: message_token to the digit, sender id and name, time', () => {
    const callback = viberText('01234567890A=', 'John McClane', 'a message to the service', 5098034272017990001n);
    assert.deepEqual(parse(callback), [
      {
        kind: 'message',
        externalId: '5098034272017990001',
        account: '01234567890A=',
        displayName: 'John McClane',
        text: 'a message to the service',
        attachments: [],
        at: new Date(callback.timestamp).toISOString(),
      },
    ]);
    // Read as doubles, these two tokens would be one.
    assert.notEqual(
      (parse(viberText('u', 'n', 't', 5098034272017990002n))[0] as { externalId: string }).externalId,
      (parse(viberText('u', 'n', 't', 5098034272017990003n))[0] as { externalId: string }).externalId,
    );
  });

  it('reads pictures and files as media refs with the caption, name and size', () => {
    const base = viberText('01234567890A=', 'John', '', 5098034272017990010n);
    const events = [
      ...parse({ ...base, message: { type: 'picture', text: 'the label', media: 'https://dl-media.viber.com/1/pic.jpg', thumbnail: 'https://x' } }),
      ...parse({
        ...base,
        message_token: 5098034272017990011n,
        message: { type: 'file', media: 'https://dl-media.viber.com/1/report.pdf', file_name: 'report.pdf', size: 10240 },
      }),
    ];
    assert.deepEqual(
      events.map((e) => e.kind === 'message' && [e.externalId, e.text, e.attachments]),
      [
        ['5098034272017990010', 'the label', [{ ref: 'https://dl-media.viber.com/1/pic.jpg', name: undefined, size: undefined, contentType: 'image/jpeg' }]],
        ['5098034272017990011', '', [{ ref: 'https://dl-media.viber.com/1/report.pdf', name: 'report.pdf', size: 10240, contentType: undefined }]],
      ],
    );
  });

  it('reads delivered / seen / failed by message_token (seen is read); ignores webhook, subscribed and conversation_started', () => {
    assert.deepEqual(
      [
        ...parse(viberReceipt('delivered', '5098034272017990100', '01234567890A=')),
        ...parse(viberReceipt('seen', '5098034272017990100', '01234567890A=')),
        ...parse(viberReceipt('failed', '5098034272017990101', '01234567890A=', 'receiver is not subscribed')),
      ].map((e) => e.kind === 'status' && [e.externalId, e.status, e.error]),
      [
        ['5098034272017990100', 'delivered', undefined],
        ['5098034272017990100', 'read', undefined],
        ['5098034272017990101', 'failed', 'receiver is not subscribed'],
      ],
    );
    assert.deepEqual(parse({ event: 'webhook', timestamp: 1457764197627, chat_hostname: 'SN-CHAT-01_', message_token: 241256543215n }), []);
    assert.deepEqual(parse({ event: 'subscribed', timestamp: 1457764197627, user: { id: 'u', name: 'n' }, message_token: 4912661846655238145n }), []);
    assert.deepEqual(
      parse({ event: 'conversation_started', timestamp: 1457764197627, message_token: 4912661846655238145n, type: 'open', user: { id: 'u' } }),
      [],
    );
    assert.deepEqual(viber.parse(post('{')), []);
  });
});

describe('Viber: send, connect, disconnect', () => {
  let fake: ViberFake;
  let hook: Server;
  let hookUrl = '';
  let hookAnswers = 200;
  const hookBodies: { body: string; signature: string | undefined }[] = [];
  before(async () => {
    fake = await startViberFake({ authToken: credentials.authToken, accountName: 'Acme Support' });
    process.env.VIBER_API_URL = fake.apiUrl;
    // A stand-in for chatlines' hook: answers what the test says and keeps what came.
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        hookBodies.push({ body, signature: req.headers['x-viber-content-signature'] as string | undefined });
        res.writeHead(hookAnswers).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/v1/hooks/viber/ch-1`;
  });
  after(async () => {
    delete process.env.VIBER_API_URL;
    await fake.close();
    hook.closeAllConnections();
    await new Promise((r) => hook.close(r));
  });

  it('connect sets the webhook with the event types; Viber checks it with a signed webhook callback', async () => {
    await viber.connect!(hookUrl, credentials, '');
    const call = fake.requests.find((r) => r.path === '/pa/set_webhook')!;
    assert.equal(call.headers['x-viber-auth-token'], credentials.authToken);
    assert.deepEqual(call.json, {
      url: hookUrl,
      event_types: ['delivered', 'seen', 'failed', 'subscribed', 'unsubscribed', 'conversation_started'],
      send_name: true,
      send_photo: false,
    });
    assert.equal(fake.webhook, hookUrl);
    const check = hookBodies.at(-1)!;
    assert.equal(JSON.parse(check.body).event, 'webhook');
    assert.deepEqual(viber.verify(post(check.body, check.signature), credentials, ''), { ok: true });
  });

  it('connect fails when the hook does not answer 200, and when the token is refused', async () => {
    hookAnswers = 401;
    await assert.rejects(viber.connect!(`${hookUrl}x`, credentials, ''), /Webhook call failed/);
    hookAnswers = 200;
    assert.equal(fake.webhook, hookUrl, 'the old webhook stays');
    await assert.rejects(viber.connect!(hookUrl, { authToken: 'wrong' }, ''), /invalidAuthToken/);
  });

  it('sends a text with the X-Viber-Auth-Token, receiver and sender name (the bot’s own by default); the token is the external id', async () => {
    const result = await viber.send(reply('Hello, John'), credentials);
    const call = fake.requests.filter((r) => r.path === '/pa/send_message').at(-1)!;
    assert.equal(call.headers['x-viber-auth-token'], credentials.authToken);
    assert.deepEqual(call.json, { receiver: '01234567890A=', sender: { name: 'Acme Support' }, type: 'text', text: 'Hello, John' });
    assert.deepEqual(result, { ok: true, externalId: fake.tokens.at(-1) });
    const named = await viber.send(reply('Hi'), { ...credentials, senderName: 'Anna from Acme' });
    assert.ok(named.ok);
    assert.deepEqual(fake.requests.filter((r) => r.path === '/pa/send_message').at(-1)!.json.sender, { name: 'Anna from Acme' });
  });

  it('sends a small picture as a picture and other files as files', async () => {
    const before = fake.requests.length;
    const result = await viber.send(
      reply('', [
        { name: 'p.jpg', contentType: 'image/jpeg', size: 50_000, url: 'https://files.example/p.jpg' },
        { name: 'big.png', contentType: 'image/png', size: 5_000_000, url: 'https://files.example/big.png' },
      ]),
      credentials,
    );
    assert.ok(result.ok);
    assert.deepEqual(
      fake.requests
        .slice(before)
        .filter((r) => r.path === '/pa/send_message')
        .map((r) => ({ ...r.json, receiver: undefined, sender: undefined })),
      [
        { type: 'picture', text: '', media: 'https://files.example/p.jpg', receiver: undefined, sender: undefined },
        { type: 'file', media: 'https://files.example/big.png', size: 5_000_000, file_name: 'big.png', receiver: undefined, sender: undefined },
      ],
    );
  });

  it('maps status codes: 2 refuses the credentials, 12 retries, 6 is final; HTTP 5xx retries', async () => {
    fake.failNext('/pa/send_message', viberFailures.invalidAuthToken());
    const refused = await viber.send(reply('x'), credentials);
    assert.deepEqual(refused, { ok: false, error: 'Viber send_message: invalidAuthToken (status 2)', retry: false, credentialsRefused: true });
    fake.failNext('/pa/send_message', viberFailures.tooManyRequests());
    const limited = await viber.send(reply('x'), credentials);
    assert.ok(!limited.ok && limited.retry && !limited.credentialsRefused);
    fake.unsubscribed.add('01234567890A=');
    const gone = await viber.send(reply('x'), credentials);
    fake.unsubscribed.clear();
    assert.deepEqual(gone, { ok: false, error: 'Viber send_message: receiverNotSubscribed (status 6)', retry: false });
    fake.failNext('/pa/send_message', viberFailures.serverError());
    const down = await viber.send(reply('x'), credentials);
    assert.ok(!down.ok && down.retry);
  });

  it('fetches a media URL; disconnect sets an empty webhook', async () => {
    fake.media.set('pic.jpg', { bytes: new Uint8Array([9, 8, 7]), mimeType: 'image/jpeg' });
    const file = await viber.fetchAttachment!({ ref: `${fake.url}/media/pic.jpg`, contentType: 'image/jpeg' }, credentials);
    assert.deepEqual([...file.bytes], [9, 8, 7]);
    await viber.disconnect!(credentials);
    assert.deepEqual(fake.requests.filter((r) => r.path === '/pa/set_webhook').at(-1)!.json, { url: '' });
    assert.equal(fake.webhook, '');
    const unset = await viber.send(reply('x'), credentials);
    assert.ok(!unset.ok && unset.credentialsRefused, 'a bot without a webhook cannot send: the channel needs reconnecting');
  });

  it('validates credentials', () => {
    assert.equal(viberCredentials.safeParse({}).success, false);
    assert.equal(viberCredentials.safeParse({ authToken: 't', senderName: 'x'.repeat(29) }).success, false);
    assert.equal(viberCredentials.safeParse({ authToken: 't', botToken: 'x' }).success, false);
  });
});
