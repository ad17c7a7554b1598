/**
 * The scenario `npm run verify:aws` drives through the AWS shape (infra/verify/scenario.ts), run
 * here against the local host: both shapes must answer every step alike.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { functionEntry } from '../../infra/functions.ts';
import { inBackground } from '../../infra/local/dynamodb-calls.ts';
import { runScenario } from '../../infra/verify/scenario.ts';
import { scheduledFunctions } from '../../lib/contract/routes.ts';
import { type FakeTelegram, startFakeTelegram } from '../support/fakes/telegram.ts';
import { startTestHost, type TestHost } from '../support/host.ts';

describe('the shared scenario on the local host', () => {
  let host: TestHost;
  let receiver: Server;
  let received = 0;
  let telegram: FakeTelegram;
  const telegramApiUrl = process.env.TELEGRAM_API_URL;

  before(async () => {
    telegram = await startFakeTelegram();
    process.env.TELEGRAM_API_URL = telegram.url;
    host = await startTestHost({ events: true, files: true });
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received++;
        res.writeHead(204);
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });

  after(async () => {
    await host.close();
    receiver.close();
    await telegram.close();
    if (telegramApiUrl === undefined) delete process.env.TELEGRAM_API_URL;
    else process.env.TELEGRAM_API_URL = telegramApiUrl;
  });

  it('answers every step as the AWS shape must', async () => {
    const result = await runScenario({
      baseUrl: host.url,
      token: (claims, lifetimeSeconds) => host.token(claims, lifetimeSeconds ? { expiresIn: `${lifetimeSeconds}s` } : {}),
      liveUrl: (token) => `${host.url.replace(/^http/, 'ws')}/v1/live?token=${encodeURIComponent(token)}`,
      settle: async () => {
        await host.events?.poller.drain(30_000);
        await host.events?.sweep();
      },
      runSchedules: async () => {
        for (const s of scheduledFunctions) {
          const { handler } = (await import(pathToFileURL(functionEntry(s.function)).href)) as { handler: (event: unknown) => Promise<unknown> };
          await inBackground(() => handler({}));
        }
      },
      webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/chatlines`,
      telegram,
    });
    assert.deepEqual(
      result.failed.map((s) => `${s.step}: ${s.method} ${s.path} → ${s.status} ${s.detail ?? ''}`),
      [],
    );
    assert.ok(result.steps.length >= 40, `${result.steps.length} steps`);
    assert.ok(
      result.liveFrames.some((f) => (f as { type?: string }).type?.includes('.')),
      'the operator received events on its live socket',
    );
    assert.ok(received > 0, 'webhook deliveries arrived');
    // The sockets whose token expired were closed by the host (at expiry) and got no event.
    assert.deepEqual(
      result.expired.map((e) => [e.met, e.closeCode]),
      [
        ['event', 1008],
        ['ping', 1008],
      ],
    );
  });
});
