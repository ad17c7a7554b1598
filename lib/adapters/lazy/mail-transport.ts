/**
 * A mail reply's transport (nodemailer, ~239 KB bundled), a lazy module (lib/adapters/lazy.ts):
 * loaded by the e-mail adapter (lib/adapters/messengers/email.ts) when it sends its first reply,
 * never at a cold start. Through `SMTP_URL` when it is set (locally: the SMTP server `npm start`
 * runs), else SES v2 (nodemailer's SES transport over `@aws-sdk/client-sesv2`).
 */
import { createTransport, type Transporter } from 'nodemailer';

export async function mailTransport(url: string): Promise<{ transporter: Transporter; ses: boolean }> {
  if (url) return { transporter: createTransport(url), ses: false };
  const { SESv2Client, SendEmailCommand } = await import('@aws-sdk/client-sesv2');
  return { transporter: createTransport({ SES: { sesClient: new SESv2Client({}), SendEmailCommand } }), ses: true };
}
