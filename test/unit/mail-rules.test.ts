/** The pure rules of mail: what a parsed mail becomes, trimming, HTML to text, the loop guard, verdicts, SES events. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseMail } from '../../lib/adapters/mail/parse.ts';
import { statusOfSesEvent } from '../../lib/app/mail/ses-events.ts';
import {
  authFromHeader,
  authFromSes,
  automaticReason,
  decideMail,
  htmlToText,
  MAX_MAIL_ATTACHMENTS,
  replySubject,
  replyThreading,
  sessionNameFrom,
  trimReply,
} from '../../lib/domain/mail/rules.ts';

const none = { spf: 'none', dkim: 'none', dmarc: 'none' } as const;

describe('trimming a reply', () => {
  test('the signature after "-- " goes', () => {
    assert.equal(trimReply('Thanks!\n\n-- \nAnn\nExample Corp'), 'Thanks!');
  });
  test('an "On … wrote:" block goes with everything after it (also wrapped on two lines)', () => {
    assert.equal(trimReply('Yes.\n\nOn Mon, 7 Dec 2026 at 17:00, Support <s@example.com> wrote:\n> old\n> older'), 'Yes.');
    assert.equal(trimReply('Yes.\n\nOn Mon, 7 Dec 2026 at 17:00, Support\n<s@example.com> wrote:\n> old'), 'Yes.');
  });
  test('Outlook: "-----Original Message-----" and a From:/Sent: block', () => {
    assert.equal(trimReply('Fine.\n-----Original Message-----\nFrom: x\nSent: y\n\nold'), 'Fine.');
    assert.equal(trimReply('Fine.\n________________________________\nFrom: Support\nSent: Monday\nold'), 'Fine.');
  });
  test('a "From:" line in the text itself is kept; quoted lines in between go', () => {
    assert.equal(trimReply('From: my own words\nsecond line'), 'From: my own words\nsecond line');
    assert.equal(trimReply('> you said\nI agree'), 'I agree');
  });
  test('all quote: kept whole rather than empty', () => {
    assert.equal(trimReply('> only a quote'), '> only a quote');
  });
});

describe('HTML to text', () => {
  test('blocks, breaks, links, lists, entities; scripts and styles dropped', () => {
    const html =
      '<html><head><style>p{}</style></head><body><p>Hello&nbsp;<b>there</b></p><div>Line<br>break</div>' +
      '<ul><li>one</li><li>two</li></ul><a href="https://x.example/a">the link</a><script>alert(1)</script> &lt;ok&gt; &#8364;</body></html>';
    assert.equal(htmlToText(html), 'Hello there\n\nLine\nbreak\n\n- one\n- two\nthe link (https://x.example/a) <ok> €');
  });
  test('a blockquote becomes quoted lines (which trimming then drops)', () => {
    assert.equal(trimReply(htmlToText('<p>New</p><blockquote><p>Old</p></blockquote>')), 'New');
  });
});

describe('the loop guard', () => {
  test('automatic mail is recognised; a person’s is not', () => {
    assert.match(automaticReason({ 'auto-submitted': 'auto-replied' }, 'a@b.c') ?? '', /Auto-Submitted/);
    assert.equal(automaticReason({ 'auto-submitted': 'no' }, 'a@b.c'), undefined);
    assert.match(automaticReason({ precedence: 'bulk' }, 'a@b.c') ?? '', /Precedence/);
    assert.match(automaticReason({ 'list-id': '<x.lists.example>' }, 'a@b.c') ?? '', /List-Id/);
    assert.match(automaticReason({}, 'MAILER-DAEMON@b.c') ?? '', /delivery report/);
    assert.match(automaticReason({}, undefined) ?? '', /delivery report/);
    assert.equal(automaticReason({}, 'ann@client.example'), undefined);
  });
});

describe('verdicts', () => {
  test('Authentication-Results: each method’s first result; none when absent', () => {
    assert.deepEqual(authFromHeader('mx.example.com; spf=pass smtp.mailfrom=a.b; dkim=fail header.d=a.b; dmarc=none'), {
      spf: 'pass',
      dkim: 'fail',
      dmarc: 'none',
    });
    assert.deepEqual(authFromHeader('mx.example.com; spf=softfail'), { spf: 'softfail', dkim: 'none', dmarc: 'none' });
    assert.deepEqual(authFromHeader(undefined), none);
  });
  test('SES receipt verdicts', () => {
    assert.deepEqual(authFromSes({ spf: 'PASS', dkim: 'GRAY', dmarc: 'FAIL' }), { spf: 'pass', dkim: 'none', dmarc: 'fail' });
    assert.deepEqual(authFromSes({ spf: 'PROCESSING_FAILED' }), { spf: 'temperror', dkim: 'none', dmarc: 'none' });
  });
});

describe('subjects and threading headers', () => {
  test('a session name without Re:/Fwd: prefixes; a reply subject without Re: Re:', () => {
    assert.equal(sessionNameFrom('Re: Fwd: RE: Printer'), 'Printer');
    assert.equal(sessionNameFrom('   '), undefined);
    assert.equal(replySubject('Printer'), 'Re: Printer');
    assert.equal(replySubject('Re: Printer'), 'Re: Printer');
  });
  test('In-Reply-To the last mail; References its own plus it, at most 20', () => {
    assert.deepEqual(replyThreading(undefined), {});
    assert.deepEqual(replyThreading({ last: 'c@x', references: ['a@x', 'b@x'] }), { inReplyTo: 'c@x', references: ['a@x', 'b@x', 'c@x'] });
    const long = replyThreading({ last: 'z@x', references: Array.from({ length: 30 }, (_, i) => `${i}@x`) });
    assert.equal(long.references?.length, 20);
    assert.equal(long.references?.at(-1), 'z@x');
  });
});

describe('what a parsed mail becomes', () => {
  const raw = (headers: string[], body: string) => [...headers, '', body].join('\r\n');

  test('a message: the sender, the display name, the subject as name, thread ids newest first', async () => {
    const mail = await parseMail(
      raw(
        [
          'From: "Ann Client" <Ann@Client.Example>',
          'To: support@example.com',
          'Subject: Re: Printer',
          'Message-ID: <m3@client.example>',
          'In-Reply-To: <r2@example.com>',
          'References: <m1@client.example> <r1@example.com> <r2@example.com>',
        ],
        'Hello',
      ),
    );
    const decision = decideMail(mail, none);
    assert.equal(decision.kind, 'message');
    if (decision.kind !== 'message') return;
    assert.equal(decision.externalId, 'm3@client.example');
    assert.equal(decision.account, 'ann@client.example');
    assert.equal(decision.displayName, 'Ann Client');
    assert.equal(decision.sessionName, 'Printer');
    assert.deepEqual(decision.threadIds, ['r2@example.com', 'r1@example.com', 'm1@client.example']);
  });

  test('no Message-ID, or automatic: dropped with the reason', async () => {
    const noId = decideMail(await parseMail(raw(['From: a@b.c', 'Subject: x'], 'y')), none);
    assert.equal(noId.kind, 'drop');
    const auto = decideMail(await parseMail(raw(['From: a@b.c', 'Message-ID: <1@b.c>', 'Auto-Submitted: auto-generated'], 'y')), none);
    assert.equal(auto.kind, 'drop');
  });

  test(`at most ${MAX_MAIL_ATTACHMENTS} attachments kept, the rest named; inline images are not attachments`, async () => {
    const parts = Array.from({ length: MAX_MAIL_ATTACHMENTS + 2 }, (_, i) =>
      ['--b', `Content-Type: text/plain; name="f${i}.txt"`, `Content-Disposition: attachment; filename="f${i}.txt"`, '', `file ${i}`].join('\r\n'),
    );
    const mail = await parseMail(
      raw(
        ['From: a@b.c', 'Message-ID: <att@b.c>', 'Subject: files', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"'],
        ['--b', 'Content-Type: text/plain', '', 'See the files.', ...parts, '--b--'].join('\r\n'),
      ),
    );
    assert.equal(mail.attachments.length, MAX_MAIL_ATTACHMENTS + 2);
    assert.equal(new TextDecoder().decode(mail.attachments[0]!.bytes), 'file 0');
    const decision = decideMail(mail, none);
    assert.equal(decision.kind, 'message');
    if (decision.kind !== 'message') return;
    assert.equal(decision.attachments.length, MAX_MAIL_ATTACHMENTS);
    assert.match(decision.body, /^See the files\.\n\n\[2 more attachment\(s\) not kept: f10\.txt, f11\.txt\]$/);
  });
});

describe('SES sending events', () => {
  test('delivery → delivered; hard bounce and reject → failed with the reason; soft bounce and complaint change nothing', () => {
    assert.deepEqual(statusOfSesEvent({ eventType: 'Delivery' }), { status: 'delivered' });
    const bounce = statusOfSesEvent({
      eventType: 'Bounce',
      bounce: {
        bounceType: 'Permanent',
        bounceSubType: 'NoEmail',
        bouncedRecipients: [{ emailAddress: 'x@y.z', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }],
      },
    });
    assert.equal(bounce?.status, 'failed');
    assert.match(bounce?.error ?? '', /NoEmail.*550 5\.1\.1 user unknown/);
    assert.equal(statusOfSesEvent({ eventType: 'Reject', reject: { reason: 'Bad content' } })?.status, 'failed');
    assert.equal(statusOfSesEvent({ eventType: 'Bounce', bounce: { bounceType: 'Transient' } }), undefined);
    assert.equal(statusOfSesEvent({ eventType: 'Complaint' }), undefined);
  });
});
