/** The WhatsApp Cloud API adapter (lib/adapters/messengers/whatsapp.ts) against the Graph API fake on loopback. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PostData, ServerMessage, ServerStatusPayload } from 'whatsapp-api-js/types';
import type { z } from 'zod';
import type { HookRequest, OutboundReply } from '../../lib/adapters/messengers/port.ts';
import { type WhatsAppMessage, type WhatsAppNotification, type WhatsAppStatus, whatsapp } from '../../lib/adapters/messengers/whatsapp.ts';
import { WhatsappCredentials as whatsappCredentials } from '../../lib/contract/messengers.ts';
import { type MetaFake, metaFailures, metaSignature, startMetaFake, whatsappNotification, whatsappStatus, whatsappText } from '../support/fakes/meta.ts';

/**
 * Compile-time: every payload that `whatsapp-api-js` (a maintained typing of the Cloud API's
 * webhooks) admits is accepted by the adapter's schemas, so these are not guessed shapes.
 */
type Accepts<_Schema, _Given extends _Schema> = true;
export type WhatsAppShapesFollowTheTypings = [
  Accepts<z.input<typeof WhatsAppNotification>, PostData>,
  Accepts<z.input<typeof WhatsAppMessage>, ServerMessage>,
  Accepts<z.input<typeof WhatsAppStatus>, ServerStatusPayload>,
];

const credentials = whatsappCredentials.parse({
  phoneNumberId: '106540352242922',
  accessToken: 'EAAG-system-user-token',
  appSecret: 'app-secret-1',
  verifyToken: 'verify-me',
});

const post = (body: string, signature?: string): HookRequest => ({
  method: 'POST',
  headers: signature === undefined ? {} : { 'x-hub-signature-256': signature },
  query: {},
  rawBody: body,
});

const reply = (text: string, files: OutboundReply['files'] = []): OutboundReply => ({ messageId: 'msg-1', account: '447700900123', text, files });

describe('WhatsApp: verify', () => {
  it('answers the handshake with the challenge, as text, only for the verify token', () => {
    const handshake = (token: string, mode = 'subscribe'): HookRequest => ({
      method: 'GET',
      headers: {},
      query: { 'hub.mode': mode, 'hub.verify_token': token, 'hub.challenge': '1158201444' },
      rawBody: '',
    });
    assert.deepEqual(whatsapp.verify(handshake('verify-me'), credentials, ''), {
      answer: { status: 200, body: '1158201444', contentType: 'text/plain; charset=utf-8' },
    });
    assert.equal((whatsapp.verify(handshake('verify-you'), credentials, '') as { ok: boolean }).ok, false);
    assert.equal((whatsapp.verify(handshake('verify-me', 'unsubscribe'), credentials, '') as { ok: boolean }).ok, false);
    assert.equal((whatsapp.verify({ method: 'GET', headers: {}, query: {}, rawBody: '' }, credentials, '') as { ok: boolean }).ok, false);
    assert.deepEqual(whatsapp.parse(handshake('verify-me')), [], 'a handshake carries no events');
  });

  it('accepts the body signed with the app secret and refuses a forged, tampered or missing signature', () => {
    const body = JSON.stringify(whatsappNotification(credentials.phoneNumberId, whatsappText('447700900123', 'Ann', 'hello')));
    assert.deepEqual(whatsapp.verify(post(body, metaSignature(body, 'app-secret-1')), credentials, ''), { ok: true });
    assert.deepEqual(whatsapp.verify(post(body, metaSignature(body, 'app-secret-1').toUpperCase().replace('SHA256=', 'sha256=')), credentials, ''), {
      ok: true,
    });
    for (const [what, request] of [
      ['another secret', post(body, metaSignature(body, 'app-secret-2'))],
      ['a changed body', post(`${body} `, metaSignature(body, 'app-secret-1'))],
      ['no sha256= prefix', post(body, metaSignature(body, 'app-secret-1').slice('sha256='.length))],
      ['a truncated signature', post(body, metaSignature(body, 'app-secret-1').slice(0, 40))],
      ['no header', post(body)],
    ] as const) {
      const verdict = whatsapp.verify(request, credentials, '');
      assert.equal('ok' in verdict && verdict.ok, false, what);
    }
  });
});

