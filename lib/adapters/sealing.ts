/**
 * Envelope encryption of secrets kept in the table (a messenger channel's credentials): each
 * value is sealed with AES-256-GCM under a fresh data key, and the data key is wrapped — in AWS
 * by the stack's KMS key (`CREDENTIALS_KEY_ID`, key rotation on; lib/adapters/aws/kms.ts),
 * locally by the key in the file `CREDENTIALS_KEY_FILE`, which the local host makes on its first
 * start (infra/local/secrets.ts; the runtime only reads it), as for the visitor secret. Both the value and its
 * wrapped key are bound to a context (the channel id), so a sealed value copied onto another
 * item does not open. An instance keeps unwrapped data keys for 15 minutes (one KMS call per
 * channel then, not one per message).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TtlCache } from './cache.ts';

/** A sealed value as stored: every part base64. */
export interface Sealed {
  readonly v: 1;
  /** What wrapped the data key. */
  readonly wrap: 'kms' | 'local';
  readonly key: string;
  readonly iv: string;
  readonly tag: string;
  readonly data: string;
}

const ALGORITHM = 'aes-256-gcm';
const dataKeys = new TtlCache<Buffer>(15 * 60_000, 1_000);

let localKey: Buffer | undefined;
let localKeyFile: string | undefined;
function localMasterKey(): Buffer {
  const file = process.env.CREDENTIALS_KEY_FILE;
  if (!file) throw new Error('no key wraps the credentials: CREDENTIALS_KEY_ID (AWS) or CREDENTIALS_KEY_FILE (the local host) must be set');
  if (localKey && localKeyFile === file) return localKey;
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new Error(`${file} does not hold a 256-bit key`);
  localKey = key;
  localKeyFile = file;
  return key;
}

function encrypt(key: Buffer, plaintext: Buffer, aad: string): { iv: Buffer; tag: Buffer; data: Buffer } {
  const iv = randomBytes(12);
  const cipher = createCipheriv(ALGORITHM, key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, tag: cipher.getAuthTag(), data };
}

function decrypt(key: Buffer, iv: Buffer, tag: Buffer, data: Buffer, aad: string): Buffer {
  const decipher = createDecipheriv(ALGORITHM, key, iv);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(data), decipher.final()]);
}

const kmsKeyId = () => process.env.CREDENTIALS_KEY_ID;

async function wrap(dataKey: Buffer, context: string): Promise<{ wrap: Sealed['wrap']; key: string }> {
  const keyId = kmsKeyId();
  if (keyId) {
    const { wrapWithKms } = await import('./aws/kms.ts');
    return { wrap: 'kms', key: Buffer.from(await wrapWithKms(keyId, dataKey, { chatlines: context })).toString('base64') };
  }
  const { iv, tag, data } = encrypt(localMasterKey(), dataKey, context);
  return { wrap: 'local', key: Buffer.concat([iv, tag, data]).toString('base64') };
}

async function unwrap(sealed: Sealed, context: string): Promise<Buffer> {
  const cacheKey = `${context}\u0000${sealed.key}`;
  const hit = dataKeys.get(cacheKey)?.value;
  if (hit) return hit;
  const blob = Buffer.from(sealed.key, 'base64');
  let dataKey: Buffer;
  if (sealed.wrap === 'kms') {
    const keyId = kmsKeyId();
    if (!keyId) throw new Error('a KMS-sealed value needs CREDENTIALS_KEY_ID');
    const { unwrapWithKms } = await import('./aws/kms.ts');
    dataKey = Buffer.from(await unwrapWithKms(keyId, blob, { chatlines: context }));
  } else {
    dataKey = decrypt(localMasterKey(), blob.subarray(0, 12), blob.subarray(12, 28), blob.subarray(28), context);
  }
  dataKeys.set(cacheKey, dataKey);
  return dataKey;
}

/** Seals `plaintext` under a fresh data key, bound to `context`. */
export async function seal(plaintext: string, context: string): Promise<Sealed> {
  const dataKey = randomBytes(32);
  const wrapped = await wrap(dataKey, context);
  const { iv, tag, data } = encrypt(dataKey, Buffer.from(plaintext, 'utf8'), context);
  return { v: 1, ...wrapped, iv: iv.toString('base64'), tag: tag.toString('base64'), data: data.toString('base64') };
}

/** Opens a sealed value; throws when it was not sealed for `context` or was tampered with. */
export async function unseal(sealed: Sealed, context: string): Promise<string> {
  const dataKey = await unwrap(sealed, context);
  return decrypt(dataKey, Buffer.from(sealed.iv, 'base64'), Buffer.from(sealed.tag, 'base64'), Buffer.from(sealed.data, 'base64'), context).toString('utf8');
}
