/**
 * The local host's development sign-in mints tokens of any role, so it answers only to the
 * developer's machine and the host's own pages: `Host` a loopback name or address with the
 * host's port, `Origin` (when sent) the host's own. A page elsewhere — another site posting to
 * localhost, or one that rebinds its own name to 127.0.0.1 — gets a 403 and no token.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { startTestHost, type TestHost } from '../support/host.ts';

let host: TestHost;
let port: number;
before(async () => {
  host = await startTestHost({ events: false });
  port = Number(new URL(host.url).port);
});
after(() => host.close());

/** A sign-in with the headers a browser (or an attacker's page through one) would send. */
function signIn(headers: Record<string, string>): Promise<{ status: number; body: { token?: string; detail?: string } }> {
  const body = JSON.stringify({ sub: 'mallory', roles: ['admin'] });
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/dev/sign-in', method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('the development sign-in answers only on loopback, to its own pages', () => {
  test('loopback Host with the host port, with no Origin or its own: a token', async () => {
    for (const name of ['localhost', '127.0.0.1', '[::1]']) {
      const plain = await signIn({ host: `${name}:${port}` });
      assert.equal(plain.status, 200, `${name}: ${JSON.stringify(plain.body)}`);
      assert.ok(plain.body.token);
      const own = await signIn({ host: `${name}:${port}`, origin: `http://${name}:${port}` });
      assert.equal(own.status, 200, name);
    }
  });

  test('another Host (DNS rebinding), another port or no port: 403, no token', async () => {
    for (const value of [
      `evil.example:${port}`,
      'evil.example',
      `localhost.evil.example:${port}`,
      `127.0.0.1:${port + 1}`,
      'localhost',
      `10.0.0.5:${port}`,
      `[::ffff:127.0.0.1]:${port}`,
    ]) {
      const r = await signIn({ host: value });
      assert.equal(r.status, 403, value);
      assert.equal(r.body.token, undefined, value);
      assert.match(r.body.detail!, /only on loopback/);
    }
  });

  test("another site's page (its Origin, or an opaque one): 403, no token", async () => {
    for (const origin of [
      'http://evil.example',
      `http://evil.example:${port}`,
      'null',
      `http://localhost:${port + 1}`,
      `https://localhost:${port}`,
      `http://127.0.0.1:${port}`,
    ]) {
      const r = await signIn({ host: `localhost:${port}`, origin });
      assert.equal(r.status, 403, origin);
      assert.equal(r.body.token, undefined, origin);
      assert.match(r.body.detail!, /own pages/);
    }
  });
});
