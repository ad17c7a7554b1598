/**
 * `@chatlines/client` (the npm workspace lib/client) on its own: `npm run build:client` bundles
 * lib/client into one ESM file for Node and browsers (esbuild `platform=neutral`: a Node
 * built-in would fail the build), and the bundle holds no server code — no AWS SDK, no zod,
 * nothing outside lib/client but the enums. test/client/package.test.ts installs its tarball.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { ensureClientBuilt } from '../support/client-build.ts';

const root = join(import.meta.dirname, '..', '..');
const out = join(root, 'lib', 'client', 'dist');

// The one build of the run (test/run.ts, or npm ci's prepare); built here only when stale.
before(() => {
  ensureClientBuilt();
});

describe('the client bundle', () => {
  it('is built only from lib/client and the enums', () => {
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as { inputs: Record<string, unknown> };
    const inputs = Object.keys(meta.inputs);
    // Paths relative to lib/client, the package's root.
    assert.ok(inputs.includes('index.ts'), inputs.join(', '));
    const foreign = inputs.filter((p) => p.startsWith('../') && p !== '../contract/enums.ts');
    assert.deepEqual(foreign, []);
  });

  it('contains no AWS SDK, zod, Node built-in or server module', () => {
    const code = readFileSync(join(out, 'index.js'), 'utf8');
    for (const needle of ['@aws-sdk', 'zod', 'node:', 'require(', 'process.env', 'lib/adapters', 'lib/app', 'lib/domain']) {
      assert.equal(code.includes(needle), false, `bundle mentions ${needle}`);
    }
    assert.ok(code.length < 60_000, `bundle is ${code.length} bytes`);
  });

  it('imports as @chatlines/client (package exports) and works', async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'lib', 'client', 'package.json'), 'utf8')) as {
      exports: Record<string, { default: string; types: string }>;
      dependencies?: Record<string, string>;
    };
    assert.equal(pkg.exports['.']?.default, './dist/index.js');
    assert.equal(pkg.dependencies, undefined, 'the client has no dependencies');
    const client = await import('@chatlines/client');
    assert.equal(client.LineSessionState.Closed, 'Closed');
    assert.equal(client.LineChannelType.telegramBot, 'telegramBot');
    const lines = client.createLinesClient({ baseUrl: 'http://example.invalid', token: 't' });
    const body = lines.sessions
      .search()
      .where((f, g) => g.and(f.__deletedAt.eq(null), f._state.neq(client.LineSessionState.Closed)))
      .toJSON();
    assert.deepEqual(body.where, { and: [{ eq: ['__deletedAt', null] }, { neq: ['_state', 'Closed'] }] });
  });
});
