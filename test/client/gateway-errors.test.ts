/**
 * API Gateway's own refusals, which no function writes and the local host does not imitate: a
 * bad JWT is 401 `{"message":"Unauthorized"}` and throttling is 429
 * `{"message":"Too Many Requests"}`, both `application/json`, not problem+json. A fake gateway
 * (a real HTTP server) answers them; the OpenAPI document admits them for 401/429 (the response
 * check applies to every answer here), and the typed client turns them into the same
 * ChatlinesApiError as a problem.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ChatlinesApiError, createLinesClient } from '../../lib/client/index.ts';
import { checkedFetch, checkResponse } from '../support/openapi-check.ts';

const SESSION = '00000000-0000-4000-8000-000000000000';
let server: Server;
let baseUrl: string;
const seen: string[] = [];

before(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const auth = req.headers.authorization ?? '';
    const [status, message] = auth === 'Bearer throttled' ? [429, 'Too Many Requests'] : [401, 'Unauthorized'];
    res.writeHead(status, { 'content-type': 'application/json', 'apigw-requestid': 'gw-1' });
    res.end(JSON.stringify({ message }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("API Gateway's own 401 and 429", () => {
  it('are in the OpenAPI document beside the Problem, for those statuses only', () => {
    checkResponse('GET', `/v1/sessions/${SESSION}`, 401, 'application/json', { message: 'Unauthorized' });
    checkResponse('POST', '/v1/lines', 429, 'application/json', { message: 'Too Many Requests' });
    checkResponse('GET', '/v1/health', 429, 'application/json', { message: 'Too Many Requests' });
    assert.throws(() => checkResponse('GET', `/v1/sessions/${SESSION}`, 404, 'application/json', { message: 'Not Found' }), /problem\+json/);
    assert.throws(() => checkResponse('GET', `/v1/sessions/${SESSION}`, 401, 'application/json', { error: 'x' }), /does not match/);
  });

  it('a bad token: the client throws ChatlinesApiError 401 with the gateway message', async () => {
    const lines = createLinesClient({ baseUrl, token: 'expired', fetch: checkedFetch() });
    await assert.rejects(lines.sessions.ref(SESSION).fetch(), (e: unknown) => {
      assert.ok(e instanceof ChatlinesApiError);
      assert.equal(e.status, 401);
      assert.equal(e.title, 'Unauthorized');
      assert.equal(e.detail, 'Unauthorized');
      assert.equal(e.requestId, 'gw-1');
      assert.deepEqual(e.errors, []);
      return true;
    });
  });

  it('throttled: retried, then ChatlinesApiError 429 with the gateway message', async () => {
    seen.length = 0;
    const lines = createLinesClient({ baseUrl, token: 'throttled', fetch: checkedFetch(), retries: 2, retryDelayMs: 1 });
    await assert.rejects(
      lines.lines.create({ __name: 'x' }),
      (e: unknown) => e instanceof ChatlinesApiError && e.status === 429 && e.title === 'Too Many Requests' && e.detail === 'Too Many Requests',
    );
    assert.equal(seen.length, 3, 'the first call and its two retries');
  });
});
