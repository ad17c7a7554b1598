/** The walking skeleton over real HTTP and DynamoDB Local. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { snapshot, type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';

let host: TestHost;
let w: World;
before(async () => {
  host = await startTestHost();
  w = await world(host);
});
after(() => host.close());

describe('health and identity', () => {
  it('answers /v1/health without a token', async () => {
    const r = await host.call('GET', '/v1/health');
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'ok');
  });

  it('refuses a protected route without a token with 401 problem+json', async () => {
    const r = await host.call('POST', '/v1/lines', { body: { __name: 'x' } });
    assert.equal(r.status, 401);
    assert.match(r.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(r.body.status, 401);
  });

  it('refuses expired, foreign-audience and foreign-issuer tokens', async () => {
    const expired = await host.token({ sub: 'a', roles: ['admin'] }, { expiresIn: -10 });
    const audience = await host.token({ sub: 'a', roles: ['admin'] }, { audience: 'someone-else' });
    const issuer = await host.token({ sub: 'a', roles: ['admin'] }, { issuer: 'https://evil.example' });
    for (const token of [expired, audience, issuer, `${w.admin.slice(0, -4)}AAAA`]) {
      const r = await host.call('GET', `/v1/lines/${w.line.__id}`, { token });
      assert.equal(r.status, 401, token);
    }
  });

  it('answers an unknown route with 404 problem+json', async () => {
    const r = await host.call('GET', '/v1/nothing-here');
    assert.equal(r.status, 404);
    assert.equal(r.body.status, 404);
  });
});

describe('lines and channels', () => {
  it('creates and fetches a line', async () => {
    const r = await host.call('GET', `/v1/lines/${w.line.__id}`, { token: w.admin });
    assert.equal(r.status, 200);
    assert.equal(r.body.__name, 'Support');
    assert.deepEqual(r.body._operatorGroups, ['support']);
    assert.equal(r.body.__deletedAt, null);
  });

  it('names the bad field of a malformed body and writes nothing', async () => {
    const beforeItems = await snapshot(host);
    const r = await host.call('POST', '/v1/channels', { token: w.admin, body: { _line: w.line.__id, _type: 'fax', __name: 'x' } });
    assert.equal(r.status, 400);
    assert.equal(r.body.errors[0].path, '_type');
    const broken = await host.call('POST', '/v1/lines', { token: w.admin, raw: '{"__name": ' });
    assert.equal(broken.status, 400);
    assert.equal(broken.body.errors[0].path, 'body');
    const unknown = await host.call('POST', '/v1/lines', { token: w.admin, body: { __name: 'x', color: 'red' } });
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.body.errors, [{ path: 'color', message: 'unknown field (not allowed here)' }]);
    assert.deepEqual(await snapshot(host), beforeItems);
  });

  it('refuses a channel on a line that does not exist with 404', async () => {
    const r = await host.call('POST', '/v1/channels', {
      token: w.admin,
      body: { _line: '00000000-0000-4000-8000-000000000000', _type: 'telegram', __name: 'x' },
    });
    assert.equal(r.status, 404);
  });

  it('lets only admins configure lines', async () => {
    const op = await host.token({ sub: 'op-x', roles: ['operator'], groups: ['support'] });
    const r = await host.call('POST', '/v1/lines', { token: op, body: { __name: 'Mine' } });
    assert.equal(r.status, 403);
  });

  it('hides a line from an operator of other groups (404)', async () => {
    const stranger = await host.token({ sub: 'op-y', roles: ['operator'], groups: ['sales'] });
    const r = await host.call('GET', `/v1/lines/${w.line.__id}`, { token: stranger });
    assert.equal(r.status, 404);
  });

  it('rejects a body over the size limit with 413', async () => {
    const r = await host.call('POST', '/v1/lines', { token: w.admin, body: { __name: 'x'.repeat(70_000) } });
    assert.equal(r.status, 413);
  });
});

describe('sessions', () => {
  it('opens a Waiting session from an inbound message and returns it by id', async () => {
    const first = await w.openSession('client-1', 'hi there');
    assert.equal(first.status, 201);
    const r = await host.call('GET', `/v1/sessions/${first.session.__id}`, { token: w.admin });
    assert.equal(r.status, 200);
    assert.equal(r.body._state, 'Waiting');
    assert.deepEqual(r.body._clients, [first.client.__id]);
    const again = await w.openSession('client-1', 'still there?');
    assert.equal(again.status, 200);
    assert.equal(again.session.__id, first.session.__id);
  });

  it('answers an unknown session id with 404 and a non-UUID with 400', async () => {
    const missing = await host.call('GET', '/v1/sessions/00000000-0000-4000-8000-000000000000', { token: w.admin });
    assert.equal(missing.status, 404);
    const bad = await host.call('GET', '/v1/sessions/not-an-id', { token: w.admin });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].path, 'params.id');
  });

  it('lets an online operator create a session, and refuses a second while it is open (409)', async () => {
    const alice = await w.operator('alice');
    const r = await host.call('POST', '/v1/sessions', { token: alice, body: { channel: w.channel.__id, account: 'client-2' } });
    assert.equal(r.status, 201);
    assert.equal(r.body._state, 'AssignedToOperator');
    assert.equal(r.body._userId, 'alice');
    assert.ok(r.body._acceptedAt);
    const beforeItems = await snapshot(host);
    const again = await host.call('POST', '/v1/sessions', { token: alice, body: { channel: w.channel.__id, account: 'client-2' } });
    assert.equal(again.status, 409);
    assert.deepEqual(await snapshot(host), beforeItems);
  });

  it('refuses create for an offline operator (403)', async () => {
    const bob = await w.operator('bob', { online: false });
    const r = await host.call('POST', '/v1/sessions', { token: bob, body: { channel: w.channel.__id, account: 'client-3' } });
    assert.equal(r.status, 403);
  });

  it('refuses operator-started sessions on livechat, vk and viberbot channels', async () => {
    const alice = await w.operator('alice');
    for (const type of ['livechat', 'vk', 'viberbot']) {
      const ch = await host.call('POST', '/v1/channels', { token: w.admin, body: { _line: w.line.__id, _type: type, __name: type } });
      const r = await host.call('POST', '/v1/sessions', { token: alice, body: { channel: ch.body.__id, account: 'c' } });
      assert.equal(r.status, 409, type);
      assert.match(r.body.detail, new RegExp(type));
    }
  });

  it('allows several open sessions per client on an inbox channel', async () => {
    const alice = await w.operator('alice');
    const inbox = await host.call('POST', '/v1/channels', { token: w.admin, body: { _line: w.line.__id, _type: 'inbox', __name: 'mail' } });
    const a = await host.call('POST', '/v1/sessions', { token: alice, body: { channel: inbox.body.__id, account: 'x@example.com' } });
    const b = await host.call('POST', '/v1/sessions', { token: alice, body: { channel: inbox.body.__id, account: 'x@example.com' } });
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    assert.notEqual(a.body.__id, b.body.__id);
    assert.deepEqual(a.body._clients, b.body._clients);
  });

  it('refuses inbound messages from a token not bound to the channel (404: it may not see the channel)', async () => {
    const other = await host.token({ sub: 'integration-2', roles: ['integration'], channels: ['someone-else'] });
    const r = await host.call('POST', `/v1/channels/${w.channel.__id}/inbound`, { token: other, body: { account: 'z', body: 'hi' } });
    assert.equal(r.status, 404);
  });
});
