/**
 * Files through e-mail, both ways, over real SMTP and the local S3: a client's attachment becomes
 * a file of its message (checked by content, downloadable byte for byte); an operator's file
 * reply arrives at the client's mail server as an attachment.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import nodemailer, { type Transporter } from 'nodemailer';
import PostalMime, { type Email } from 'postal-mime';
import { SMTPServer } from 'smtp-server';
import { handler as receiveMailFunction } from '../../functions/mail/receive-mail.ts';
import { putObject } from '../../lib/adapters/files/s3.ts';
import { type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';
import { png } from '../support/png.ts';

/** A real PNG: its signature is what the content check reads. */
const PNG = png(1, 1);

let host: TestHost;
let w: World;
let smtp: Transporter;
const sunk: Email[] = [];
let sink: SMTPServer;
const ADDRESS = 'files@example.com';
let inbox: string;

before(async () => {
  sink = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        sunk.push(await PostalMime.parse(Buffer.concat(chunks)));
        callback(null);
      });
    },
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  process.env.SMTP_URL = `smtp://127.0.0.1:${(sink.server.address() as { port: number }).port}`;
  host = await startTestHost({ events: true, smtp: true, files: true });
  w = await world(host);
  const res = await host.call('POST', '/v1/channels', {
    token: w.admin,
    body: { _line: w.line.__id, _type: 'inbox', __name: 'Files mail', _address: ADDRESS },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  inbox = res.body.__id;
  smtp = nodemailer.createTransport({ host: '127.0.0.1', port: host.smtpPort!, secure: false, ignoreTLS: true });
});
after(async () => {
  smtp?.close();
  await host?.close();
  await new Promise<void>((resolve) => sink.close(() => resolve()));
});

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface FileRef {
  id: string;
  name: string;
  type: string;
  size: number;
  state: string;
}

test('an attachment becomes a file of the message; an operator file reply leaves as an attachment', async () => {
  await smtp.sendMail({
    from: '"Pat" <pat@client.example>',
    to: ADDRESS,
    subject: 'Screenshot of the error',
    messageId: '<shot-1@client.example>',
    text: 'See the picture.',
    attachments: [{ filename: 'screen.png', content: PNG, contentType: 'image/png' }],
  });
  const found = await waitFor('the session', async () => {
    const res = await host.call('POST', '/v1/sessions/search', { token: w.admin, body: { where: { eq: ['_channel', inbox] }, size: 10 } });
    const items = (res.body.items ?? res.body) as { __id: string }[];
    return items[0];
  });
  const messages = (await host.call('GET', `/v1/sessions/${found.__id}/messages?size=100`, { token: w.admin })).body as {
    author: string;
    type: string;
    body: string;
    attachments: FileRef[];
  }[];
  const client = messages.find((m) => m.author === 'client')!;
  assert.equal(client.type, 'file');
  assert.equal(client.body, 'See the picture.');
  assert.equal(client.attachments.length, 1);
  const [file] = client.attachments;
  assert.equal(file!.state, 'ready');
  assert.equal(file!.type, 'image/png');
  const link = await host.call('GET', `/v1/files/${file!.id}?redirect=false`, { token: w.admin });
  assert.equal(link.status, 200, JSON.stringify(link.body));
  assert.deepEqual(Buffer.from(await (await fetch(link.body.url)).arrayBuffer()), PNG);

  // The operator answers with a file: uploaded straight to storage, sent, mailed as an attachment.
  const op = await w.operator('op-files');
  assert.equal((await host.call('POST', `/v1/sessions/${found.__id}/assign`, { token: op, body: { operator: 'op-files' } })).status, 200);
  const upload = await host.call('POST', `/v1/sessions/${found.__id}/files`, {
    token: op,
    body: { name: 'fixed.png', contentType: 'image/png', size: PNG.length },
  });
  assert.equal(upload.status, 201, JSON.stringify(upload.body));
  assert.equal((await fetch(upload.body.uploadUrl, { method: 'PUT', headers: upload.body.headers, body: PNG })).status, 200);
  const sent = await host.call('POST', `/v1/sessions/${found.__id}/messages`, {
    token: op,
    body: { type: 'file', body: 'Fixed, see here.', files: [upload.body.__id] },
  });
  assert.equal(sent.status, 201, JSON.stringify(sent.body));
  const mail = await waitFor('the reply at the sink', () => sunk.find((m) => m.text?.includes('Fixed, see here.')));
  assert.equal(mail.attachments.length, 1);
  assert.equal(mail.attachments[0]!.filename, 'fixed.png');
  assert.deepEqual(Buffer.from(mail.attachments[0]!.content as ArrayBuffer), PNG);
});

test("the SES-triggered function reads the stored mail from S3 (here the local S3) with the function's one S3 client", async () => {
  // SES's receipt rule stores the mail under MAIL_PREFIX + its message id, then invokes the function.
  process.env.MAIL_BUCKET = process.env.FILES_BUCKET;
  process.env.MAIL_PREFIX = 'inbound/';
  const raw = [
    'From: "Sam" <sam@client.example>',
    `To: ${ADDRESS}`,
    'Subject: Stored by SES',
    'Message-ID: <ses-stored-1@client.example>',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Read from the bucket.',
    '',
  ].join('\r\n');
  await putObject('inbound/ses-stored-1', Buffer.from(raw), 'message/rfc822');
  const event = (messageId: string) =>
    ({
      Records: [
        {
          ses: {
            mail: { messageId },
            receipt: { recipients: [ADDRESS], spfVerdict: { status: 'PASS' }, dkimVerdict: { status: 'PASS' }, dmarcVerdict: { status: 'PASS' } },
          },
        },
      ],
    }) as never;
  await receiveMailFunction(event('ses-stored-1'));
  const session = await waitFor('the session of the stored mail', async () => {
    const res = await host.call('POST', '/v1/sessions/search', { token: w.admin, body: { where: { eq: ['__name', 'Stored by SES'] }, size: 10 } });
    return ((res.body.items ?? res.body) as { __id: string }[])[0];
  });
  const messages = (await host.call('GET', `/v1/sessions/${session.__id}/messages?size=100`, { token: w.admin })).body as { author: string; body: string }[];
  assert.deepEqual(
    messages.filter((m) => m.author === 'client').map((m) => m.body),
    ['Read from the bucket.'],
  );
  // A mail the bucket does not hold fails the invocation (Lambda retries it): nothing is written.
  await assert.rejects(receiveMailFunction(event('ses-missing')));
});
