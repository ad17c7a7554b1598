/**
 * A received mail becomes a client's message on the inbox channel its recipient names — the
 * same in both hosts: the local SMTP listener (infra/local/smtp.ts) and SES's receipt function
 * (functions/mail/receive-mail.ts) both call `receiveMail` with the raw MIME.
 *
 * Exactly once per (channel, Message-ID): the mail's ref item is claimed before anything else
 * (a conditional put with a lease), and the message's transaction turns the claim into the ref
 * only while this claim holds it — so a mail delivered twice, or twice at once, adds one
 * message. A failed receipt releases its claim, so the sender's retry can take it.
 *
 * Threading: a mail whose `In-Reply-To`/`References` names a mail of a session (one we received
 * or one of our replies: every Message-ID we send or receive has a ref item naming its session)
 * continues that session while it is open; otherwise the client's open session on the channel
 * continues, or a new one opens named by the subject (lib/app/sessions/open.ts).
 */
import { randomUUID } from 'node:crypto';
import { TtlCache } from '../../adapters/cache.ts';
import { getItem, getItems, putItem, type TransactItem, tableName, writeOnly } from '../../adapters/dynamodb/db.ts';
import { mailAddressKey, mailRefKey, mailThreadKey, messageRefKey } from '../../adapters/dynamodb/keys.ts';
import { findChannel } from '../../adapters/dynamodb/lines.ts';
import { parseMail } from '../../adapters/mail/parse.ts';
import { logger } from '../../adapters/observability.ts';
import type { Caller } from '../../contract/caller.ts';
import type { MailAttachment, ParsedMail } from '../../contract/mail.ts';
import type { Channel, MailAuth } from '../../contract/schemas.ts';
import { authFromHeader, decideMail, MAX_MAIL_BYTES } from '../../domain/mail/rules.ts';
import { type InboundResult, receiveInbound } from '../sessions/open.ts';

/** How long a claim on a mail holds before another delivery of it may take over (a crashed receipt). */
const CLAIM_MS = 60_000;

/** What became of a mail for one recipient. */
export type MailOutcome =
  | { readonly recipient: string; readonly outcome: 'received'; readonly session: string; readonly message: string; readonly created: boolean }
  | { readonly recipient: string; readonly outcome: 'duplicate' | 'dropped' | 'unknown'; readonly reason: string };

/**
 * THE SEAM for attachments: the files capability stores a mail's attachments and answers their
 * file ids (which the message's `files` then lists). Until it is plugged in (`useMailAttachmentStore`),
 * attachments are parsed, counted in the log and not kept.
 */
export type MailAttachmentStore = (input: {
  channel: Channel;
  /** The mail's Message-ID: a stable key, so a retried receipt stores the same files. */
  externalId: string;
  attachments: readonly MailAttachment[];
}) => Promise<string[]>;
let attachmentStore: MailAttachmentStore | undefined;
export function useMailAttachmentStore(store: MailAttachmentStore | undefined): void {
  attachmentStore = store;
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
const mailCaller = (channel: Channel): Caller => ({ sub: 'mail', roles: ['integration'], groups: [], channels: [channel.__id] });

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
  const decision = decideMail(mail, auth ?? authFromHeader(mail.headers['authentication-results']));
  if (decision.kind === 'drop') {
    logger.info('mail dropped', { channel: channel.__id, messageId: mail.messageId, reason: decision.reason });
    return { recipient, outcome: 'dropped', reason: decision.reason };
  }
  const ref = mailRefKey(channel.__id, decision.externalId);
  const token = randomUUID();
  const now = Date.now();
  const claimed = await putItem(
    { ...ref, entity: 'mailref', state: 'claimed', token, leaseUntil: now + CLAIM_MS },
    {
      ConditionExpression: 'attribute_not_exists(pk) OR (#st = :claimed AND leaseUntil < :now)',
      ExpressionAttributeNames: { '#st': 'state' },
      ExpressionAttributeValues: { ':claimed': 'claimed', ':now': now },
    },
  );
  if (!claimed) {
    logger.info('mail seen before', { channel: channel.__id, messageId: decision.externalId });
    return { recipient, outcome: 'duplicate', reason: 'a mail with this Message-ID was received already' };
  }
  try {
    const session = await threadSession(channel.__id, decision.threadIds);
    const files =
      attachmentStore && decision.attachments.length > 0
        ? await attachmentStore({ channel, externalId: decision.externalId, attachments: decision.attachments })
        : [];
    if (!attachmentStore && decision.attachments.length > 0) {
      logger.info('mail attachments not kept (no file storage plugged in)', { channel: channel.__id, count: decision.attachments.length });
    }
    const thread = { last: decision.externalId, references: [...mail.references.slice(-19)] };
    const result = await receiveInbound(
      mailCaller(channel),
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
      (r: InboundResult): TransactItem[] => [
        {
          // The claim becomes the ref — only while this receipt still holds it.
          Put: {
            TableName: tableName(),
            Item: { ...ref, entity: 'mailref', state: 'done', session: r.session.__id, client: r.client.__id, message: r.message.__id },
            ConditionExpression: '#tok = :tok',
            ExpressionAttributeNames: { '#tok': 'token' },
            ExpressionAttributeValues: { ':tok': token },
          },
        },
        // The client's last mail in the session: what our next reply threads under.
        { Put: { TableName: tableName(), Item: { ...mailThreadKey(r.session.__id), entity: 'mailthread', ...thread } } },
      ],
    );
    return { recipient, outcome: 'received', session: result.session.__id, message: result.message.__id, created: result.created };
  } catch (error) {
    // Let a later delivery of the mail (the sender's retry) take it.
    await writeOnly([
      {
        Delete: {
          TableName: tableName(),
          Key: ref,
          ConditionExpression: '#tok = :tok',
          ExpressionAttributeNames: { '#tok': 'token' },
          ExpressionAttributeValues: { ':tok': token },
        },
      },
    ]).catch(() => undefined);
    throw error;
  }
}

/**
 * The session the mail's thread ids name, most specific first: a mail received on this channel
 * (its ref), or one of our replies (our Message-ID's local part is the message id, whose ref
 * names the session; SES's own Message-IDs have a ref of their own, written when sent).
 * Whether that session is still open (and this client's) is checked by receiveInbound.
 */
async function threadSession(channelId: string, ids: readonly string[]): Promise<string | undefined> {
  if (ids.length === 0) return undefined;
  const keys: { pk: string; sk: string }[] = [];
  const owners: number[] = [];
  ids.forEach((id, i) => {
    keys.push(mailRefKey(channelId, id));
    owners.push(i);
    const local = id.split('@')[0] ?? '';
    if (/^\d{13}-\d{4}-[0-9a-f]{8}$/.test(local)) {
      keys.push(messageRefKey(local));
      owners.push(i);
    }
  });
  const items = await getItems(keys);
  let best: { rank: number; session: string } | undefined;
  items.forEach((item, k) => {
    if (!item || typeof item.session !== 'string') return;
    if (item.channel !== undefined && item.channel !== channelId) return;
    if (item.state !== undefined && item.state !== 'done') return;
    const rank = owners[k]!;
    if (!best || rank < best.rank) best = { rank, session: item.session };
  });
  return (best as { session: string } | undefined)?.session;
}
