/**
 * MIME → the parsed mail the rules read. The parser (./mime.ts, postal-mime) is a lazy module
 * (lib/adapters/lazy/mail-parser.ts), loaded once: `preloadMailParser` starts the load early so
 * that it overlaps I/O (the SES function's read of the stored mail).
 */
import type { ParsedMail } from '../../contract/mail.ts';
import { importLazy, loadOnce } from '../lazy.ts';

const parser = loadOnce(() => importLazy<typeof import('../lazy/mail-parser.ts')>('mail-parser'));

/** Starts loading the parser now (a failure surfaces at `parseMail`, which loads again). */
export function preloadMailParser(): void {
  parser().catch(() => undefined);
}

export async function parseMail(raw: Uint8Array | string): Promise<ParsedMail> {
  return (await parser()).parseMail(raw);
}
