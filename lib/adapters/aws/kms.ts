/**
 * The stack's KMS key (`CREDENTIALS_KEY_ID`), which wraps the data keys of messenger credentials
 * (lib/adapters/sealing.ts). Only the functions granted `credentialsKey` in infra/grants.ts call it.
 */
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';

let client: KMSClient | undefined;
const kms = () => (client ??= new KMSClient({}));

/** The data key encrypted under the stack's key, bound to `context` (KMS encryption context). */
export async function wrapWithKms(keyId: string, dataKey: Uint8Array, context: Record<string, string>): Promise<Uint8Array> {
  const out = await kms().send(new EncryptCommand({ KeyId: keyId, Plaintext: dataKey, EncryptionContext: context }));
  if (!out.CiphertextBlob) throw new Error('KMS returned no ciphertext');
  return out.CiphertextBlob;
}

/** The data key back from its KMS ciphertext (the same `context` it was wrapped with). */
export async function unwrapWithKms(keyId: string, wrapped: Uint8Array, context: Record<string, string>): Promise<Uint8Array> {
  const out = await kms().send(new DecryptCommand({ KeyId: keyId, CiphertextBlob: wrapped, EncryptionContext: context }));
  if (!out.Plaintext) throw new Error('KMS returned no plaintext');
  return out.Plaintext;
}
