/**
 * Sealing with KMS (lib/adapters/sealing.ts with `CREDENTIALS_KEY_ID`): the data key goes to KMS
 * `Encrypt` and comes back from `Decrypt` with the channel id as encryption context, through the
 * real AWS SDK against the stand-in KMS of infra/verify/kms.ts (the one `npm run verify:aws`
 * uses) on loopback (`AWS_ENDPOINT_URL_KMS`): the TrentService JSON protocol, refusing a context
 * that differs — as KMS does.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { StandInKms } from '../../infra/verify/kms.ts';

const KEY_ID = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555';
const kms = new StandInKms();
const calls: { operation: string; context: unknown }[] = [];
let server: Server;

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').replace('TrentService.', '');
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      calls.push({ operation, context: input.EncryptionContext });
      const answer = kms.answer(operation, input, KEY_ID);
      res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  process.env.AWS_ENDPOINT_URL_KMS = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  process.env.CREDENTIALS_KEY_ID = KEY_ID;
});
after(() => {
  delete process.env.CREDENTIALS_KEY_ID;
  server?.close();
});

describe('sealing with KMS', () => {
  test('the data key is wrapped by KMS with the channel id as context, and opens only with it', async () => {
    const { seal, unseal } = await import('../../lib/adapters/sealing.ts');
    const sealed = await seal('{"botToken":"secret"}', 'channel-1');
    assert.equal(sealed.wrap, 'kms');
    assert.deepEqual(calls.at(-1), { operation: 'Encrypt', context: { chatlines: 'channel-1' } });
    assert.equal(await unseal(sealed, 'channel-1'), '{"botToken":"secret"}');
    assert.deepEqual(calls.at(-1), { operation: 'Decrypt', context: { chatlines: 'channel-1' } });
    // Opened once, the data key is kept: no second Decrypt.
    const before = calls.length;
    assert.equal(await unseal(sealed, 'channel-1'), '{"botToken":"secret"}');
    assert.equal(calls.length, before);
    await assert.rejects(unseal(sealed, 'channel-2'));
  });
});
