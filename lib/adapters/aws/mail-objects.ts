/**
 * The raw mail SES's receipt rule stored in S3 (functions/mail/receive-mail.ts reads it), with
 * the function's one S3 client (lib/adapters/files/s3.ts, loaded on first use).
 */
import { s3Sdk } from '../files/s3.ts';

/** The object's bytes; `too-large` (nothing read) when it is over `maxBytes`. */
export async function readMailObject(bucket: string, key: string, maxBytes: number): Promise<Uint8Array | 'too-large'> {
  const { client, S3 } = await s3Sdk();
  const head = await client.send(new S3.HeadObjectCommand({ Bucket: bucket, Key: key }));
  if ((head.ContentLength ?? 0) > maxBytes) return 'too-large';
  const object = await client.send(new S3.GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!object.Body) throw new Error(`s3://${bucket}/${key} has no body`);
  return object.Body.transformToByteArray();
}
