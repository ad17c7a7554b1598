/**
 * The rules of e-mail, the same in both hosts (the local SMTP listener and the SES function):
 * what a parsed mail becomes (a client's message, or nothing), and the headers our replies carry.
 * Pure: the MIME parsing is lib/adapters/mail/parse.ts, the effects lib/app/mail.
 */

import type { Caller } from '../../contract/caller.ts';
import type { MailAttachment, ParsedMail } from '../../contract/mail.ts';
import type { MailAuth } from '../../contract/schemas.ts';

export type { MailAttachment, ParsedMail };

/** Who mail acts as, on one inbox channel: its integration (receipts, sending events, replies' statuses). */
export const mailCaller = (channelId: string): Caller => ({ sub: 'mail', roles: ['integration'], groups: [], channels: [channelId] });

/** Larger mail is refused: SMTP 552 locally; in AWS SES refuses over its own 40 MB, the function drops over this with a log. */
export const MAX_MAIL_BYTES = 10 * 1024 * 1024;
/** Attachments kept of one mail; the rest are named in the message instead. */
export const MAX_MAIL_ATTACHMENTS = 10;
/** The longest message body kept (the rest is cut, and says so). */
export const MAX_BODY_CHARS = 20_000;
/** Thread ids looked up for one mail (`In-Reply-To` and the newest `References`). */
export const MAX_THREAD_IDS = 10;
/** The longest session name a subject gives (the names' limit). */
const MAX_NAME = 200;

/** What a received mail becomes. */
export type MailDecision =
  | { readonly kind: 'drop'; readonly reason: string }
  | {
      readonly kind: 'message';
      readonly externalId: string;
      readonly account: string;
      readonly displayName: string | undefined;
      readonly body: string;
      readonly sessionName: string | undefined;
      readonly auth: MailAuth;
      /** Message-IDs that may name the session this mail continues, most specific first. */
      readonly threadIds: readonly string[];
      readonly attachments: readonly MailAttachment[];
    };

/** `<a@b>` → `a@b` (Message-ID forms compare without brackets and spaces). */
export const bareMessageId = (id: string) =>
  id
    .trim()
    .replace(/^<+|>+$/g, '')
    .trim();

/** The Message-IDs in a header value (`<a@b> <c@d>`), without brackets. */
export function messageIdsIn(value: string | undefined): string[] {
  if (!value) return [];
  const found = value.match(/<[^<>\s]+>/g);
  return (found ?? value.split(/\s+/)).map(bareMessageId).filter(Boolean);
}

/**
 * Mail a machine sent (auto-replies, bounces, lists): it never opens a session nor gets an
 * answer, so two auto-responders cannot mail each other forever (RFC 3834).
 */
export function automaticReason(headers: Readonly<Record<string, string>>, from: string | undefined): string | undefined {
  const auto = headers['auto-submitted']?.trim().toLowerCase();
  if (auto && auto !== 'no') return `Auto-Submitted: ${auto}`;
  const precedence = headers.precedence?.trim().toLowerCase();
  if (precedence && ['bulk', 'list', 'junk', 'auto_reply'].includes(precedence)) return `Precedence: ${precedence}`;
  if (headers['x-autoreply'] || headers['x-autorespond']) return 'an X-Autoreply header';
  if (headers['list-id'] || headers['list-unsubscribe']) return 'a mailing list (List-Id)';
  const local = from?.split('@')[0]?.toLowerCase();
  if (!from || local === 'mailer-daemon' || local === 'postmaster') return 'a delivery report (no sender, or MAILER-DAEMON)';
  return undefined;
}

const VERDICTS = new Set(['pass', 'fail', 'softfail', 'neutral', 'temperror', 'permerror', 'none']);
const verdict = (value: string | undefined): MailAuth['spf'] => {
  const v = value?.toLowerCase();
  if (!v) return 'none';
  if (VERDICTS.has(v)) return v as MailAuth['spf'];
  // SES spells some differently (`PROCESSING_FAILED`, `GRAY`), and some hosts say `policy` or `hardfail`.
  if (v === 'hardfail') return 'fail';
  if (v === 'processing_failed') return 'temperror';
  if (v === 'gray') return 'none';
  return 'neutral';
};

/** The verdicts of an `Authentication-Results` header (the first result of each method); `none` for what it does not say. */
export function authFromHeader(value: string | undefined): MailAuth {
  const find = (method: string) => value?.match(new RegExp(`\\b${method}\\s*=\\s*([a-z_]+)`, 'i'))?.[1];
  return { spf: verdict(find('spf')), dkim: verdict(find('dkim')), dmarc: verdict(find('dmarc')) };
}

/** SES's receipt verdicts (`spfVerdict.status` …: PASS, FAIL, GRAY, PROCESSING_FAILED). */
export function authFromSes(receipt: { spf?: string | undefined; dkim?: string | undefined; dmarc?: string | undefined }): MailAuth {
  return { spf: verdict(receipt.spf), dkim: verdict(receipt.dkim), dmarc: verdict(receipt.dmarc) };
}

