/**
 * Files both ways through the native messengers, against their fakes on loopback and the local
 * S3 (s3rver): a Telegram photo arrives as a file of the message, byte-identical through
 * `GET /v1/files/{id}`; a repeat fetches nothing; a fetch that fails still delivers the text;
 * content that is not what it claims arrives `rejected`. Out: an operator's image goes with
 * `sendPhoto`, a PDF with `sendDocument` (both uploaded as multipart), and a WhatsApp document
 * message carries a link that downloads the same bytes; a Viber picture both ways by media URL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Update } from '@grammyjs/types';
import { type MetaFake, metaSignature, startMetaFake, WHATSAPP_CREDENTIALS, whatsappNotification } from '../support/fakes/meta.ts';
import { type FakeTelegram, startFakeTelegram } from '../support/fakes/telegram.ts';
import { startViberFake, type ViberFake, viberText } from '../support/fakes/viber.ts';
import { type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';
import { type NativeKit, nativeKit } from '../support/native.ts';
import { png } from '../support/png.ts';

process.env.WEBHOOK_RETRY_SECONDS = '0.2,0.3,0.3,0.5,0.5';

const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1';
const wa = WHATSAPP_CREDENTIALS;
const SHEENA = '16505551234';
const VIBER_TOKEN = '445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9';
const JOHN = '01234567890A=';
const ann = { id: 555001, first_name: 'Ann' };

/** A JPEG as far as any sniffer can tell (SOI, APP0 JFIF), then noise. */
const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0\x01\x01'), Buffer.alloc(300, 7)]);
const pdf = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n');

let tg: FakeTelegram;
let meta: MetaFake;
let viber: ViberFake;
let host: TestHost;
let w: World;
let kit: NativeKit;
let alice: string;
let tgChannel = '';
let tgSession = '';

before(async () => {
  tg = await startFakeTelegram();
  tg.tokens.add(TOKEN);
  process.env.TELEGRAM_API_URL = tg.url;
  meta = await startMetaFake({ accessToken: wa.accessToken, phoneNumberIds: [wa.phoneNumberId] });
  process.env.WHATSAPP_API_URL = meta.apiUrl;
  viber = await startViberFake({ authToken: VIBER_TOKEN, accountName: 'Acme' });
  process.env.VIBER_API_URL = viber.apiUrl;
  host = await startTestHost({ events: true, files: true, sweepEveryMs: 100 });
  w = await world(host);
  kit = nativeKit(host, w);
  alice = await w.operator('alice');
});
after(async () => {
  await host?.close();
  await tg?.close();
  await meta?.close();
  await viber?.close();
});

function photoUpdate(updateId: number, messageId: number, fileId: string, caption?: string): Update {
  return {
    update_id: updateId,
    message: {
      message_id: messageId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: ann.id, type: 'private', first_name: ann.first_name },
      from: { ...ann, is_bot: false },
      photo: [
        { file_id: `${fileId}-small`, file_unique_id: `${fileId}-us`, width: 90, height: 90, file_size: 10 },
        { file_id: fileId, file_unique_id: `${fileId}-u`, width: 800, height: 800 },
      ],
      ...(caption ? { caption } : {}),
    },
  } as Update;
}

type Msg = { __id: string; type: string; body: string; author: string; externalId: string | null; attachments: { id: string; state: string; type: string }[] };
const messages = async (session: string) => (await host.call('GET', `/v1/sessions/${session}/messages?size=1000`, { token: w.admin })).body as Msg[];

async function download(id: string): Promise<Buffer> {
  const r = await fetch(`${host.url}/v1/files/${id}`, { headers: { authorization: `Bearer ${w.admin}` }, redirect: 'manual' });
  assert.equal(r.status, 302);
  const got = await fetch(r.headers.get('location')!);
  assert.equal(got.status, 200);
  return Buffer.from(await got.arrayBuffer());
}

