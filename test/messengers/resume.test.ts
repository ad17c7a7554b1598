/**
 * A reply of several parts (a text too long for a caption, then a document) whose second part
 * fails: the adapter says how far it got (`SendProgress`), and the next attempt sends only what
 * is left. The WhatsApp adapter against the Meta fake, called directly; the whole path (the
 * delivery keeping the progress between attempts) is tested with Telegram in files.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { OutboundReply } from '../../lib/adapters/messengers/port.ts';
import { whatsapp } from '../../lib/adapters/messengers/whatsapp.ts';
import { graphError, type MetaFake, startMetaFake, WHATSAPP_CREDENTIALS } from '../support/fakes/meta.ts';

const credentials = WHATSAPP_CREDENTIALS;
const SHEENA = '16505551234';
let meta: MetaFake;

before(async () => {
  meta = await startMetaFake({ accessToken: credentials.accessToken, phoneNumberIds: [credentials.phoneNumberId] });
  process.env.WHATSAPP_API_URL = meta.apiUrl;
});
after(async () => {
  await meta?.close();
});

const reply: OutboundReply = {
  messageId: 'm-resume',
  account: SHEENA,
  text: `The terms, in full. ${'Every clause counts. '.repeat(60)}`,
  files: [{ name: 'terms.pdf', contentType: 'application/pdf', size: 1200, url: 'https://files.example.com/terms.pdf' }],
};

test('the second part fails: the result names the part that went out; the retry sends only the document', async () => {
  assert.ok(reply.text.length > 1024, 'too long for a caption: the text is a part of its own');
  const accepted = {
    status: 200,
    body: { messaging_product: 'whatsapp', contacts: [{ input: SHEENA, wa_id: SHEENA }], messages: [{ id: 'wamid.text-part' }] },
  };
  meta.failNext('/messages', accepted, graphError(500, 2, 'Service temporarily unavailable', { type: 'OAuthException' }));
  const before = meta.sends(credentials.phoneNumberId).length;
  const failed = await whatsapp.send(reply, credentials);
  assert.equal(failed.ok, false);
  assert.ok(!failed.ok && failed.retry, 'a 500 is worth another attempt');
  assert.deepEqual(!failed.ok && failed.progress, { parts: 1, externalId: 'wamid.text-part' });

  const retried = await whatsapp.send({ ...reply, progress: !failed.ok ? failed.progress : undefined }, credentials);
  assert.equal(retried.ok, true);
  const sends = meta.sends(credentials.phoneNumberId).slice(before);
  assert.deepEqual(
    sends.map((s) => s.json?.type),
    ['text', 'document', 'document'],
    'the text once, the document twice (the failure, the retry)',
  );
  // The reply is named by its last part, as its statuses will be.
  assert.ok(retried.ok && retried.externalId !== 'wamid.text-part' && retried.externalId.startsWith('wamid.'));
});

test('a failure of the first part carries no progress: the retry starts from the beginning', async () => {
  meta.failNext('/messages', graphError(500, 2, 'Service temporarily unavailable'));
  const failed = await whatsapp.send(reply, credentials);
  assert.ok(!failed.ok && failed.retry);
  assert.equal(!failed.ok && failed.progress, undefined);
});

test('a reply every part of which went out before is not sent again', async () => {
  const before = meta.sends(credentials.phoneNumberId).length;
  const again = await whatsapp.send({ ...reply, progress: { parts: 2, externalId: 'wamid.last' } }, credentials);
  assert.deepEqual(again, { ok: true, externalId: 'wamid.last' });
  assert.equal(meta.sends(credentials.phoneNumberId).length, before);
});
