/**
 * A stand-in for the KMS calls the stack makes (lib/adapters/aws/kms.ts, through the AWS SDK's
 * TrentService JSON protocol): `Encrypt`, `Decrypt` and `GenerateDataKey` under one symmetric
 * key held in memory. As KMS does, a ciphertext is bound to its encryption context (a different
 * context, or a tampered blob, answers `InvalidCiphertextException`) and names the key that
 * made it. Used by the verification gateway and by test/unit/sealing-kms.test.ts.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface KmsAnswer {
  status: number;
  body: Record<string, unknown>;
}

export class StandInKms {
  private readonly master = randomBytes(32);

  /** The key ARN a call names (`KeyId` may be an ARN, a key id or an alias; the stack passes the ARN). */
  static keyArn(keyId: unknown, region: string, account: string): string {
    const id = String(keyId ?? '');
    if (id.startsWith('arn:')) return id;
    return `arn:aws:kms:${region}:${account}:${id.startsWith('alias/') ? id : `key/${id}`}`;
  }

  private aad(input: Record<string, unknown>): Buffer {
    const context = (input.EncryptionContext as Record<string, string> | undefined) ?? {};
    // KMS binds the context as a set of pairs: the order of keys does not matter.
    return Buffer.from(JSON.stringify(Object.entries(context).sort(([a], [b]) => (a < b ? -1 : 1))));
  }

  private seal(keyArn: string, plaintext: Buffer, input: Record<string, unknown>): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.master, iv).setAAD(Buffer.concat([Buffer.from(keyArn), this.aad(input)]));
    const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const name = Buffer.from(keyArn, 'utf8');
    const length = Buffer.alloc(2);
    length.writeUInt16BE(name.length);
    return Buffer.concat([length, name, iv, cipher.getAuthTag(), data]).toString('base64');
  }

  /** The key a ciphertext blob was made under (Decrypt authorizes on it), or undefined when it is not one of ours. */
  static keyOfBlob(blob: unknown): string | undefined {
    const bytes = Buffer.from(String(blob ?? ''), 'base64');
    if (bytes.length < 2) return undefined;
    const length = bytes.readUInt16BE(0);
    return bytes.length >= 2 + length + 28 ? bytes.subarray(2, 2 + length).toString('utf8') : undefined;
  }

  answer(operation: string, input: Record<string, unknown>, keyArn: string): KmsAnswer {
    if (operation === 'Encrypt') {
      const plaintext = Buffer.from(String(input.Plaintext ?? ''), 'base64');
      if (plaintext.length === 0 || plaintext.length > 4096)
        return { status: 400, body: { __type: 'ValidationException', message: 'Plaintext must be 1 to 4096 bytes' } };
      return { status: 200, body: { KeyId: keyArn, CiphertextBlob: this.seal(keyArn, plaintext, input), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' } };
    }
    if (operation === 'GenerateDataKey') {
      const bytes = Number(input.NumberOfBytes ?? (input.KeySpec === 'AES_128' ? 16 : input.KeySpec === 'AES_256' ? 32 : 0));
      if (!(bytes >= 1 && bytes <= 1024)) return { status: 400, body: { __type: 'ValidationException', message: 'KeySpec or NumberOfBytes is required' } };
      const plaintext = randomBytes(bytes);
      return { status: 200, body: { KeyId: keyArn, Plaintext: plaintext.toString('base64'), CiphertextBlob: this.seal(keyArn, plaintext, input) } };
    }
    if (operation === 'Decrypt') {
      const blob = Buffer.from(String(input.CiphertextBlob ?? ''), 'base64');
      const madeBy = StandInKms.keyOfBlob(input.CiphertextBlob);
      const invalid = { status: 400, body: { __type: 'InvalidCiphertextException', message: '' } };
      if (!madeBy) return invalid;
      // A KeyId given with Decrypt must be the key that made the blob.
      if (input.KeyId !== undefined && madeBy !== keyArn)
        return {
          status: 400,
          body: { __type: 'IncorrectKeyException', message: 'The key ID in the request does not identify a KMS key that can perform this operation.' },
        };
      const at = 2 + blob.readUInt16BE(0);
      try {
        const decipher = createDecipheriv('aes-256-gcm', this.master, blob.subarray(at, at + 12)).setAAD(Buffer.concat([Buffer.from(madeBy), this.aad(input)]));
        decipher.setAuthTag(blob.subarray(at + 12, at + 28));
        const plaintext = Buffer.concat([decipher.update(blob.subarray(at + 28)), decipher.final()]);
        return { status: 200, body: { KeyId: madeBy, Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' } };
      } catch {
        return invalid;
      }
    }
    return { status: 400, body: { __type: 'UnsupportedOperationException', message: `the stand-in KMS does not answer ${operation}` } };
  }
}
