/**
 * What a file's first bytes say it is: its signature (npm `file-type`), or plain text when the
 * bytes are valid UTF-8 without control characters (text has no magic number). The name and
 * the declared type play no part here.
 */
import { importLazy } from '../lazy.ts';

/** How many leading bytes the check reads (file-type needs at most this many for the types we allow). */
export const SNIFF_BYTES = 4100;

/** The MIME type the content's signature says; `text/plain` for UTF-8 text; undefined when unknown. */
export async function sniff(bytes: Uint8Array): Promise<string | undefined> {
  // A lazy module: loaded on the path that checks a file only, never at a cold start.
  const { fileTypeFromBuffer } = await importLazy<typeof import('../lazy/file-type.ts')>('file-type');
  const found = await fileTypeFromBuffer(bytes);
  if (found) return found.mime;
  return isText(bytes) ? 'text/plain' : undefined;
}

/**
 * UTF-8 without NUL or other C0 controls (tab, line feed, carriage return and form feed
 * allowed). The bytes may end inside a character (the check reads a prefix): up to three
 * trailing bytes of an unfinished sequence are left out.
 */
export function isText(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  let end = bytes.length;
  // Step back over an incomplete trailing sequence (at most 3 bytes).
  for (let back = 1; back <= 3 && end - back >= 0; back++) {
    const b = bytes[end - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    if (need > back) end -= back;
    break;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end));
  } catch {
    return false;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find them
  return !/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(text);
}
