import { preloadMailParser } from '../../adapters/mail/parse.ts';
import { logger } from '../../adapters/observability.ts';
import { authFromSes, MAX_MAIL_BYTES } from '../../domain/mail/rules.ts';
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
  // The parser loads while the mail is read (a cold start parses postal-mime during S3's answer).
  preloadMailParser();
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
