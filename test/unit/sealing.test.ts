/**
 * Sealing of stored secrets (lib/adapters/sealing.ts): a sealed value opens only for the context
 * it was sealed for, a changed byte anywhere is refused, and nothing of the plaintext is in it.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { ensureLocalSecrets } from '../../infra/local/secrets.ts';
import { seal, unseal } from '../../lib/adapters/sealing.ts';

process.env.CREDENTIALS_KEY_FILE = join(mkdtempSync(join(tmpdir(), 'chatlines-seal-')), 'credentials-key');
delete process.env.CREDENTIALS_KEY_ID;
// The local host makes the key on its first start; the runtime only reads it.
ensureLocalSecrets(dirname(process.env.CREDENTIALS_KEY_FILE!));

describe('sealing', () => {
  test('the runtime makes no key of its own: without one configured, sealing is refused with the reason', async () => {
    const configured = process.env.CREDENTIALS_KEY_FILE;
    const missing = join(mkdtempSync(join(tmpdir(), 'chatlines-seal-')), 'no-such-key');
    process.env.CREDENTIALS_KEY_FILE = missing;
    try {
      await assert.rejects(seal('x', 'channel-1'), /ENOENT/);
      assert.ok(!existsSync(missing), 'no key file was made');
      delete process.env.CREDENTIALS_KEY_FILE;
      await assert.rejects(seal('x', 'channel-1'), /CREDENTIALS_KEY_ID \(AWS\) or CREDENTIALS_KEY_FILE/);
    } finally {
      process.env.CREDENTIALS_KEY_FILE = configured;
    }
  });

  const secret = JSON.stringify({ botToken: '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1' });

  test('opens for its context, with a fresh data key and IV each time', async () => {
    const a = await seal(secret, 'channel-1');
    const b = await seal(secret, 'channel-1');
    assert.equal(a.wrap, 'local');
    assert.notEqual(a.data, b.data);
    assert.notEqual(a.key, b.key);
    assert.equal(await unseal(a, 'channel-1'), secret);
    assert.ok(!JSON.stringify(a).includes('AAHdqTcv'));
  });

  test('refuses another context and any changed part', async () => {
    const sealed = await seal(secret, 'channel-1');
    await assert.rejects(unseal(sealed, 'channel-2'));
    const flip = (b64: string) => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[0]! ^= 1;
      return bytes.toString('base64');
    };
    for (const part of ['data', 'iv', 'tag', 'key'] as const) {
      await assert.rejects(unseal({ ...sealed, [part]: flip(sealed[part]) }, 'channel-1'), `${part} changed`);
    }
  });
});
