/** MIME → the parsed mail the rules read, with postal-mime (no native code). Loaded lazily: see ./parse.ts. */
import PostalMime from 'postal-mime';
import type { MailAttachment, ParsedMail } from '../../contract/mail.ts';

const bare = (id: string) =>
  id
    .trim()
    .replace(/^<+|>+$/g, '')
    .trim();
const ids = (value: string | undefined) => (value ? (value.match(/<[^<>\s]+>/g) ?? value.split(/\s+/)).map(bare).filter(Boolean) : []);

export async function parseMail(raw: Uint8Array | string): Promise<ParsedMail> {
  const email = await PostalMime.parse(raw, { attachmentEncoding: 'arraybuffer', maxPartCount: 200 });
  const headers: Record<string, string> = {};
  for (const h of email.headers) headers[h.key] = headers[h.key] === undefined ? h.value : `${headers[h.key]}\n${h.value}`;
  const from = email.from && 'address' in email.from && email.from.address ? { address: email.from.address, name: email.from.name ?? '' } : undefined;
  const attachments: MailAttachment[] = email.attachments
    // Inline images of an HTML body (cid: parts) are part of its look, not files the client sent.
    .filter((a) => !(a.related && a.contentId))
    .map((a, i) => {
      const bytes =
        typeof a.content === 'string' ? new TextEncoder().encode(a.content) : a.content instanceof Uint8Array ? a.content : new Uint8Array(a.content);
      return { name: a.filename ?? `attachment-${i + 1}`, contentType: a.mimeType || 'application/octet-stream', size: bytes.byteLength, bytes };
    });
  return {
    messageId: email.messageId ? bare(email.messageId) || undefined : undefined,
    inReplyTo: ids(email.inReplyTo),
    references: ids(email.references),
    from,
    subject: email.subject ?? '',
    text: email.text,
    html: email.html,
    headers,
    attachments,
    size: typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength,
  };
}