/** An operator's file reply: upload, then send. */
async function fileReply(session: string, name: string, contentType: string, bytes: Buffer, body: string): Promise<string> {
  const u = await host.call('POST', `/v1/sessions/${session}/files`, { token: alice, body: { name, contentType, size: bytes.length } });
  assert.equal(u.status, 201, JSON.stringify(u.body));
  assert.equal((await fetch(u.body.uploadUrl, { method: 'PUT', headers: u.body.headers, body: bytes })).status, 200);
  const r = await host.call('POST', `/v1/sessions/${session}/messages`, { token: alice, body: { type: 'file', body, files: [u.body.__id] } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.__id;
}

describe('files through the messengers', () => {
  test('a Telegram photo arrives as a file of the message, byte-identical through GET /v1/files/{id}', async () => {
    const r = await host.call('POST', '/v1/channels', {
      token: w.admin,
      body: { _line: w.line.__id, _type: 'telegramBot', __name: 'Bot', _credentials: { botToken: TOKEN } },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    tgChannel = r.body.__id;
    tg.files.set('ph-1', jpeg);
    const sent = await tg.post(TOKEN, photoUpdate(1, 10, 'ph-1', 'my receipt'));
    assert.equal(sent.status, 200, sent.body);
    const [session] = await kit.sessionsOf(tgChannel);
    tgSession = session.__id;
    const [m, ...rest] = (await messages(tgSession)).filter((x) => x.author === 'client');
    assert.equal(rest.length, 0);
    assert.equal(m!.type, 'file');
    assert.equal(m!.body, 'my receipt');
    assert.equal(m!.attachments.length, 1);
    assert.equal(m!.attachments[0]!.state, 'ready');
    assert.equal(m!.attachments[0]!.type, 'image/jpeg');
    assert.deepEqual(
      tg.callsOf('getFile').map((c) => c.body.file_id),
      ['ph-1'],
      'the largest size is fetched',
    );
    assert.ok((await download(m!.attachments[0]!.id)).equals(jpeg));
  });

  test('a repeated update fetches nothing again and adds nothing', async () => {
    const results = await Promise.all([tg.post(TOKEN, photoUpdate(1, 10, 'ph-1', 'my receipt')), tg.post(TOKEN, photoUpdate(1, 10, 'ph-1', 'my receipt'))]);
    assert.deepEqual(
      results.map((x) => x.status),
      [200, 200],
    );
    assert.equal(tg.callsOf('getFile').length, 1);
    assert.equal((await messages(tgSession)).filter((x) => x.author === 'client').length, 1);
  });

  test('a fetch that fails loses the file, not the message: the text arrives naming it', async () => {
    tg.failNext('getFile', 400, 'Bad Request: file is too big');
    assert.equal((await tg.post(TOKEN, photoUpdate(2, 11, 'ph-2', 'second try'))).status, 200);
    const m = (await messages(tgSession)).find((x) => x.externalId === `${ann.id}:11`)!;
    assert.equal(m.type, 'text');
    assert.match(m.body, /^second try\n\[photo-ph-2-u\.jpg\]$/);
  });

  test('content that is not what it claims arrives rejected, with the text', async () => {
    tg.files.set('ph-3', Buffer.from('just some text, not a photo'));
    assert.equal((await tg.post(TOKEN, photoUpdate(3, 12, 'ph-3', 'look'))).status, 200);
    const m = (await messages(tgSession)).find((x) => x.externalId === `${ann.id}:12`)!;
    assert.equal(m.type, 'file');
    assert.equal(m.body, 'look');
    assert.equal(m.attachments[0]!.state, 'rejected');
    const r = await fetch(`${host.url}/v1/files/${m.attachments[0]!.id}`, { headers: { authorization: `Bearer ${w.admin}` }, redirect: 'manual' });
    assert.equal(r.status, 404);
  });

  test('replies: an image goes with sendPhoto (caption), a PDF with sendDocument, both uploaded', async () => {
    assert.equal((await host.call('POST', `/v1/sessions/${tgSession}/assign`, { token: alice, body: { operator: 'alice' } })).status, 200);
    const image = png(4, 4);
    const photoId = await fileReply(tgSession, 'chart.png', 'image/png', image, 'the chart');
    await kit.statusIs(tgSession, photoId, 'sent');
    const photo = tg.uploads.find((u) => u.method === 'sendphoto')!;
    assert.equal(photo.field, 'photo');
    assert.ok(photo.bytes.equals(image));
    assert.equal(photo.fields.caption, 'the chart');
    assert.equal(photo.fields.chat_id, String(ann.id));
    assert.ok(!tg.callsOf('sendMessage').some((c) => c.body.text === 'the chart'), 'the text went as the caption');

    const docId = await fileReply(tgSession, 'invoice.pdf', 'application/pdf', pdf, '');
    await kit.statusIs(tgSession, docId, 'sent');
    const doc = tg.uploads.find((u) => u.method === 'senddocument')!;
    assert.equal(doc.field, 'document');
    assert.equal(doc.name, 'invoice.pdf');
    assert.ok(doc.bytes.equals(pdf));
  });

  test('a reply of several parts that fails half-way is resumed on retry: the text that went out is not sent again', async () => {
    // Longer than a caption: the text goes first as a message of its own, then the document.
    const text = `Here is the contract. ${'Please read every clause. '.repeat(45)}`;
    assert.ok(text.length > 1024);
    tg.failNext('sendDocument', 502, 'Bad Gateway');
    const id = await fileReply(tgSession, 'contract.pdf', 'application/pdf', pdf, text);
    await kit.statusIs(tgSession, id, 'sent');
    const texts = tg.callsOf('sendMessage').filter((c) => c.body.text === text);
    assert.equal(texts.length, 1, 'the text went out once');
    const documents = tg.uploads.filter((u) => u.method === 'senddocument' && u.name === 'contract.pdf');
    assert.equal(documents.length, 2, 'the document: the failed call, then the retry');
    assert.ok(documents[1]!.bytes.equals(pdf));
    // In order: the text, the document that failed, the document again.
    const order = tg.calls.filter((c) => c === texts[0] || c.method === 'senddocument').slice(-3);
    assert.deepEqual(
      order.map((c) => c.method),
      ['sendmessage', 'senddocument', 'senddocument'],
    );
  });

  test('a reply of three parts that fails at a different part on each attempt: each retry starts after the last part that went out', async () => {
    // The text (too long for a caption), a PDF (sendDocument), an image (sendPhoto). The first
    // attempt fails at the PDF, the second at the image (the delivery's progress moves on), the third ends it.
    const text = `Your order, in full. ${'Line after line of it. '.repeat(50)}`;
    const upload = async (name: string, contentType: string, bytes: Buffer) => {
      const u = await host.call('POST', `/v1/sessions/${tgSession}/files`, { token: alice, body: { name, contentType, size: bytes.length } });
      assert.equal(u.status, 201, JSON.stringify(u.body));
      assert.equal((await fetch(u.body.uploadUrl, { method: 'PUT', headers: u.body.headers, body: bytes })).status, 200);
      return u.body.__id as string;
    };
    const image = png(5, 5);
    const files = [await upload('order.pdf', 'application/pdf', pdf), await upload('parcel.png', 'image/png', image)];
    tg.failNext('sendDocument', 502, 'Bad Gateway');
    tg.failNext('sendPhoto', 502, 'Bad Gateway');
    const r = await host.call('POST', `/v1/sessions/${tgSession}/messages`, { token: alice, body: { type: 'file', body: text, files } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    await kit.statusIs(tgSession, r.body.__id, 'sent');
    assert.equal(tg.callsOf('sendMessage').filter((c) => c.body.text === text).length, 1, 'the text went out once');
    const documents = tg.uploads.filter((u) => u.method === 'senddocument' && u.name === 'order.pdf');
    const photos = tg.uploads.filter((u) => u.method === 'sendphoto' && u.name === 'parcel.png');
    assert.equal(documents.length, 2, 'the PDF: failed, then sent on the second attempt');
    assert.equal(photos.length, 2, 'the image: failed on the second attempt, sent on the third');
    assert.ok(photos[1]!.bytes.equals(image));
  });

  test('WhatsApp: an image by media id arrives as a file; a document reply carries a link to the same bytes', async () => {
    const c = await host.call('POST', '/v1/channels', { token: w.admin, body: { _line: w.line.__id, _type: 'whatsapp', __name: 'WA', _credentials: wa } });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    const image = png(3, 3);
    meta.media.set('media-77', { bytes: image, mimeType: 'image/png' });
    const body = JSON.stringify(
      whatsappNotification(wa.phoneNumberId, {
        contacts: [{ profile: { name: 'Sheena' }, wa_id: SHEENA }],
        messages: [
          {
            from: SHEENA,
            id: 'wamid.image1',
            timestamp: String(Math.floor(Date.now() / 1000)),
            type: 'image',
            image: { id: 'media-77', mime_type: 'image/png', sha256: 'x', caption: 'broken part' },
          },
        ],
      }),
    );
    const hook = await kit.hook('POST', `/v1/hooks/whatsapp/${c.body.__id}`, { body, headers: { 'x-hub-signature-256': metaSignature(body, wa.appSecret) } });
    assert.equal(hook.status, 200, hook.text);
    const [session] = await kit.sessionsOf(c.body.__id);
    const [m] = (await messages(session.__id)).filter((x) => x.author === 'client');
    assert.equal(m!.type, 'file');
    assert.equal(m!.body, 'broken part');
    assert.ok((await download(m!.attachments[0]!.id)).equals(image));

    assert.equal((await host.call('POST', `/v1/sessions/${session.__id}/assign`, { token: alice, body: { operator: 'alice' } })).status, 200);
    const id = await fileReply(session.__id, 'manual.pdf', 'application/pdf', pdf, 'the manual');
    await kit.statusIs(session.__id, id, 'sent');
    const send = meta.sends(wa.phoneNumberId).find((s) => s.json?.type === 'document')!;
    assert.ok(send, 'a document message was sent');
    assert.equal(send.json.to, SHEENA);
    const got = await fetch(send.json.document.link);
    assert.equal(got.status, 200);
    assert.ok(Buffer.from(await got.arrayBuffer()).equals(pdf));
  });

  test('Viber: a picture by media URL arrives as a file; an image reply goes as a picture whose media is the same bytes', async () => {
    const c = await host.call('POST', '/v1/channels', {
      token: w.admin,
      body: { _line: w.line.__id, _type: 'viberbot', __name: 'Viber', _credentials: { authToken: VIBER_TOKEN } },
    });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    const image = png(6, 6);
    viber.media.set('pic-1.png', { bytes: image, mimeType: 'image/png' });
    const picture = viberText(JOHN, 'John', '', 5098034272017992001n);
    picture.message = { type: 'picture', text: 'a dent', media: `${viber.url}/media/pic-1.png` } as never;
    assert.equal((await viber.callback(picture)).status, 200);
    const [session] = await kit.sessionsOf(c.body.__id);
    const [m] = (await messages(session.__id)).filter((x) => x.author === 'client');
    assert.equal(m!.type, 'file');
    assert.equal(m!.body, 'a dent');
    assert.ok((await download(m!.attachments[0]!.id)).equals(image));

    assert.equal((await host.call('POST', `/v1/sessions/${session.__id}/assign`, { token: alice, body: { operator: 'alice' } })).status, 200);
    const id = await fileReply(session.__id, 'fixed.png', 'image/png', image, '');
    await kit.statusIs(session.__id, id, 'sent');
    const send = viber.requests.find((r) => r.path === '/pa/send_message' && r.json?.type === 'picture')!;
    assert.ok(send, 'a picture message was sent');
    assert.equal(send.json.receiver, JOHN);
    const got = await fetch(send.json.media);
    assert.ok(Buffer.from(await got.arrayBuffer()).equals(image));
  });
});