describe('WhatsApp: parse', () => {
  const parse = (payload: unknown) => whatsapp.parse(post(JSON.stringify(payload)));

  it('reads a text message: wamid, phone number, profile name and username, time', () => {
    const payload = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '102290129340398',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
                contacts: [{ profile: { name: 'Sheena Nelson', username: 'sheena' }, wa_id: '16505551234', user_id: 'US.13491208655302741918' }],
                messages: [
                  {
                    from: '16505551234',
                    from_user_id: 'US.13491208655302741918',
                    id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
                    timestamp: '1749416383',
                    type: 'text',
                    text: { body: 'Does it come in another color?' },
                  },
                ],
              },
            },
          ],
        },
      ],
    } satisfies PostData;
    assert.deepEqual(parse(payload), [
      {
        kind: 'message',
        externalId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
        account: '16505551234',
        displayName: 'Sheena Nelson',
        username: 'sheena',
        text: 'Does it come in another color?',
        attachments: [],
        at: '2025-06-08T20:59:43.000Z',
      },
    ]);
  });

  it('reads media as attachment refs (the media id), captions as text', () => {
    const media = (type: string, extra: object) => ({
      from: '16505551234',
      from_user_id: 'US.1',
      id: `wamid.${type}`,
      timestamp: '1749416383',
      type,
      [type]: { mime_type: 'x/y', sha256: 'abc', id: `${type}-media-id`, url: 'https://lookaside.fbsbx.com/x', ...extra },
    });
    const events = parse(
      whatsappNotification(credentials.phoneNumberId, {
        contacts: [{ profile: { name: 'Sheena' }, wa_id: '16505551234', user_id: 'US.1' }],
        messages: [
          media('image', { caption: 'the broken part', mime_type: 'image/jpeg', static_url: 'x' }),
          media('document', { filename: 'invoice.pdf', mime_type: 'application/pdf' }),
          media('audio', { voice: true, mime_type: 'audio/ogg; codecs=opus' }),
          media('video', { mime_type: 'video/mp4' }),
        ],
      }),
    );
    assert.deepEqual(
      events.map((e) => e.kind === 'message' && [e.externalId, e.text, e.attachments]),
      [
        ['wamid.image', 'the broken part', [{ ref: 'image-media-id', name: undefined, contentType: 'image/jpeg' }]],
        ['wamid.document', '', [{ ref: 'document-media-id', name: 'invoice.pdf', contentType: 'application/pdf' }]],
        ['wamid.audio', '', [{ ref: 'audio-media-id', name: undefined, contentType: 'audio/ogg; codecs=opus' }]],
        ['wamid.video', '', [{ ref: 'video-media-id', name: undefined, contentType: 'video/mp4' }]],
      ],
    );
  });

  it('reads statuses by wamid (delivered, read, failed with the error title); sent and played say nothing new', () => {
    const payload = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '102290129340398',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
                statuses: [
                  {
                    id: 'wamid.failed',
                    status: 'failed',
                    timestamp: '1749416383',
                    recipient_id: '16505551234',
                    conversation: undefined,
                    pricing: undefined,
                    errors: [
                      {
                        code: 131047,
                        title: 'Re-engagement message',
                        message: 'Re-engagement message',
                        error_data: {
                          details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
                        },
                      },
                    ],
                  },
                ],
              },
            },
          ],
        },
      ],
    } satisfies PostData;
    const events = [
      ...parse(whatsappNotification(credentials.phoneNumberId, whatsappStatus('wamid.sent', 'sent', '16505551234'))),
      ...parse(whatsappNotification(credentials.phoneNumberId, whatsappStatus('wamid.delivered', 'delivered', '16505551234'))),
      ...parse(whatsappNotification(credentials.phoneNumberId, whatsappStatus('wamid.read', 'read', '16505551234'))),
      ...parse(payload),
    ];
    assert.deepEqual(
      events.map((e) => e.kind === 'status' && [e.externalId, e.status, e.error]),
      [
        ['wamid.delivered', 'delivered', undefined],
        ['wamid.read', 'read', undefined],
        [
          'wamid.failed',
          'failed',
          '(#131047) Re-engagement message Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
        ],
      ],
    );
  });

  it('takes the user id when the phone number is hidden; skips reactions and odd items without losing the rest', () => {
    const events = parse(
      whatsappNotification(credentials.phoneNumberId, {
        contacts: [{ profile: { name: 'Hidden', username: 'hid' }, user_id: 'US.77' }],
        messages: [
          { from_user_id: 'US.77', id: 'wamid.hidden', timestamp: '1749416383', type: 'text', text: { body: 'hi' } },
          { from: '1', from_user_id: 'US.1', id: 'wamid.reaction', timestamp: '1749416383', type: 'reaction', reaction: { emoji: '👍', message_id: 'x' } },
          { id: 42, type: 'text' },
          {
            from: '1',
            id: 'wamid.button',
            timestamp: '1749416383',
            type: 'interactive',
            interactive: { type: 'button_reply', button_reply: { id: 'b', title: 'Yes' } },
          },
        ],
      }),
    );
    assert.deepEqual(
      events.map((e) => e.kind === 'message' && [e.externalId, e.account, e.displayName, e.text]),
      [
        ['wamid.hidden', 'US.77', 'Hidden', 'hi'],
        ['wamid.button', '1', 'Hidden', 'Yes'],
      ],
    );
    assert.deepEqual(parse({ object: 'instagram', entry: [] }), []);
    // One Meta app, several numbers: given the channel's credentials, another number's changes are left out.
    const other = JSON.stringify(whatsappNotification('999999999999999', whatsappText('1', 'Bo', 'to another number')));
    assert.equal(whatsapp.parse(post(other)).length, 1);
    assert.deepEqual(whatsapp.parse(post(other), credentials), []);
    const own = JSON.stringify(whatsappNotification(credentials.phoneNumberId, whatsappText('1', 'Bo', 'to this number')));
    assert.equal(whatsapp.parse(post(own), credentials).length, 1);
    assert.deepEqual(whatsapp.parse(post('not json')), []);
  });
});

