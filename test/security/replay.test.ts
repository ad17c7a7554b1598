/**
 * `Idempotency-Key` replays and authorization: a stored answer goes only to a caller who could
 * have made the request. The same subject with the same rights gets the replay; with other
 * rights (fewer roles, other groups) the request goes through the route's checks as a fresh one
 * does — refused as a fresh one would be, or, when allowed, answered with the stored reply and
 * nothing written twice.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sameTable, snapshot, type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';

let host: TestHost;
let w: World;

before(async () => {
  host = await startTestHost({ events: false });
  w = await world(host);
});
after(async () => {
  await host.close();
});

const hookBody = () => ({ url: 'http://127.0.0.1:9/in', events: ['session.*'], line: w.line.__id });
const key = (name: string) => ({ 'idempotency-key': `${name}-${Math.random().toString(36).slice(2)}` });

describe('a replay passes the same authorization as a fresh request', () => {
  test("the same subject with only the operator role replays an admin's POST /v1/webhooks: 403, no secret, nothing written", async () => {
    const headers = key('hook');
    const created = await host.call('POST', '/v1/webhooks', { token: w.admin, headers, body: hookBody() });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.match(created.body.secret, /^whsec_/);
    const operatorOnly = await host.token({ sub: 'admin-1', roles: ['operator'], groups: ['support'] });
    const before = await snapshot(host);
    const replay = await host.call('POST', '/v1/webhooks', { token: operatorOnly, headers, body: hookBody() });
    assert.equal(replay.status, 403, JSON.stringify(replay.body));
    assert.equal(replay.headers.get('idempotent-replayed'), null);
    assert.ok(!JSON.stringify(replay.body).includes(created.body.secret), 'the secret is not in the answer');
    assert.equal(replay.body.secret, undefined);
    sameTable(before, await snapshot(host), 'a refused replay wrote something');
  });

  test('the same subject and rights (another token) get the stored answer, marked replayed', async () => {
    const headers = key('hook-same');
    const created = await host.call('POST', '/v1/webhooks', { token: w.admin, headers, body: hookBody() });
    assert.equal(created.status, 201);
    const again = await host.token({ sub: 'admin-1', roles: ['admin'] });
    const replay = await host.call('POST', '/v1/webhooks', { token: again, headers, body: hookBody() });
    assert.equal(replay.status, 201);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(replay.body, created.body);
  });

  test('other rights that still allow the request: the stored answer, and no second webhook', async () => {
    const headers = key('hook-more');
    const created = await host.call('POST', '/v1/webhooks', { token: w.admin, headers, body: hookBody() });
    assert.equal(created.status, 201);
    const count = async () => (await host.call('GET', '/v1/webhooks', { token: w.admin })).body.length as number;
    const hooks = await count();
    const wider = await host.token({ sub: 'admin-1', roles: ['admin', 'supervisor'], groups: ['leads'] });
    const before = await snapshot(host);
    const replay = await host.call('POST', '/v1/webhooks', { token: wider, headers, body: hookBody() });
    assert.equal(replay.status, 201, JSON.stringify(replay.body));
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(replay.body, created.body);
    assert.equal(await count(), hooks);
    sameTable(before, await snapshot(host), 'an allowed replay wrote something');
  });

  test('a supervisor of another line replays an admin channel creation: 403 as a fresh request, nothing written', async () => {
    const headers = key('channel');
    const body = { _line: w.line.__id, _type: 'whatsapp', __name: 'WA replay', _deliveryUrl: 'http://127.0.0.1:9/wa' };
    const created = await host.call('POST', '/v1/channels', { token: w.admin, headers, body });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.match(created.body._deliverySecret, /^whsec_/);
    const supervisor = await host.token({ sub: 'admin-1', roles: ['supervisor'], groups: ['leads'] });
    const before = await snapshot(host);
    const replay = await host.call('POST', '/v1/channels', { token: supervisor, headers, body });
    assert.equal(replay.status, 403, JSON.stringify(replay.body));
    assert.equal(replay.body._deliverySecret, undefined);
    sameTable(before, await snapshot(host));
  });

  test('an admin and an operator-only token of one subject racing with one key: only the admin gets the secret', async () => {
    const operatorOnly = await host.token({ sub: 'admin-1', roles: ['operator'], groups: ['support'] });
    for (let round = 0; round < 5; round++) {
      const headers = key(`race-${round}`);
      const [admin, operator] = await Promise.all([
        host.call('POST', '/v1/webhooks', { token: w.admin, headers, body: hookBody() }),
        host.call('POST', '/v1/webhooks', { token: operatorOnly, headers, body: hookBody() }),
      ]);
      assert.equal(admin.status, 201, JSON.stringify(admin.body));
      assert.equal(operator.status, 403, JSON.stringify(operator.body));
      assert.equal(operator.body.secret, undefined);
    }
  });

  test('a session reply replayed by the same operator out of the line: 404 as a fresh request; still in it: the stored answer, one message', async () => {
    const op = await w.operator('op-replay');
    const { session } = await w.openSession('replay-client', 'hello');
    assert.equal((await host.call('POST', `/v1/sessions/${session.__id}/assign`, { token: op, body: { operator: 'op-replay' } })).status, 200);
    const headers = key('reply');
    const path = `/v1/sessions/${session.__id}/messages`;
    const first = await host.call('POST', path, { token: op, headers, body: { type: 'text', body: 'once' } });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const count = async () =>
      (await host.call('GET', `${path}?size=100`, { token: w.admin })).body.filter((m: { body: string }) => m.body === 'once').length as number;

    const outside = await host.token({ sub: 'op-replay', roles: ['operator'], groups: ['elsewhere'] });
    const refused = await host.call('POST', path, { token: outside, headers, body: { type: 'text', body: 'once' } });
    assert.equal(refused.status, 404, JSON.stringify(refused.body));
    assert.equal(refused.body.__id, undefined);

    const wider = await host.token({ sub: 'op-replay', roles: ['operator'], groups: ['support', 'vip'] });
    const replayed = await host.call('POST', path, { token: wider, headers, body: { type: 'text', body: 'once' } });
    assert.equal(replayed.status, 201);
    assert.equal(replayed.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(replayed.body, first.body);
    assert.equal(await count(), 1);
  });

  test('a key reused with another body is still a 409, whatever the rights', async () => {
    const headers = key('other-body');
    assert.equal((await host.call('POST', '/v1/webhooks', { token: w.admin, headers, body: hookBody() })).status, 201);
    const operatorOnly = await host.token({ sub: 'admin-1', roles: ['operator'] });
    const other = { ...hookBody(), url: 'http://127.0.0.1:9/other' };
    assert.equal((await host.call('POST', '/v1/webhooks', { token: w.admin, headers, body: other })).status, 409);
    assert.equal((await host.call('POST', '/v1/webhooks', { token: operatorOnly, headers, body: other })).status, 409);
  });
});
