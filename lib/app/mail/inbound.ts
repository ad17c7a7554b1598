/**
 * A received mail becomes a client's message on the inbox channel its recipient names — the
 * same in both hosts: the local SMTP listener (infra/local/smtp.ts) and SES's receipt function
 * (functions/mail/receive-mail.ts) both call `receiveMail` with the raw MIME.
 *
 * Exactly once per (channel, Message-ID): the Message-ID is the message's `externalId`, which
 * receiveInbound deduplicates (a guard item in the message's own transaction), so a mail
 * delivered twice, or twice at once, adds one message.
 *
 * Threading: a mail whose `In-Reply-To`/`References` names a mail of a session (one we received
 * or one of our replies: every Message-ID we send or receive has a ref item naming its session)
 * continues that session while it is open; otherwise the client's open session on the channel
 * continues, or a new one opens named by the subject (lib/app/sessions/open.ts).
 */
import { TtlCache } from '../../adapters/cache.ts';
import { getItem, getItems, type TransactItem, tableName } from '../../adapters/dynamodb/db.ts';
import { externalIdGuardKey, mailAddressKey, mailThreadKey, messageRefKey, outboundRefKey } from '../../adapters/dynamodb/keys.ts';
import { findChannel } from '../../adapters/dynamodb/lines.ts';
import { filesConfigured } from '../../adapters/files/s3.ts';
import { parseMail } from '../../adapters/mail/parse.ts';
import { logger } from '../../adapters/observability.ts';
import type { MailAttachment, ParsedMail } from '../../contract/mail.ts';
import type { Channel, MailAuth } from '../../contract/schemas.ts';
import { authFromHeader, decideMail, MAX_MAIL_BYTES, mailCaller } from '../../domain/mail/rules.ts';
import { type MessageFile, storeInboundFile } from '../files/files.ts';
import { type InboundResult, receiveInbound } from '../sessions/open.ts';

/** What became of a mail for one recipient. */
export type MailOutcome =
  | { readonly recipient: string; readonly outcome: 'received'; readonly session: string; readonly message: string; readonly created: boolean }
  | { readonly recipient: string; readonly outcome: 'duplicate' | 'dropped' | 'unknown'; readonly reason: string };

/**
 * A mail's attachments, stored and checked as any inbound file (lib/app/files/files.ts) when this
 * host has file storage; without it they are named in the log and not kept. A retried receipt
 * stores its files again under new ids; only the copy whose message is written is ever listed.
 */
async function storeAttachments(channel: Channel, attachments: readonly MailAttachment[]): Promise<MessageFile[]> {
  if (attachments.length === 0) return [];
  if (!filesConfigured()) {
    logger.info('mail attachments not kept (no file storage on this host)', { channel: channel.__id, count: attachments.length });
    return [];
  }
  return Promise.all(
    attachments.map((a) => storeInboundFile({ channel: channel.__id, name: a.name, contentType: a.contentType, bytes: a.bytes, by: `mail:${channel.__id}` })),
  );
}

const channelOfAddress = new TtlCache<string | undefined>(10_000);

/** The inbox channel a recipient address names (undefined: none, or not an active inbox channel). */
export async function channelForAddress(address: string): Promise<Channel | undefined> {
  const key = address.trim().toLowerCase();
  const hit = channelOfAddress.get(key);
  let id = hit?.value;
  if (!hit) {
    const guard = await getItem(mailAddressKey(key), false);
    id = typeof guard?.channel === 'string' ? guard.channel : undefined;
    channelOfAddress.set(key, id);
  }
  if (!id) return undefined;
  const channel = await findChannel(id);
  return channel && channel._type === 'inbox' && channel._address === key && channel.__deletedAt === null ? channel : undefined;
}

/** The caller a mail acts as: an integration of its channel. */

/**
 * Receives one mail for its recipients (the envelope's, which name the channels; the headers'
 * `To` may name others). `auth`: the receiving side's verdicts (SES's receipt); without, the
 * mail's own `Authentication-Results`, else `none`.
 */
