/**
 * The stack's bundling (infra/aws/bundling.ts), built for real: each function keeps only the
 * contract schemas it uses (lib/contract's top-level calls are marked pure at build time), the
 * OpenAPI document is generated at build time and served as the route specs make it, the lazy
 * modules sit beside the bundles that name them, and a side-effect-free package unused by a
 * function is not in its bundle.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { bundleFunctions } from '../../infra/aws/bundling.ts';
import type { HttpEvent, HttpHandler } from '../../lib/adapters/http/handler.ts';
import { openApiDocument } from '../../lib/contract/openapi.ts';
import { routes } from '../../lib/contract/routes.ts';

const SIZE_BUDGET = 120 * 1024;
const ROOT = join(import.meta.dirname, '..', '..');

describe('bundling', () => {
  let dir: string;
  const code = (fn: string) => readFileSync(join(dir, fn, 'index.mjs'), 'utf8');
  before(async () => {
    // Inside the repository, so that the bundles find the AWS SDK (external) in node_modules as Lambda finds the runtime's.
    mkdirSync(join(ROOT, '.chatlines'), { recursive: true });
    dir = mkdtempSync(join(ROOT, '.chatlines', 'bundling-'));
    await bundleFunctions(dir, [
      'get-openapi',
      'get-session',
      'create-template',
      'post-session-message',
      'post-visitor-message',
      'receive-mail',
      'stream-consumer',
      'create-webhook',
    ]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("a function keeps only the contract's schemas it uses", () => {
    // The templates' own rule (lib/contract/schemas.ts, bothStyles) is in create-template only.
    assert.match(code('create-template'), /not both/, 'create-template validates template bodies');
    assert.doesNotMatch(code('get-session'), /not both/, 'get-session carries no template schema');
    assert.ok(statSync(join(dir, 'get-session', 'index.mjs')).size < 100 * 1024, 'get-session under 100 KB');
  });

  test('GET /v1/openapi.json serves the document built with the bundle: the same as the route specs make it', async () => {
    const file = join(dir, 'get-openapi', 'index.mjs');
    assert.ok(statSync(file).size <= SIZE_BUDGET, `get-openapi within ${SIZE_BUDGET} bytes: ${statSync(file).size}`);
    assert.doesNotMatch(code('get-openapi'), /toJSONSchema|"components"/, 'neither the generator nor a plain document in the bundle');
    process.env.TABLE_NAME ??= 'chatlines-bundling-test';
    const { handler } = (await import(pathToFileURL(file).href)) as { handler: HttpHandler };
    const now = new Date();
    const event = {
      version: '2.0',
      routeKey: 'GET /v1/openapi.json',
      rawPath: '/v1/openapi.json',
      rawQueryString: '',
      headers: {},
      requestContext: {
        http: { method: 'GET', path: '/v1/openapi.json', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
        requestId: 'bundling-test',
        routeKey: 'GET /v1/openapi.json',
        stage: '$default',
        time: now.toISOString(),
        timeEpoch: now.getTime(),
      },
      isBase64Encoded: false,
    } as unknown as HttpEvent;
    const answer = await handler(event);
    assert.equal(answer.statusCode, 200);
    assert.deepEqual(JSON.parse(String(answer.body)), openApiDocument(routes));
  });

  test('the lazy modules sit beside the bundles that name them', () => {
    assert.ok(existsSync(join(dir, 'post-session-message', 'file-type.mjs')), 'file-type beside post-session-message');
    assert.ok(!existsSync(join(dir, 'get-session', 'file-type.mjs')), 'no file-type beside get-session');
    for (const fn of ['get-openapi', 'get-session']) assert.ok(existsSync(join(dir, fn, 'tracing.mjs')), `tracing beside ${fn}`);
    // Needed on every run (after I/O they overlap): a missing one would fail every request in AWS only.
    assert.ok(existsSync(join(dir, 'post-visitor-message', 'visitor-token.mjs')), 'the token verifier beside a visitor route');
    assert.ok(existsSync(join(dir, 'receive-mail', 'mail-parser.mjs')), 'the MIME parser beside receive-mail');
    assert.ok(!existsSync(join(dir, 'get-session', 'visitor-token.mjs')), 'no token verifier beside a staff route');
    assert.ok(!code('receive-mail').includes('postal-mime'), "postal-mime not in receive-mail's index.mjs");
  });

  test('a package without side effects goes when nothing of it is used', () => {
    // ipaddr.js (a CommonJS package) checks webhook addresses: create-webhook calls it; the stream
    // consumer imports the deliveries' module but attempts nothing, and carries none of it.
    assert.match(code('create-webhook'), /parseCIDR/, 'create-webhook checks addresses with ipaddr.js');
    assert.doesNotMatch(code('stream-consumer'), /parseCIDR/, 'no ipaddr.js in the stream consumer');
  });
});
