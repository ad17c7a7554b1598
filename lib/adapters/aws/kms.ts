/**
 * The stack's KMS key (`CREDENTIALS_KEY_ID`), which wraps the data keys of messenger credentials
 * (lib/adapters/sealing.ts). Only the functions granted `credentialsKey` in infra/grants.ts call it.
 */
import type { KMSClient } from '@aws-sdk/client-kms';
import { loadOnce } from '../lazy.ts';

type Kms = typeof import('@aws-sdk/client-kms');

/**
 * The KMS SDK, imported on the first wrap or unwrap: this module is bundled into the functions
 * that may open credentials (esbuild inlines a local module's dynamic import), and a static import
 * would load the SDK at each of their cold starts.
 */
const load = loadOnce(async (): Promise<{ kms: Kms; client: KMSClient }> => {
  const kms = await import('@aws-sdk/client-kms');
  return { kms, client: new kms.KMSClient({}) };
});

/** The data key encrypted under the stack's key, bound to `context` (KMS encryption context). */
export async function wrapWithKms(keyId: string, dataKey: Uint8Array, context: Record<string, string>): Promise<Uint8Array> {
  const { kms, client } = await load();
  const out = await client.send(new kms.EncryptCommand({ KeyId: keyId, Plaintext: dataKey, EncryptionContext: context }));
  if (!out.CiphertextBlob) throw new Error('KMS returned no ciphertext');
  return out.CiphertextBlob;
}

/** The data key back from its KMS ciphertext (the same `context` it was wrapped with). */
export async function unwrapWithKms(keyId: string, wrapped: Uint8Array, context: Record<string, string>): Promise<Uint8Array> {
  const { kms, client } = await load();
  const out = await client.send(new kms.DecryptCommand({ KeyId: keyId, CiphertextBlob: wrapped, EncryptionContext: context }));
  if (!out.Plaintext) throw new Error('KMS returned no plaintext');
  return out.Plaintext;
}