describe('WhatsApp: send and fetch', () => {
  let fake: MetaFake;
  before(async () => {
    fake = await startMetaFake({ accessToken: credentials.accessToken, phoneNumberIds: [credentials.phoneNumberId] });
    process.env.WHATSAPP_API_URL = fake.apiUrl;
  });
  after(async () => {
    delete process.env.WHATSAPP_API_URL;
    await fake.close();
  });

  it('sends a text to /{phoneNumberId}/messages with the Bearer token; the wamid is the external id', async () => {
    const result = await whatsapp.send(reply('Hello, Sheena'), credentials);
    const call = fake.sends(credentials.phoneNumberId).at(-1)!;
    assert.equal(call.path, `/v23.0/${credentials.phoneNumberId}/messages`);
    assert.equal(call.headers.authorization, `Bearer ${credentials.accessToken}`);
    assert.deepEqual(call.json, {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '447700900123',
      type: 'text',
      text: { body: 'Hello, Sheena', preview_url: false },
    });
    assert.ok(result.ok);
    assert.match(result.externalId, /^wamid\./);
  });

  it('sends files by link: an image carries a short text as its caption, a document its file name', async () => {
    const before = fake.sends(credentials.phoneNumberId).length;
    const result = await whatsapp.send(
      reply('Here is the manual', [
        { name: 'photo.jpg', contentType: 'image/jpeg', size: 1000, url: 'https://files.example/photo.jpg' },
        { name: 'manual.pdf', contentType: 'application/pdf', size: 2000, url: 'https://files.example/manual.pdf' },
      ]),
      credentials,
    );
    assert.ok(result.ok);
    const calls = fake.sends(credentials.phoneNumberId).slice(before);
    assert.deepEqual(
      calls.map((c) => [c.json.type, c.json[c.json.type]]),
      [
        ['image', { link: 'https://files.example/photo.jpg', caption: 'Here is the manual' }],
        ['document', { link: 'https://files.example/manual.pdf', filename: 'manual.pdf' }],
      ],
    );
  });

  it('splits a text over 4,096 characters', async () => {
    const before = fake.sends(credentials.phoneNumberId).length;
    const result = await whatsapp.send(reply('word '.repeat(1000)), credentials);
    assert.ok(result.ok);
    const bodies = fake
      .sends(credentials.phoneNumberId)
      .slice(before)
      .map((c) => c.json.text.body as string);
    assert.equal(bodies.length, 2);
    assert.equal(bodies.join(''), 'word '.repeat(1000));
  });

  it('maps failures: token refused, rate limits retried, a closed window is final with its reason', async () => {
    fake.failNext('/messages', metaFailures.invalidToken());
    assert.deepEqual(await whatsapp.send(reply('x'), credentials), {
      ok: false,
      error: '(#190) Invalid OAuth access token - Cannot parse access token',
      retry: false,
      credentialsRefused: true,
    });
    fake.failNext('/messages', metaFailures.throughput());
    let result = await whatsapp.send(reply('x'), credentials);
    assert.ok(!result.ok && result.retry && !result.credentialsRefused, JSON.stringify(result));
    fake.failNext('/messages', metaFailures.appRateLimit());
    result = await whatsapp.send(reply('x'), credentials);
    assert.ok(!result.ok && result.retry);
    fake.failNext('/messages', metaFailures.tooManyRequests(30));
    result = await whatsapp.send(reply('x'), credentials);
    assert.ok(!result.ok && result.retry && result.retryAfterMs === 30_000, JSON.stringify(result));
    fake.failNext('/messages', metaFailures.serverError());
    result = await whatsapp.send(reply('x'), credentials);
    assert.ok(!result.ok && result.retry);
    fake.failNext('/messages', metaFailures.reengagement());
    result = await whatsapp.send(reply('x'), credentials);
    assert.ok(!result.ok && !result.retry && !result.credentialsRefused);
    assert.match(result.error, /131047.*Re-engagement message.*24 hours/);
    fake.failNext('/messages', metaFailures.undeliverable());
    result = await whatsapp.send(reply('x'), credentials);
    assert.ok(!result.ok && !result.retry && /131026/.test(result.error));
  });

  it('a wrong token is refused by the fake itself; an API that does not answer is worth a retry', async () => {
    const refused = await whatsapp.send(reply('x'), { ...credentials, accessToken: 'stale' });
    assert.ok(!refused.ok && refused.credentialsRefused);
    process.env.WHATSAPP_API_URL = 'http://127.0.0.1:1/v23.0';
    try {
      const lost = await whatsapp.send(reply('x'), credentials);
      assert.ok(!lost.ok && lost.retry && !lost.error.includes(credentials.accessToken), JSON.stringify(lost));
    } finally {
      process.env.WHATSAPP_API_URL = fake.apiUrl;
    }
  });

  it('fetches an attachment: GET /{media-id} for the URL, then the bytes with the same token', async () => {
    fake.media.set('1037543291543636', { bytes: new Uint8Array([0xff, 0xd8, 0xff, 1, 2, 3]), mimeType: 'image/jpeg' });
    const file = await whatsapp.fetchAttachment!({ ref: '1037543291543636', contentType: 'image/jpeg' }, credentials);
    assert.deepEqual([...file.bytes], [0xff, 0xd8, 0xff, 1, 2, 3]);
    assert.equal(file.contentType, 'image/jpeg');
    const download = fake.requests.find((r) => r.path === '/download/1037543291543636')!;
    assert.equal(download.headers.authorization, `Bearer ${credentials.accessToken}`);
    await assert.rejects(whatsapp.fetchAttachment!({ ref: 'unknown' }, credentials), /WhatsApp media unknown/);
  });

  it('validates credentials: digits for the phone number id, every secret present, nothing else', () => {
    assert.equal(whatsappCredentials.safeParse({ ...credentials, phoneNumberId: '+1 555' }).success, false);
    assert.equal(whatsappCredentials.safeParse({ ...credentials, appSecret: '' }).success, false);
    assert.equal(whatsappCredentials.safeParse({ ...credentials, extra: 1 }).success, false);
  });
});
