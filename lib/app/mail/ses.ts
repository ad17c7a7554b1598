/**
 * SES's side of mail: a receipt (the receipt rule stored the mail in S3 and invoked
 * functions/mail/receive-mail.ts) becomes the same receipt as the local SMTP listener's
 * (inbound.ts), with SES's SPF/DKIM/DMARC verdicts; and SES's sending events (delivery, bounce,
 * complaint, reject, published by the configuration set through SNS to
 * functions/mail/mail-events.ts) set the reply's `_deliveryStatus`.
 */
import { getItem } from '../../adapters/dynamodb/db.ts';
import { messageRefKey } from '../../adapters/dynamodb/keys.ts';
import { logger } from '../../adapters/observability.ts';
import { isConflict } from '../../contract/errors.ts';
import { authFromSes, MAX_MAIL_BYTES } from '../../domain/mail/rules.ts';
import { reportMessageStatus } from '../channels/delivery-status.ts';
import { type MailOutcome, receiveMail } from './inbound.ts';

/** What the function needs of one SES receipt record. */
export interface SesReceipt {
  readonly messageId: string;
  readonly recipients: readonly string[];
  readonly spf?: string | undefined;
  readonly dkim?: string | undefined;
  readonly dmarc?: string | undefined;
}

/** One received mail; `read` fetches the stored bytes (`too-large` when over the limit, unread). */
export async function receiveSesMail(receipt: SesReceipt, read: (maxBytes: number) => Promise<Uint8Array | 'too-large'>): Promise<MailOutcome[]> {
  const raw = await read(MAX_MAIL_BYTES);
  if (raw === 'too-large') {
    // SES takes mail up to 40 MB; over ours it is dropped with this log (the sender gets no bounce).
    logger.warn('mail dropped: too large', { sesMessageId: receipt.messageId, recipients: receipt.recipients });
    return receipt.recipients.map((recipient) => ({ recipient, outcome: 'dropped', reason: `the mail is larger than ${MAX_MAIL_BYTES} bytes` }));
  }
  const outcomes = await receiveMail(raw, receipt.recipients, authFromSes(receipt));
  for (const o of outcomes) if (o.outcome !== 'received') logger.info('mail not taken', { sesMessageId: receipt.messageId, ...o });
  return outcomes;
}

/** The tag our replies carry (lib/adapters/messengers/email.ts): the reply's message id. */
const MESSAGE_TAG = 'chatlines-message';

/** An SES sending event, as the configuration set publishes it (only what is read). */
export interface SesSendingEvent {
  readonly eventType?: string;
  readonly notificationType?: string;
  readonly mail?: { readonly messageId?: string; readonly tags?: Readonly<Record<string, readonly string[]>> };
  readonly bounce?: {
    readonly bounceType?: string;
    readonly bounceSubType?: string;
    readonly bouncedRecipients?: readonly { readonly emailAddress?: string; readonly diagnosticCode?: string }[];
  };
  readonly reject?: { readonly reason?: string };
}

/** What a sending event says of a reply: a status, or nothing to change. */
export function statusOfSesEvent(event: SesSendingEvent): { status: 'delivered' | 'failed'; error?: string } | undefined {
  const type = event.eventType ?? event.notificationType;
  if (type === 'Delivery') return { status: 'delivered' };
  if (type === 'Reject') return { status: 'failed', error: `SES rejected the mail: ${event.reject?.reason ?? 'no reason given'}` };
  if (type === 'Bounce' && event.bounce?.bounceType === 'Permanent') {
    const recipient = event.bounce.bouncedRecipients?.[0];
    const reason = recipient?.diagnosticCode ?? event.bounce.bounceSubType ?? 'no reason given';
    return { status: 'failed', error: `the mail bounced (${event.bounce.bounceSubType ?? 'Permanent'}): ${reason}`.slice(0, 1024) };
  }
  // A transient bounce is retried by SES; a complaint comes after delivery (the client called it spam): logged only.
  return undefined;
}

/** Applies one sending event to the reply it names. */
export async function applySesEvent(event: SesSendingEvent): Promise<'applied' | 'ignored'> {
  const messageId = event.mail?.tags?.[MESSAGE_TAG]?.[0];
  const change = statusOfSesEvent(event);
  if (event.eventType === 'Complaint' || event.notificationType === 'Complaint') logger.warn('a client marked a reply as spam', { message: messageId });
  if (!messageId || !change) return 'ignored';
  const ref = await getItem(messageRefKey(messageId), false);
  if (!ref || typeof ref.channel !== 'string') {
    logger.warn('an SES event names no reply we know', { message: messageId });
    return 'ignored';
  }
  const caller = { sub: 'mail', roles: ['integration' as const], groups: [], channels: [ref.channel] };
  try {
    await reportMessageStatus(caller, ref.channel, messageId, change, () => []);
    return 'applied';
  } catch (error) {
    // A status the reply may not take any more (a bounce after it was read): nothing to do.
    if (isConflict(error)) return 'ignored';
    throw error;
  }
}
