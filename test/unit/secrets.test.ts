/**
 * The local secrets: the local host makes them on its first start (infra/local/secrets.ts); the
 * runtime only reads them (lib/adapters/secrets.ts for the visitor secret) and makes none of its own.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureLocalSecrets } from '../../infra/local/secrets.ts';
import { visitorSecret } from '../../lib/adapters/secrets.ts';

for (const name of ['VISITOR_SECRET', 'VISITOR_SECRET_ARN', 'VISITOR_SECRET_FILE', 'CREDENTIALS_KEY_ID', 'CREDENTIALS_KEY_FILE']) delete process.env[name];
const dir = mkdtempSync(join(tmpdir(), 'chatlines-secrets-'));

test('the runtime refuses a secret nobody configured, and makes none', async () => {
  await assert.rejects(visitorSecret(), /VISITOR_SECRET_ARN \(AWS\) or VISITOR_SECRET \/ VISITOR_SECRET_FILE/);
  process.env.VISITOR_SECRET_FILE = join(dir, 'missing');
  await assert.rejects(visitorSecret(), /ENOENT/);
  assert.ok(!existsSync(join(dir, 'missing')), 'no file was made by the runtime');
  delete process.env.VISITOR_SECRET_FILE;
});

test('the local host makes both secrets once, private to its user, and the runtime reads them', async () => {
  ensureLocalSecrets(dir);
  const visitorFile = join(dir, 'visitor-secret');
  const keyFile = join(dir, 'credentials-key');
  assert.equal(process.env.VISITOR_SECRET_FILE, visitorFile);
  assert.equal(process.env.CREDENTIALS_KEY_FILE, keyFile);
  for (const file of [visitorFile, keyFile]) assert.equal(statSync(file).mode & 0o777, 0o600, `${file} is private`);
  assert.equal(Buffer.from(readFileSync(keyFile, 'utf8'), 'base64').length, 32, 'a 256-bit key');
  const first = readFileSync(visitorFile, 'utf8');
  ensureLocalSecrets(dir);
  assert.equal(readFileSync(visitorFile, 'utf8'), first, 'a second start keeps the secret');
  assert.equal(await visitorSecret(), first);
});
