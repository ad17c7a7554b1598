/**
 * E-mail's dialect of the messenger port: a reply goes out as a mail from the channel's address,
 * threaded by `In-Reply-To`/`References` under the client's last mail. Locally (and wherever
 * `SMTP_URL` is set) through that SMTP server with nodemailer; in AWS through SES v2 (nodemailer's
 * SES transport over `@aws-sdk/client-sesv2`): both in the lazy module lib/adapters/lazy/mail-transport.ts. Mail has no hook:
 * inbound mail arrives by SMTP (infra/local/smtp.ts) or SES (functions/mail/receive-mail.ts).
 */
import type { Transporter } from 'nodemailer';
import { importLazy } from '../lazy.ts';
import type { Messenger, OutboundReply, SendResult } from './port.ts';

/** What an inbox channel sends with: its address (and the display name its mail shows). */
export interface EmailCredentials {
  readonly address: string;
  readonly name?: string | undefined;
}

/** SMTP status codes a retry will not change (mailbox unknown, refused, too large…). */
const permanent = (code: number | undefined) => code !== undefined && code >= 500 && code < 600;

let transport: Promise<{ transporter: Transporter; ses: boolean }> | undefined;
let transportFor: string | undefined;

/** The transport for the current environment (rebuilt when `SMTP_URL` changes: tests point it at their sinks). */
function mailTransport(): Promise<{ transporter: Transporter; ses: boolean }> {
  const url = process.env.SMTP_URL ?? '';
  if (!transport || transportFor !== url) {
    transportFor = url;
    transport = importLazy<typeof import('../lazy/mail-transport.ts')>('mail-transport').then((m) => m.mailTransport(url));
  }
  return transport;
}

/** Our Message-ID for a reply: the message id at the sending domain (SES puts its own in place). */
export const replyMessageId = (messageId: string, from: string) => `${messageId}@${from.split('@')[1] ?? 'chatlines.invalid'}`;

export const emailMessenger: Messenger<EmailCredentials> = {
  type: 'inbox',
  // Mail has no hook route (lib/contract/routes/hooks.ts names none for it): it arrives by SMTP or SES.
  hookPath: 'email',
  verify: () => ({ ok: false, reason: 'e-mail has no hook: mail arrives by SMTP or SES' }),
  parse: () => [],
  async send(reply: OutboundReply, credentials: EmailCredentials): Promise<SendResult> {
    const thread = reply.thread;
    const { transporter, ses } = await mailTransport();
    const headers: Record<string, string> = {};
    // RFC 3834: automatic answers (the bot's) say so, so auto-responders do not answer them;
    // an operator's reply is a person's mail and carries none.
    if (thread?.automatic) headers['Auto-Submitted'] = 'auto-replied';
    const configurationSet = process.env.SES_CONFIGURATION_SET;
    try {
      const info = await transporter.sendMail({
        from: credentials.name ? { name: credentials.name, address: credentials.address } : credentials.address,
        to: reply.account,
        subject: thread?.subject ?? 'Re:',
        text: reply.text,
        messageId: `<${replyMessageId(reply.messageId, credentials.address)}>`,
        ...(thread?.inReplyTo ? { inReplyTo: `<${thread.inReplyTo}>` } : {}),
        ...(thread?.references?.length ? { references: thread.references.map((r) => `<${r}>`) } : {}),
        headers,
        attachments: await Promise.all(
          reply.files.map(async (f) =>
            f.bytes
              ? { filename: f.name, contentType: f.contentType, content: Buffer.from(await f.bytes()) }
              : { filename: f.name, contentType: f.contentType, href: f.url },
          ),
        ),
        ...(ses
          ? {
              ses: {
                // The message id comes back in SES's events (delivery, bounce…) as a tag.
                EmailTags: [{ Name: 'chatlines-message', Value: reply.messageId.replace(/[^A-Za-z0-9_-]/g, '_') }],
                ...(configurationSet ? { ConfigurationSetName: configurationSet } : {}),
              },
            }
          : {}),
      });
      const sent = String(info.messageId ?? '').replace(/^<|>$/g, '');
      return { ok: true, externalId: sent || replyMessageId(reply.messageId, credentials.address) };
    } catch (error) {
      const e = error as Error & { responseCode?: number; $metadata?: { httpStatusCode?: number }; name: string };
      const code = e.responseCode ?? e.$metadata?.httpStatusCode;
      // SES: a refused message (MessageRejected, not verified) will not pass later either; throttling and 5xx will.
      const sesFinal = ses && (e.name === 'MessageRejected' || e.name === 'MailFromDomainNotVerifiedException' || e.name === 'BadRequestException');
      const smtpFinal = !ses && permanent(e.responseCode);
      return { ok: false, error: `${e.name}: ${e.message}`.slice(0, 500), retry: !(sesFinal || smtpFinal), ...(code === 429 ? { retryAfterMs: 1000 } : {}) };
    }
  },
};
