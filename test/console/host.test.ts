/**
 * What the LOCAL host serves for the console (infra/local/console.ts): the built pages at `/`,
 * `/widget.js` (loadable cross-origin), `/console/config.json`, and the development sign-in,
 * which is in no route manifest (so never deployed) and mints tokens the API accepts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { consoleDir } from '../../infra/local/console.ts';
import { routes } from '../../lib/contract/routes.ts';
import { startTestHost, type TestHost } from '../support/host.ts';

let host: TestHost;
before(async () => {
  if (!existsSync(join(consoleDir(), 'index.html'))) assert.equal(spawnSync('npm', ['run', '-s', 'build:console'], { stdio: 'inherit' }).status, 0);
  host = await startTestHost();
});
after(() => host?.close());

describe('the local host serves the console', () => {
  it('index at /, with security headers; hashed assets cached; widget.js loadable by other sites', async () => {
    const index = await fetch(`${host.url}/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type')!, /text\/html/);
    assert.match(index.headers.get('content-security-policy')!, /default-src 'self'/);
    assert.equal(index.headers.get('x-content-type-options'), 'nosniff');
    const html = await index.text();
    const asset = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(asset, 'the page loads a built script');
    const js = await fetch(`${host.url}/${asset}`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('cache-control')!, /immutable/);
    const widget = await fetch(`${host.url}/widget.js`);
    assert.equal(widget.status, 200);
    assert.equal(widget.headers.get('access-control-allow-origin'), '*');
    assert.match(await widget.text(), /v1\/visitors/);
  });

  it('config.json names the API and the live WebSocket on the same host; development sign-in', async () => {
    const r = await fetch(`${host.url}/console/config.json`);
    assert.equal(r.headers.get('access-control-allow-origin'), '*', 'the widget reads it from other sites');
    const config = await r.json();
    assert.deepEqual(config, { apiUrl: host.url, liveUrl: `${host.url.replace('http:', 'ws:')}/v1/live`, auth: { mode: 'dev' } });
  });

  it('nothing outside dist/console is served, and /v1 stays the API', async () => {
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/assets/../../package.json', '/nope.js']) {
      const r = await fetch(`${host.url}${path}`);
      assert.equal(r.status, 404, path);
    }
    assert.equal((await fetch(`${host.url}/v1/health`)).status, 200);
  });

  it('POST /dev/sign-in mints a token the API accepts; bad input is a 400 naming the field; it is in no manifest', async () => {
    const r = await fetch(`${host.url}/dev/sign-in`, { method: 'POST', body: JSON.stringify({ sub: 'alice', roles: ['operator'], groups: ['support'] }) });
    assert.equal(r.status, 200);
    const { token } = (await r.json()) as { token: string };
    const status = await host.call('PUT', '/v1/operators/me/status', { token, body: { status: 'online' } });
    assert.equal(status.status, 200);
    assert.equal(status.body.__id, 'alice');

    const bad = await fetch(`${host.url}/dev/sign-in`, { method: 'POST', body: JSON.stringify({ sub: 'a b', roles: ['root'] }) });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('content-type'), 'application/problem+json');
    assert.deepEqual(
      ((await bad.json()) as { errors: { path: string }[] }).errors.map((e) => e.path),
      ['sub', 'roles'],
    );
    assert.ok(!routes.some((route) => route.path.startsWith('/dev')), 'the development sign-in is not a route of the manifest');
  });
});
