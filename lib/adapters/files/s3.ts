/**
 * The file store: one S3 bucket (`FILES_BUCKET`). Uploads and downloads go straight between the
 * browser (or messenger) and S3 with pre-signed URLs; the functions only sign, look at an
 * object's head and its first bytes, and delete. `S3_ENDPOINT` points the client at an
 * S3-compatible server (the local host's s3rver, path-style); in Lambda it is unset.
 *
 * Uploaded objects carry the tag `chatlines-state=pending` (part of the signed PUT): the bucket's
 * lifecycle expires them unless a message sends them, which removes the tag.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { loadOnce } from '../lazy.ts';

/** The tag every upload carries until a message sends it (the lifecycle rule's filter). */
export const PENDING_TAG = { key: 'chatlines-state', value: 'pending' } as const;
/** GuardDuty Malware Protection for S3 writes its verdict in this tag. */
export const MALWARE_SCAN_TAG = 'GuardDutyMalwareScanStatus';

/**
 * The S3 SDK (the client; the presigner apart), imported on the first file operation rather than at a cold
 * start: most functions that can touch files (a message, a hook, an export) do so only when a
 * message carries one. For the file routes themselves the load moves into their first request.
 */
interface S3Sdk {
  client: S3Client;
  S3: typeof import('@aws-sdk/client-s3');
}
const loadSdk = () =>
  loadOnce(async (): Promise<S3Sdk> => {
    const S3 = await import('@aws-sdk/client-s3');
    return { client: newClient(S3), S3 };
  });
let s3 = loadSdk();
/** The presigner, for the functions that sign URLs (the others, such as receive-mail, never load it). */
const presigner = loadOnce(() => import('@aws-sdk/s3-request-presigner'));

function newClient(S3: typeof import('@aws-sdk/client-s3')): S3Client {
  const endpoint = process.env.S3_ENDPOINT;
  return new S3.S3Client({
    ...(endpoint
      ? {
          endpoint,
          forcePathStyle: true,
          region: process.env.AWS_REGION ?? 'us-east-1',
          // s3rver's default account; the local server checks no more than the key id.
          credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
        }
      : {}),
    // No checksum of its own in pre-signed URLs: the SDK would sign the CRC32 of an empty body,
    // and S3 would refuse the browser's real bytes.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 10_000 },
  });
}

/**
 * The function's one S3 client and the SDK's commands, loaded on first use: for the other
 * buckets' reads (the stored mail: lib/adapters/aws/mail-objects.ts), so that a function has
 * one client with one configuration (the files' settings: 3 attempts, 1 s to connect, 10 s of
 * silence at most, no checksum of its own).
 */
export function s3Sdk(): Promise<{ client: S3Client; S3: typeof import('@aws-sdk/client-s3') }> {
  return s3();
}

/** The bucket, from the environment. */
export function filesBucket(): string {
  const bucket = process.env.FILES_BUCKET;
  if (!bucket) throw new Error('FILES_BUCKET is not set');
  return bucket;
}

/** Are the files configured here at all (a host started without a store answers 503)? */
export const filesConfigured = () => Boolean(process.env.FILES_BUCKET);

/** Whether objects may be tagged (the local s3rver has no tagging; AWS has). */
const tagging = () => !process.env.S3_ENDPOINT;

export interface PresignedPut {
  url: string;
  /** Headers the PUT must carry exactly as signed. */
  headers: Record<string, string>;
  expiresAt: string;
}

/**
 * A PUT of exactly `size` bytes of `contentType` to `key`, valid `seconds`: Content-Length and
 * Content-Type are signed, so S3 refuses any other length or type (the browser sets the length
 * from the body itself).
 */
