/**
 * The MIME parser (lib/adapters/mail/mime.ts: postal-mime, ~90 KB bundled, half of it HTML
 * entities), a lazy module (lib/adapters/lazy.ts). The SES-triggered function starts loading it
 * before it reads the stored mail from S3 (lib/app/mail/ses.ts), so that on a cold start the
 * parser is parsed while S3 answers.
 */
export { parseMail } from '../mail/mime.ts';
