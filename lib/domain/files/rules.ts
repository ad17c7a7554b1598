/**
 * Which files chatlines takes, decided by what the content is. Pure: the adapters read the
 * object's head, first bytes (sniffed into a MIME type) and tags; these rules decide.
 *
 * - Size: the object must be exactly the declared size (the PUT was signed for it) and at most
 *   the line's limit (20 MB, or the line's `_maxFileSize`).
 * - Type: the type the content's signature says must be on the allow-list, and the declared
 *   type and the name's extension (when it has a known one) must be of the same kind: a text
 *   file called `photo.png` or declared `image/png` is refused, whatever it is.
 * - Malware: with the scan on, only a clean verdict passes; no verdict yet is "try again".
 */
import { type FileRejection, MAX_FILE_SIZE } from '../../contract/files.ts';

export type FileKind = 'image' | 'pdf' | 'document' | 'text' | 'media';

/** The allow-list: a detected MIME type → its kind. */
const DETECTED: Record<string, FileKind> = {
  'image/png': 'image',
  'image/jpeg': 'image',
  'image/gif': 'image',
  'image/webp': 'image',
  'image/heic': 'image',
  'image/heif': 'image',
  'image/avif': 'image',
  'image/bmp': 'image',
  'image/tiff': 'image',
  'application/pdf': 'pdf',
  // Office Open XML, OpenDocument, and the older compound files (.doc, .xls, .ppt).
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'document',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'document',
  'application/vnd.oasis.opendocument.text': 'document',
  'application/vnd.oasis.opendocument.spreadsheet': 'document',
  'application/vnd.oasis.opendocument.presentation': 'document',
  'application/x-cfb': 'document',
  'application/rtf': 'document',
  'text/plain': 'text',
  'audio/mpeg': 'media',
  'audio/ogg': 'media',
  'audio/opus': 'media',
  'audio/wav': 'media',
  'audio/x-wav': 'media',
  'audio/aac': 'media',
  'audio/x-m4a': 'media',
  'audio/mp4': 'media',
  'audio/flac': 'media',
  'audio/webm': 'media',
  'audio/amr': 'media',
  'video/mp4': 'media',
  'video/quicktime': 'media',
  'video/webm': 'media',
  'video/3gpp': 'media',
  'video/x-m4v': 'media',
  'video/ogg': 'media',
};

/** Declared types beyond the detected ones that name the same kinds. */
const DECLARED: Record<string, FileKind> = {
  ...DETECTED,
  'image/jpg': 'image',
  'application/msword': 'document',
  'application/vnd.ms-excel': 'document',
  'application/vnd.ms-powerpoint': 'document',
  'text/rtf': 'document',
  'text/csv': 'text',
  'text/markdown': 'text',
  'text/tab-separated-values': 'text',
  'audio/mp3': 'media',
  'audio/x-aac': 'media',
};

/** File name extensions of the allowed kinds. */
const EXTENSIONS: Record<string, FileKind> = {
  png: 'image',
  jpg: 'image',
  jpeg: 'image',
  gif: 'image',
  webp: 'image',
  heic: 'image',
  heif: 'image',
  avif: 'image',
  bmp: 'image',
  tif: 'image',
  tiff: 'image',
  pdf: 'pdf',
  doc: 'document',
  docx: 'document',
  xls: 'document',
  xlsx: 'document',
  ppt: 'document',
  pptx: 'document',
  odt: 'document',
  ods: 'document',
  odp: 'document',
  rtf: 'document',
  txt: 'text',
  csv: 'text',
  tsv: 'text',
  md: 'text',
  log: 'text',
  mp3: 'media',
  ogg: 'media',
  oga: 'media',
  opus: 'media',
  wav: 'media',
  aac: 'media',
  m4a: 'media',
  flac: 'media',
  amr: 'media',
  mp4: 'media',
  m4v: 'media',
  mov: 'media',
  webm: 'media',
  '3gp': 'media',
  ogv: 'media',
};

export const isImage = (type: string) => DETECTED[type] === 'image';

/** The kind a name's extension says, if it has a known one. */
export function kindOfName(name: string): FileKind | undefined {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? undefined : EXTENSIONS[name.slice(dot + 1).toLowerCase()];
}

/** The limit that applies on a line (bytes). */
export const maxFileSize = (line: { _maxFileSize?: number | null | undefined }) => Math.min(MAX_FILE_SIZE, line._maxFileSize ?? MAX_FILE_SIZE);

/** Can an upload of this declared type and size be signed at all? (the check by content comes later) */
export function uploadRefusal(input: { name: string; contentType: string; size: number }, limit: number): string | undefined {
  if (input.size > limit) return `the file is ${input.size} bytes; the limit on this line is ${limit}`;
  const kind = DECLARED[input.contentType];
  if (!kind) return `${input.contentType} is not a type chatlines takes (images, PDF, office documents, text, audio, video)`;
  const byName = kindOfName(input.name);
  if (byName && byName !== kind) return `the name ${JSON.stringify(input.name)} does not match the type ${input.contentType}`;
  return undefined;
}

export type Verdict =
  | { ok: true; type: string }
  | { ok: false; reason: FileRejection; detail: string }
  /** Not decided yet (not uploaded, scan still running): the sender may try again. */
  | { ok: 'wait'; detail: string };

export interface Observed {
  name: string;
  declaredType: string;
  declaredSize: number;
  limit: number;
  /** The object's head; undefined when no object was uploaded. */
  object: { size: number } | undefined;
  /** The type its first bytes say (undefined: unknown). */
  detected: string | undefined;
  /** With the malware scan on: its verdict tag (undefined: not scanned yet); `off` without the scan. */
  scan: string | undefined | 'off';
}

/** The verdict on an uploaded file. */
export function judge(o: Observed): Verdict {
  if (!o.object) return { ok: 'wait', detail: `the file ${JSON.stringify(o.name)} has not been uploaded` };
  if (o.object.size !== o.declaredSize) {
    return { ok: false, reason: 'size', detail: `the upload is ${o.object.size} bytes, not the ${o.declaredSize} declared` };
  }
  if (o.object.size > o.limit) return { ok: false, reason: 'size', detail: `the file is ${o.object.size} bytes; the limit is ${o.limit}` };
  const kind = o.detected ? DETECTED[o.detected] : undefined;
  if (!o.detected || !kind) {
    return { ok: false, reason: 'type', detail: `the content is ${o.detected ?? 'of no known type'}, which chatlines does not take` };
  }
  if (DECLARED[o.declaredType] !== kind) {
    return { ok: false, reason: 'type', detail: `the content is ${o.detected}, not the ${o.declaredType} declared` };
  }
  const byName = kindOfName(o.name);
  if (byName && byName !== kind)
    return { ok: false, reason: 'type', detail: `the content is ${o.detected}; the name ${JSON.stringify(o.name)} says otherwise` };
  if (o.scan !== 'off') {
    if (o.scan === undefined) return { ok: 'wait', detail: `the file ${JSON.stringify(o.name)} is still being scanned for malware` };
    if (o.scan !== 'NO_THREATS_FOUND') return { ok: false, reason: 'malware', detail: `the malware scan says ${o.scan}` };
  }
  return { ok: true, type: o.detected };
}

/** An inbound file's declared type when the messenger gave none: what its name suggests, else binary. */
export const declaredOrGuess = (contentType: string | undefined, detected: string | undefined) => contentType ?? detected ?? 'application/octet-stream';
