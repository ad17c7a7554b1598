/**
 * A received mail as the parser (lib/adapters/mail/parse.ts) hands it to the rules
 * (lib/domain/mail/rules.ts): only what the rules need. Shared by both sides, so it lives here.
 */

/** A file a mail carried, with its bytes: what the files capability stores. */
export interface MailAttachment {
  readonly name: string;
  readonly contentType: string;
  readonly size: number;
  readonly bytes: Uint8Array;
}

export interface ParsedMail {
  /** Without angle brackets; undefined when the mail has none. */
  readonly messageId: string | undefined;
  readonly inReplyTo: readonly string[];
  readonly references: readonly string[];
  readonly from: { readonly address: string; readonly name: string } | undefined;
  readonly subject: string;
  readonly text: string | undefined;
  readonly html: string | undefined;
  /** Header names in lower case; repeated headers joined by newlines. */
  readonly headers: Readonly<Record<string, string>>;
  readonly attachments: readonly MailAttachment[];
  /** The raw mail's size in bytes. */
  readonly size: number;
}
