/**
 * The OpenAPI 3.1 document: valid by an OpenAPI validator, complete against the route
 * manifest (every route has an operation, every documented operation is a route), served at
 * `GET /v1/openapi.json` without a token, and the response check that `host.call()` applies to
 * every API test really refuses an answer that does not match.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { openApiDocument } from '../../lib/contract/openapi.ts';
import { routes } from '../../lib/contract/routes.ts';
import { routeKey as operationKey } from '../../lib/contract/spec.ts';
import { startTestHost, type TestHost } from '../support/host.ts';
import { checkResponse } from '../support/openapi-check.ts';

type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, unknown>; operationId: string; security: unknown[] }>>;
  components: { schemas: Record<string, unknown> };
};

const doc = openApiDocument(routes) as unknown as Doc;

let host: TestHost;
before(async () => {
  host = await startTestHost();
});
after(() => host.close());

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(doc as never);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    assert.equal((doc as unknown as { openapi: string }).openapi, '3.1.0');
  });

  it('has an operation for every route of the manifest', () => {
    const missing = routes.filter((r) => !doc.paths[r.path]?.[r.method.toLowerCase()]).map(operationKey);
    assert.deepEqual(missing, [], `routes without an operation: ${missing.join(', ')}`);
  });

  it('documents no operation that is not a route', () => {
    const served = new Set(routes.map(operationKey));
    assert.equal(served.size, routes.length, 'a route is declared twice');
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const method of Object.keys(methods)) assert.ok(served.has(`${method.toUpperCase()} ${path}`), `${method} ${path}`);
    }
  });

  it('gives every operation a success response, the problems, and the security it has', () => {
    for (const r of routes) {
      const op = doc.paths[r.path]?.[r.method.toLowerCase()];
      if (!op) continue;
      const statuses = Object.keys(op.responses).map(Number);
      assert.ok(
        statuses.some((s) => s >= 200 && s < 300),
        `${operationKey(r)} has no success response`,
      );
      for (const s of [429, 500, 503]) assert.ok(statuses.includes(s), `${operationKey(r)} lacks ${s}`);
      const visitorToken = r.visitor === 'token';
      // Messenger hooks (`raw`) check the messenger's own proof: 401 without a security scheme of ours.
      assert.equal(
        statuses.includes(401),
        r.auth || visitorToken || r.raw === true,
        `${operationKey(r)}: 401 iff authenticated (staff JWT, visitor token or a messenger's proof)`,
      );
      assert.deepEqual(op.security, r.auth ? [{ bearer: [] }] : visitorToken ? [{ visitorToken: [] }] : []);
      assert.equal(op.operationId.includes('-'), false);
    }
    assert.ok(doc.components.schemas.Problem);
    const ids = Object.values(doc.paths).flatMap((m) => Object.values(m).map((op) => op.operationId));
    assert.equal(new Set(ids).size, ids.length, `duplicate operationIds: ${ids.join(', ')}`);
  });

  it('is served at GET /v1/openapi.json without a token', async () => {
    const r = await host.call('GET', '/v1/openapi.json');
    assert.equal(r.status, 200);
    assert.equal(r.body.openapi, '3.1.0');
    assert.deepEqual(Object.keys(r.body.paths).sort(), Object.keys(doc.paths).sort());
  });
});

describe('the response check of host.call()', () => {
  const session = '/v1/sessions/00000000-0000-4000-8000-000000000000';

  it('refuses an answer that does not match the route’s schema', () => {
    assert.throws(() => checkResponse('GET', session, 200, 'application/json', { __id: 'x' }), /does not match/);
    assert.throws(() => checkResponse('GET', '/v1/health', 200, 'application/json', { status: 'ok', time: 'yesterday' }), /does not match/);
  });

  it('refuses a status the document does not declare, and a problem without problem+json', () => {
    assert.throws(() => checkResponse('GET', session, 418, 'application/problem+json', {}), /does not declare/);
    const p = { type: 't', title: 'Not found', status: 404, detail: 'd' };
    assert.throws(() => checkResponse('GET', session, 404, 'application/json', p), /problem\+json/);
    checkResponse('GET', session, 404, 'application/problem+json; charset=utf-8', p);
  });

  it('refuses a problem that is not a Problem, and leaves undocumented paths alone', () => {
    assert.throws(() => checkResponse('GET', session, 404, 'application/problem+json', { message: 'nope' }), /does not match/);
    checkResponse('GET', '/v1/not-a-route', 404, 'text/plain', 'whatever');
  });
});
