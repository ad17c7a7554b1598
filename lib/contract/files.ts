/**
 * Files: what an upload request takes and answers, a file as a message carries it, and the
 * stored file record. A file is uploaded straight to storage with a pre-signed PUT, checked by
 * its content when a message sends it (lib/app/files/), and served by a short-lived pre-signed GET.
 */

import { FileRejectionSchema, FileStateSchema, Id, MAX_FILE_SIZE, Name, Timestamp } from './schemas.ts';
import * as z from './zod.ts';

export { FileRejectionSchema, FileStateSchema, MAX_FILE_SIZE, MAX_FILES_PER_MESSAGE } from './schemas.ts';
export type FileState = z.infer<typeof FileStateSchema>;
export type FileRejection = z.infer<typeof FileRejectionSchema>;

/** A MIME type as `type/subtype` (parameters such as `; charset=utf-8` are not taken). */
export const ContentType = z.pipe(
  z
    .string()
    .check(z.minLength(3), z.maxLength(255), z.regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i, { error: 'a MIME type such as image/png' })),
  z.transform((s) => s.toLowerCase()),
);

/** Slashes, backslashes and control characters: never in a file's name. */
const unsafeInName = (c: string) => c === '/' || c === '\\' || c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f;

/** A file's name as shown to people: no path separators, no control characters. */
export const FileName = Name.check(z.refine((s) => ![...s].some(unsafeInName), { error: 'no slashes or control characters' }));

/** A name from elsewhere (a messenger, an e-mail) made safe: unsafe characters become `_`. */
export const cleanFileName = (name: string) =>
  [...name]
    .map((c) => (unsafeInName(c) ? '_' : c))
    .join('')
    .trim()
    .slice(0, 256) || 'file';

/** A file id: a UUID. */
export const FileId = Id;

/** `POST /v1/sessions/{id}/files`, `POST /v1/visitors/files`: what is about to be uploaded. */
export const CreateFileBody = z.strictObject({
  name: FileName,
  contentType: ContentType,
  size: z.number().check(z.int(), z.gte(1), z.lte(MAX_FILE_SIZE, { error: `at most ${MAX_FILE_SIZE} bytes (20 MB)` })),
});

/** The pre-signed upload: PUT the bytes to `uploadUrl` with exactly these headers before `expiresAt`. */
export const FileUploadResponse = z.object({
  __id: FileId,
  uploadUrl: z.string(),
  method: z.literal('PUT'),
  headers: z.record(z.string(), z.string()),
  expiresAt: Timestamp,
});

export { type FileRef, FileRefSchema } from './schemas.ts';

/** The stored record of a file (one item, keyed by the file id). */
export const FileRecordSchema = z.object({
  __id: FileId,
  __createdAt: Timestamp,
  __createdBy: z.string(),
  /** The object's key in the bucket. */
  key: z.string(),
  name: z.string(),
  /** The declared type (the upload was signed for it). */
  contentType: z.string(),
  /** The declared size (the upload was signed for it). */
  size: z.number().check(z.int()),
  /** The type the content's signature says (set when checked). */
  type: z.nullable(z.string()),
  state: FileStateSchema,
  reason: z.nullable(FileRejectionSchema),
  channel: Id,
  /** The session it belongs to: set at upload by staff, when its message is written otherwise. */
  session: z.nullable(Id),
  /** A visitor's or integration's upload: the client account that may send it (null: staff). */
  account: z.nullable(z.string()),
  /** The message that sent it (a file is sent once). */
  message: z.nullable(z.string()),
  /** Who may download it: `client` (a client-visible message) or `staff` (a note). Null until sent. */
  visibility: z.nullable(z.enum(['client', 'staff'])),
});
export type FileRecord = z.infer<typeof FileRecordSchema>;

export const FileParams = z.strictObject({ id: FileId });

/** `GET /v1/files/{id}?redirect=false`: the pre-signed URL as JSON instead of a 302 (for pages that set `img src`). */
export const FileQuery = z.strictObject({ redirect: z._default(z.enum(['true', 'false']), 'true') });

/** `GET /v1/files/{id}`: where the bytes are (also the 302's body). */
export const FileLinkResponse = z.object({ url: z.string(), expiresAt: Timestamp, name: z.string(), type: z.string(), size: z.number().check(z.int()) });
