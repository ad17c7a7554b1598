/** The raw mail SES's receipt rule stored in S3 (functions/mail/receive-mail.ts reads it). */
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';

let client: S3Client | undefined;

/** The object's bytes; `too-large` (nothing read) when it is over `maxBytes`. */
export async function readMailObject(bucket: string, key: string, maxBytes: number): Promise<Uint8Array | 'too-large'> {
  client ??= new S3Client({});
  const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  if ((head.ContentLength ?? 0) > maxBytes) return 'too-large';
  const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!object.Body) throw new Error(`s3://${bucket}/${key} has no body`);
  return object.Body.transformToByteArray();
}
