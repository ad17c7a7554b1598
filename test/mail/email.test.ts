/**
 * E-mail both ways over real SMTP: mail to an inbox channel's address through the host's SMTP
 * listener (smtp-server), replies through `SMTP_URL` to a sink (another smtp-server) — sessions
 * named by the subject, threading headers, dedup by Message-ID (also in parallel), the refusals
 * (unknown recipient 550, oversized 552), the loop guard and staff notes that never leave.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import nodemailer, { type SendMailOptions, type Transporter } from 'nodemailer';
import PostalMime, { type Email } from 'postal-mime';
import { SMTPServer } from 'smtp-server';
import { receiveSesMail } from '../../lib/app/mail/ses.ts';
import { applySesEvent } from '../../lib/app/mail/ses-events.ts';
import { type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';

interface Sunk {
  from: string;
  to: string[];
  mail: Email;
  headers: Record<string, string>;
}

/** The SMTP server replies go to: keeps every mail it is given. */
async function startSink(): Promise<{ url: string; mails: Sunk[]; close(): Promise<void> }> {
  const mails: Sunk[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        const mail = await PostalMime.parse(Buffer.concat(chunks));
        const headers = Object.fromEntries(mail.headers.map((h) => [h.key, h.value]));
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          mail,
          headers,
        });
        callback(null);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.server.address() as { port: number };
  return { url: `smtp://127.0.0.1:${address.port}`, mails, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

let host: TestHost;
let w: World;
let sink: Awaited<ReturnType<typeof startSink>>;
let inbox: { __id: string; _address: string };
let smtp: Transporter;
/** The first conversation (the first test), for the threading and status tests after it. */
let thread: { session: string; reply: string; replyMessageId: string; operator: string };

const ADDRESS = 'Support@Example.com';

before(async () => {
  sink = await startSink();
  process.env.SMTP_URL = sink.url;
  host = await startTestHost({ events: true, sweepEveryMs: 100, smtp: true });
  w = await world(host);
  const res = await host.call('POST', '/v1/channels', {
    token: w.admin,
    body: { _line: w.line.__id, _type: 'inbox', __name: 'Support mail', _address: ADDRESS },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  inbox = res.body;
  smtp = nodemailer.createTransport({ host: '127.0.0.1', port: host.smtpPort!, secure: false, ignoreTLS: true });
});
after(async () => {
  smtp?.close();
  await host?.close();
  await sink?.close();
});

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const mail = (options: SendMailOptions) => smtp.sendMail({ to: ADDRESS, ...options });

async function sessionsOfChannel(): Promise<{ __id: string; __name: string; _state: string }[]> {
  const res = await host.call('POST', '/v1/sessions/search', { token: w.admin, body: { where: { eq: ['_channel', inbox.__id] }, size: 100 } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.items ?? res.body.result ?? res.body;
}
async function messagesOf(session: string): Promise<{ __id: string; body: string; author: string; externalId: string | null; _mailAuth?: unknown }[]> {
  const res = await host.call('GET', `/v1/sessions/${session}/messages?size=100`, { token: w.admin });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.items ?? res.body;
}
async function sessionWithMessage(externalId: string): Promise<string | undefined> {
  for (const s of await sessionsOfChannel()) {
    if ((await messagesOf(s.__id)).some((m) => m.externalId === externalId)) return s.__id;
  }
  return undefined;
}

describe('inbox channel addresses', () => {
  test('kept in lower case and unique across channels, case-insensitively (409), only on inbox channels (400)', async () => {
    assert.equal(inbox._address, 'support@example.com');
    const taken = await host.call('POST', '/v1/channels', {
      token: w.admin,
      body: { _line: w.line.__id, _type: 'inbox', __name: 'Other', _address: 'SUPPORT@example.com' },
    });
    assert.equal(taken.status, 409, JSON.stringify(taken.body));
    const wrongType = await host.call('POST', '/v1/channels', {
      token: w.admin,
      body: { _line: w.line.__id, _type: 'telegram', __name: 'T', _address: 'tg@example.com' },
    });
    assert.equal(wrongType.status, 400);
    const other = await host.call('POST', '/v1/channels', {
      token: w.admin,
      body: { _line: w.line.__id, _type: 'inbox', __name: 'Sales', _address: 'sales@example.com' },
    });
    assert.equal(other.status, 201);
    const patchTaken = await host.call('PATCH', `/v1/channels/${other.body.__id}`, { token: w.admin, body: { _address: 'support@example.com' } });
    assert.equal(patchTaken.status, 409);
    const moved = await host.call('PATCH', `/v1/channels/${other.body.__id}`, { token: w.admin, body: { _address: 'sales2@example.com' } });
    assert.equal(moved.status, 200);
    // The old address is free again.
    const reuse = await host.call('POST', '/v1/channels', {
      token: w.admin,
      body: { _line: w.line.__id, _type: 'inbox', __name: 'Sales again', _address: 'sales@example.com' },
    });
    assert.equal(reuse.status, 201, JSON.stringify(reuse.body));
  });
});

describe('mail both ways', () => {
  test('a mail opens a session named by its subject; the reply is threaded under it; the answer continues the session', async () => {
    const first = '<first-1@client.example>';
    await mail({
      from: '"Ann Client" <ann@client.example>',
      subject: 'Printer is on fire',
      messageId: first,
      text: 'It smokes.\n\n-- \nAnn, Example Corp',
      headers: { 'Authentication-Results': 'mx.example.com; spf=pass smtp.mailfrom=client.example; dkim=pass header.d=client.example; dmarc=fail' },
    });
    const sessionId = await waitFor('the session', () => sessionWithMessage('first-1@client.example'));
    const session = (await sessionsOfChannel()).find((s) => s.__id === sessionId)!;
    assert.equal(session.__name, 'Printer is on fire');
    const [message] = (await messagesOf(sessionId)).filter((m) => m.author === 'client');
    assert.equal(message!.body, 'It smokes.', 'the signature is trimmed');
    assert.deepEqual(message!._mailAuth, { spf: 'pass', dkim: 'pass', dmarc: 'fail' });

    const op = await w.operator('op-mail');
    assert.equal((await host.call('POST', `/v1/sessions/${sessionId}/assign`, { token: op, body: { operator: 'op-mail' } })).status, 200);
    const note = await host.call('POST', `/v1/sessions/${sessionId}/messages`, { token: op, body: { type: 'system', body: 'staff only: check the warranty' } });
    assert.equal(note.status, 201);
    const reply = await host.call('POST', `/v1/sessions/${sessionId}/messages`, { token: op, body: { type: 'text', body: 'Please unplug it.' } });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    const replyId: string = reply.body.__id ?? reply.body.message?.__id;

    const sent = await waitFor('the reply at the sink', () => sink.mails.find((m) => m.mail.text?.includes('Please unplug it.')));
    thread = { session: sessionId, reply: replyId, replyMessageId: sent.mail.messageId!, operator: op };
    assert.deepEqual(sent.to, ['ann@client.example']);
    assert.equal(sent.mail.from && 'address' in sent.mail.from ? sent.mail.from.address : undefined, 'support@example.com');
    assert.equal(sent.mail.subject, 'Re: Printer is on fire');
    assert.equal(sent.mail.inReplyTo, first);
    assert.ok(sent.mail.references?.includes(first), sent.mail.references);
    assert.equal(sent.mail.messageId, `<${replyId}@example.com>`);
    assert.equal(sent.headers['auto-submitted'], undefined, "an operator's reply is a person's mail");
    // The reply's status follows.
    await waitFor('the reply marked sent', async () => {
      const m = (await messagesOf(sessionId)).find((x) => x.__id === replyId) as { _deliveryStatus?: string } | undefined;
      return m?._deliveryStatus === 'sent' || undefined;
    });
    assert.ok(!sink.mails.some((m) => m.mail.text?.includes('staff only')), 'a note never leaves');

    // The client answers the reply (a new subject line does not matter: the headers thread it).
    await mail({
      from: 'ann@client.example',
      subject: 'Re: Re: Printer is on fire',
      messageId: '<answer-1@client.example>',
      inReplyTo: sent.mail.messageId!,
      references: [first, sent.mail.messageId!],
      text: 'Done, thanks!\n\nOn Mon, 7 Dec 2026 at 17:00, Support <support@example.com> wrote:\n> Please unplug it.\n',
    });
    await waitFor(
      'the answer in the same session',
      async () => (await messagesOf(sessionId)).some((m) => m.externalId === 'answer-1@client.example') || undefined,
    );
    const answer = (await messagesOf(sessionId)).find((m) => m.externalId === 'answer-1@client.example')!;
    assert.equal(answer.body, 'Done, thanks!', 'the quoted history is trimmed');
    assert.equal((await sessionsOfChannel()).length, 1, 'no other session was opened');
  });

  test('a duplicate Message-ID adds nothing, also when both arrive at once', async () => {
    const before = await messagesOf((await sessionsOfChannel())[0]!.__id);
    const send = () => mail({ from: 'bob@client.example', subject: 'Invoice', messageId: '<dup-1@client.example>', text: 'Where is my invoice?' });
    await Promise.all([send(), send(), send()]);
    await send();
    const sessionId = await waitFor('the session', () => sessionWithMessage('dup-1@client.example'));
    const messages = (await messagesOf(sessionId)).filter((m) => m.externalId === 'dup-1@client.example');
    assert.equal(messages.length, 1);
    assert.equal((await sessionsOfChannel()).filter((s) => s.__name === 'Invoice').length, 1);
    assert.ok(before.length > 0);
  });

  test('an unknown recipient is refused (550), an oversized mail (552)', async () => {
    await assert.rejects(
      smtp.sendMail({ from: 'x@client.example', to: 'nobody@example.com', subject: 's', text: 't' }),
      (e: { responseCode?: number }) => e.responseCode === 550,
    );
    await assert.rejects(
      mail({ from: 'x@client.example', subject: 'big', text: 'x'.repeat(11 * 1024 * 1024) }),
      (e: { responseCode?: number }) => e.responseCode === 552,
    );
  });

  test('an auto-submitted mail opens nothing and gets no reply', async () => {
    const count = (await sessionsOfChannel()).length;
    const sinkCount = sink.mails.length;
    await mail({
      from: 'ooo@client.example',
      subject: 'Out of office',
      messageId: '<auto-1@client.example>',
      headers: { 'Auto-Submitted': 'auto-replied' },
      text: 'I am away',
    });
    await mail({ from: 'list@client.example', subject: 'News', messageId: '<bulk-1@client.example>', headers: { Precedence: 'bulk' }, text: 'News' });
    // A later mail from another sender arrives: the automatic ones (sent before it) would be there by now.
    await mail({ from: 'carol@client.example', subject: 'Marker', messageId: '<marker-1@client.example>', text: 'marker' });
    await waitFor('the marker', () => sessionWithMessage('marker-1@client.example'));
    assert.equal((await sessionsOfChannel()).length, count + 1);
    assert.equal(await sessionWithMessage('auto-1@client.example'), undefined);
    assert.equal(sink.mails.length, sinkCount);
  });

  test('an HTML-only mail becomes text', async () => {
    await mail({
      from: 'dan@client.example',
      subject: 'HTML',
      messageId: '<html-1@client.example>',
      html: '<p>Hello <b>there</b></p><p>Line&nbsp;two &amp; more</p>',
    });
    const sessionId = await waitFor('the session', () => sessionWithMessage('html-1@client.example'));
    const m = (await messagesOf(sessionId)).find((x) => x.externalId === 'html-1@client.example')!;
    assert.equal(m.body, 'Hello there\n\nLine two & more');
  });
});

describe('threading with several open sessions, SES', () => {
  test('an answer naming a reply goes to that reply’s session even when a newer one is open; a mail naming none goes to the newest', async () => {
    const started = await host.call('POST', '/v1/sessions', { token: thread.operator, body: { channel: inbox.__id, account: 'ann@client.example' } });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const newer: string = started.body.__id;
    await mail({
      from: 'ann@client.example',
      subject: 'Re: Printer is on fire',
      messageId: '<answer-2@client.example>',
      inReplyTo: thread.replyMessageId,
      references: ['first-1@client.example', thread.replyMessageId].map((id) => (id.startsWith('<') ? id : `<${id}>`)),
      text: 'One more thing.',
    });
    assert.equal(await waitFor('the threaded answer', () => sessionWithMessage('answer-2@client.example')), thread.session);
    await mail({ from: 'ann@client.example', subject: 'Another matter', messageId: '<plain-2@client.example>', text: 'Something else.' });
    assert.equal(await waitFor('the unthreaded mail', () => sessionWithMessage('plain-2@client.example')), newer);
  });

  test('SES: the receipt’s verdicts go on the message; a hard bounce makes the reply failed with the reason', async () => {
    const raw = ['From: eve@client.example', 'To: support@example.com', 'Subject: Via SES', 'Message-ID: <ses-1@client.example>', '', 'Hello from SES'].join(
      '\r\n',
    );
    const [outcome] = await receiveSesMail({ messageId: 'abc', recipients: ['support@example.com'], spf: 'PASS', dkim: 'PASS', dmarc: 'FAIL' }, async () =>
      Buffer.from(raw),
    );
    assert.equal(outcome?.outcome, 'received');
    const m = (await messagesOf((outcome as { session: string }).session)).find((x) => x.externalId === 'ses-1@client.example');
    assert.deepEqual(m?._mailAuth, { spf: 'pass', dkim: 'pass', dmarc: 'fail' });
    const tooLarge = await receiveSesMail({ messageId: 'big', recipients: ['support@example.com'] }, async () => 'too-large');
    assert.equal(tooLarge[0]?.outcome, 'dropped');

    const applied = await applySesEvent({
      eventType: 'Bounce',
      mail: { messageId: 'ses-out-1', tags: { 'chatlines-message': [thread.reply] } },
      bounce: {
        bounceType: 'Permanent',
        bounceSubType: 'General',
        bouncedRecipients: [{ emailAddress: 'ann@client.example', diagnosticCode: 'smtp; 550 5.1.1 no such user' }],
      },
    });
    assert.equal(applied, 'applied');
    const reply = (await messagesOf(thread.session)).find((x) => x.__id === thread.reply) as { _deliveryStatus?: string } | undefined;
    assert.equal(reply?._deliveryStatus, 'failed');
    assert.equal(await applySesEvent({ eventType: 'Delivery', mail: { tags: { 'chatlines-message': ['0000000000000-0000-00000000'] } } }), 'ignored');
  });
});