/** A subject as a session's name: without `Re:`/`Fwd:` prefixes; undefined when empty. */
export function sessionNameFrom(subject: string): string | undefined {
  let name = subject.replace(/\s+/g, ' ').trim();
  for (let previous = ''; previous !== name; ) {
    previous = name;
    name = name.replace(/^(re|fw|fwd|aw|sv|antw|ответ|отв)(\[\d+\])?\s*:\s*/i, '').trim();
  }
  return name ? name.slice(0, MAX_NAME) : undefined;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** HTML as plain text, enough for a mail body: blocks on their own lines, links kept, quotes as `>`. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|head|title)[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(
      /<blockquote[\s\S]*?<\/blockquote\s*>/gi,
      (block) => `\n${htmlToText(block.replace(/^<blockquote[^>]*>|<\/blockquote\s*>$/gi, '')).replace(/^/gm, '> ')}\n`,
    )
    .replace(/<a\s[^>]*href\s*=\s*["']([^"']+)["'][^>]*>([\s\S]*?)<\/a\s*>/gi, (_m, href: string, text: string) => {
      const label = text.replace(/<[^>]+>/g, '').trim();
      return label && label !== href && !href.startsWith('mailto:') ? `${label} (${href})` : label || href;
    })
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<li[^>]*>/gi, '\n- ')
    .replace(/<\/(p|div|h[1-6]|tr|ul|ol|table|section|article|header|footer)\s*>/gi, '\n')
    .replace(/<(p|div|h[1-6]|tr|table|ul|ol)[^>]*>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === '#') {
        const code = e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10);
        return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : m;
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    })
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Lines that start the quoted history of a reply, in the forms common mail clients write. */
const QUOTE_HEADERS = [
  /^On .{1,300}wrote:\s*$/i, // Gmail, Apple Mail, Thunderbird
  /^Le .{1,300}a écrit\s*:\s*$/i,
  /^Am .{1,300}schrieb .{0,200}:\s*$/i,
  /^El .{1,300}escribió:\s*$/i,
  /^.{0,300}пишет:\s*$/i,
  /^-{2,}\s*Original Message\s*-{2,}\s*$/i, // Outlook
  /^-{2,}\s*Forwarded message\s*-{2,}\s*$/i,
  /^_{10,}\s*$/, // Outlook's rule above "From: …"
  /^From:\s.+$/, // Outlook's header block (only when a Sent:/Date: line follows)
];

/**
 * The new part of a reply: quoted history (`> ` lines, an `On … wrote:` block and what follows)
 * and the signature (after a `-- ` line) cut off. When the cut would leave nothing, the text is
 * kept as it was (a mail that is all quote is better shown whole than empty).
 */
export function trimReply(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let end = lines.length;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '-- ' || line === '--') {
      end = i;
      break;
    }
    const header = QUOTE_HEADERS.findIndex((re) => re.test(line.trim()));
    if (header >= 0) {
      // "From:" starts a quote only as Outlook writes it: followed by Sent:/Date: within 3 lines.
      if (header === QUOTE_HEADERS.length - 1 && !lines.slice(i + 1, i + 4).some((l) => /^(Sent|Date):\s/i.test(l.trim()))) continue;
      end = i;
      break;
    }
    // A two-line "On …\n… wrote:" (long headers wrap).
    if (/^On\s/i.test(line.trim()) && /wrote:\s*$/i.test(lines[i + 1]?.trim() ?? '')) {
      end = i;
      break;
    }
  }
  const kept = lines.slice(0, end).filter((l) => !/^\s*>/.test(l));
  const trimmed = kept
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return trimmed || text.trim();
}

/** What a received mail becomes: nothing (with the reason) or a client's message. */
export function decideMail(mail: ParsedMail, auth: MailAuth): MailDecision {
  if (!mail.messageId) return { kind: 'drop', reason: 'the mail has no Message-ID (nothing to deduplicate it by)' };
  const automatic = automaticReason(mail.headers, mail.from?.address);
  if (automatic) return { kind: 'drop', reason: `automatic mail (${automatic}): no session, no reply` };
  if (mail.size > MAX_MAIL_BYTES) return { kind: 'drop', reason: `the mail is larger than ${MAX_MAIL_BYTES} bytes` };
  const source = mail.text?.trim() ? mail.text : mail.html ? htmlToText(mail.html) : '';
  let body = trimReply(source);
  const kept = mail.attachments.slice(0, MAX_MAIL_ATTACHMENTS);
  const left = mail.attachments.slice(MAX_MAIL_ATTACHMENTS);
  if (left.length > 0) body += `\n\n[${left.length} more attachment(s) not kept: ${left.map((a) => a.name).join(', ')}]`;
  if (body.length > MAX_BODY_CHARS) body = `${body.slice(0, MAX_BODY_CHARS)}\n[cut: the mail is longer]`;
  if (!body.trim()) body = kept.length > 0 ? `[${kept.length} attachment(s): ${kept.map((a) => a.name).join(', ')}]` : '(empty mail)';
  const threadIds = [...new Set([...mail.inReplyTo, ...[...mail.references].reverse()])].slice(0, MAX_THREAD_IDS);
  return {
    kind: 'message',
    externalId: mail.messageId,
    account: mail.from!.address.toLowerCase(),
    displayName: mail.from!.name.trim() || undefined,
    body,
    sessionName: sessionNameFrom(mail.subject),
    auth,
    threadIds,
    attachments: kept,
  };
}

/** The headers that thread a reply under the client's last mail (RFC 5322 §3.6.4). */
export function replyThreading(thread: { last: string; references: readonly string[] } | undefined): {
  inReplyTo?: string;
  references?: string[];
} {
  if (!thread) return {};
  // References: the parent's References and the parent itself, newest last, bounded (long threads grow headers).
  const references = [...thread.references.filter((r) => r !== thread.last), thread.last].slice(-20);
  return { inReplyTo: thread.last, references };
}

/** A reply's subject: `Re: <session name>` (no `Re: Re:`). */
export const replySubject = (sessionName: string) => `Re: ${sessionNameFrom(sessionName) ?? sessionName}`;