export async function presignPut(key: string, contentType: string, size: number, seconds: number, now = Date.now()): Promise<PresignedPut> {
  const [{ client, S3 }, { getSignedUrl }] = await Promise.all([s3(), presigner()]);
  const tag = `${PENDING_TAG.key}=${PENDING_TAG.value}`;
  const command = new S3.PutObjectCommand({
    Bucket: filesBucket(),
    Key: key,
    ContentType: contentType,
    ContentLength: size,
    ...(tagging() ? { Tagging: tag } : {}),
  });
  const url = await getSignedUrl(client, command, {
    expiresIn: seconds,
    signableHeaders: new Set(['content-type', 'content-length', ...(tagging() ? ['x-amz-tagging'] : [])]),
    // The tag stays a header (not hoisted into the query) so that it is signed as one.
    unhoistableHeaders: new Set(tagging() ? ['x-amz-tagging'] : []),
  });
  const headers: Record<string, string> = { 'Content-Type': contentType };
  if (tagging()) headers['x-amz-tagging'] = tag;
  return { url, headers, expiresAt: new Date(now + seconds * 1000).toISOString() };
}

/** A GET valid `seconds`; `attachment` makes browsers save rather than render it. */
export async function presignGet(key: string, options: { seconds: number; contentType: string; attachment?: string | undefined }): Promise<string> {
  const [{ client, S3 }, { getSignedUrl }] = await Promise.all([s3(), presigner()]);
  const command = new S3.GetObjectCommand({
    Bucket: filesBucket(),
    Key: key,
    ResponseContentType: options.contentType,
    ...(options.attachment !== undefined ? { ResponseContentDisposition: contentDisposition(options.attachment) } : {}),
  });
  return getSignedUrl(client, command, { expiresIn: options.seconds });
}

/** `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266), safe for any name. */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** The object's size and type; undefined when there is none (not uploaded yet). */
export async function headObject(key: string): Promise<{ size: number; contentType: string | undefined } | undefined> {
  try {
    const { client, S3 } = await s3();
    const out = await client.send(new S3.HeadObjectCommand({ Bucket: filesBucket(), Key: key }));
    return { size: out.ContentLength ?? 0, contentType: out.ContentType };
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/** The first `count` bytes (a ranged GET): what the type check reads, never the whole file. */
export async function firstBytes(key: string, count: number): Promise<Uint8Array> {
  const { client, S3 } = await s3();
  const out = await client.send(new S3.GetObjectCommand({ Bucket: filesBucket(), Key: key, Range: `bytes=0-${count - 1}` }));
  const bytes = await out.Body!.transformToByteArray();
  // A server that ignores Range (none should) still yields only what the check reads.
  return bytes.subarray(0, count);
}

/** The whole object (outbound messengers that take an upload rather than a URL). */
export async function objectBytes(key: string): Promise<Uint8Array> {
  const { client, S3 } = await s3();
  const out = await client.send(new S3.GetObjectCommand({ Bucket: filesBucket(), Key: key }));
  return out.Body!.transformToByteArray();
}

/** Stores bytes fetched by our own code (inbound messenger attachments). */
export async function putObject(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
  const { client, S3 } = await s3();
  await client.send(new S3.PutObjectCommand({ Bucket: filesBucket(), Key: key, Body: bytes, ContentType: contentType }));
}

export async function deleteObject(key: string): Promise<void> {
  const { client, S3 } = await s3();
  await client.send(new S3.DeleteObjectCommand({ Bucket: filesBucket(), Key: key }));
}

/** The object's tags (the malware scan's verdict); empty where tagging is not available. */
export async function objectTags(key: string): Promise<Record<string, string>> {
  if (!tagging()) return {};
  const { client, S3 } = await s3();
  const out = await client.send(new S3.GetObjectTaggingCommand({ Bucket: filesBucket(), Key: key }));
  return Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

/** Removes the pending tag (and the scan's), so the lifecycle rule no longer expires the object. */
export async function keepObject(key: string): Promise<void> {
  if (!tagging()) return;
  const { client, S3 } = await s3();
  await client.send(new S3.DeleteObjectTaggingCommand({ Bucket: filesBucket(), Key: key }));
}

/**
 * No such object. Without `s3:ListBucket` (not granted: the functions never list) S3 answers a
 * HeadObject of a missing key with 403, not 404: with GetObject granted on the key, that 403
 * means the object is not there.
 */
function isMissing(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || status === 404 || status === 403;
}

/** Replace the client (tests). */
export function resetFilesClient(): void {
  s3 = loadSdk();
}