export async function receiveMail(raw: Uint8Array | string, recipients: readonly string[], auth?: MailAuth): Promise<MailOutcome[]> {
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength;
  if (size > MAX_MAIL_BYTES) {
    logger.warn('mail dropped: too large', { size, recipients });
    return recipients.map((recipient) => ({ recipient, outcome: 'dropped', reason: `the mail is larger than ${MAX_MAIL_BYTES} bytes` }));
  }
  const mail = await parseMail(raw);
  const outcomes: MailOutcome[] = [];
  for (const recipient of new Set(recipients.map((r) => r.trim().toLowerCase()))) {
    const channel = await channelForAddress(recipient);
    if (!channel) {
      outcomes.push({ recipient, outcome: 'unknown', reason: 'no inbox channel has this address' });
      continue;
    }
    outcomes.push(await receiveForChannel(channel, recipient, mail, auth));
  }
  return outcomes;
}

async function receiveForChannel(channel: Channel, recipient: string, mail: ParsedMail, auth: MailAuth | undefined): Promise<MailOutcome> {
  // A disconnected channel takes no messages: its mail is dropped rather than retried for days.
  if (channel._state !== 'active') {
    logger.info('mail dropped: the channel is not active', { channel: channel.__id, state: channel._state, messageId: mail.messageId });
    return { recipient, outcome: 'dropped', reason: `the channel is ${channel._state}` };
  }
  const decision = decideMail(mail, auth ?? authFromHeader(mail.headers['authentication-results']));
  if (decision.kind === 'drop') {
    logger.info('mail dropped', { channel: channel.__id, messageId: mail.messageId, reason: decision.reason });
    return { recipient, outcome: 'dropped', reason: decision.reason };
  }
  const seen = await getItem(externalIdGuardKey(channel.__id, decision.externalId));
  if (seen) {
    logger.info('mail seen before', { channel: channel.__id, messageId: decision.externalId });
    return { recipient, outcome: 'duplicate', reason: 'a mail with this Message-ID was received already' };
  }
  const session = await threadSession(channel.__id, decision.threadIds);
  const files = await storeAttachments(channel, decision.attachments);
  const thread = { last: decision.externalId, references: [...mail.references.slice(-19)] };
  const result = await receiveInbound(
    mailCaller(channel.__id),
    channel.__id,
    {
      account: decision.account,
      body: decision.body,
      externalId: decision.externalId,
      sessionName: decision.sessionName,
      session,
      mailAuth: decision.auth,
      displayName: decision.displayName,
      ...(files.length > 0 ? { files } : {}),
    },
    // The client's last mail in the session: what our next reply threads under (not for a repeat).
    (r: InboundResult): TransactItem[] =>
      r.duplicate ? [] : [{ Put: { TableName: tableName(), Item: { ...mailThreadKey(r.session.__id), entity: 'mailthread', ...thread } } }],
  );
  if (result.duplicate) return { recipient, outcome: 'duplicate', reason: 'a mail with this Message-ID was received already' };
  return { recipient, outcome: 'received', session: result.session.__id, message: result.message.__id, created: result.created };
}

/**
 * The session the mail's thread ids name, most specific first: a mail received on this channel
 * (its dedup guard names the session), or one of our replies (the ref of the Message-ID it was
 * sent with; and our own Message-IDs' local part is the message id, whose ref names the session).
 * Whether that session is still open (and this client's) is checked by receiveInbound.
 */
async function threadSession(channelId: string, ids: readonly string[]): Promise<string | undefined> {
  if (ids.length === 0) return undefined;
  const keys: { pk: string; sk: string }[] = [];
  const owners: number[] = [];
  ids.forEach((id, i) => {
    keys.push(externalIdGuardKey(channelId, id), outboundRefKey(channelId, id));
    owners.push(i, i);
    const local = id.split('@')[0] ?? '';
    if (/^\d{13}-\d{4}-[0-9a-f]{8}$/.test(local)) {
      keys.push(messageRefKey(local));
      owners.push(i);
    }
  });
  const items = await getItems(keys);
  let best: { rank: number; session: string } | undefined;
  items.forEach((item, k) => {
    const session = item?.sessionId ?? item?.session;
    if (!item || typeof session !== 'string') return;
    if (item.channel !== undefined && item.channel !== channelId) return;
    const rank = owners[k]!;
    if (!best || rank < best.rank) best = { rank, session };
  });
  return (best as { session: string } | undefined)?.session;
}
