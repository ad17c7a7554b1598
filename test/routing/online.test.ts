/** `GET /v1/lines/{id}/operators`: the online operators of a line, their load and the capacity that applies. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';

let host: TestHost;
let w: World;
before(async () => {
  host = await startTestHost();
  w = await world(host, { lineBody: { _routing: { mode: 'manual', capacity: 2 } } });
});
after(() => host.close());

test("online operators of the line with their load; offline ones and other lines' are not listed", async () => {
  const ann = await w.operator('ann');
  await w.operator('ben');
  await w.operator('cid', { online: false });
  await w.operator('dan', { groups: ['sales'] });
  await host.call('PUT', '/v1/operators/ben', { token: w.admin, body: { capacity: 5 } });
  const { session } = await w.openSession('online-client');
  assert.equal((await host.call('POST', `/v1/sessions/${session.__id}/assign`, { token: ann, body: { operator: 'ann' } })).status, 200);
  const supervisor = await host.token({ sub: 'lead', roles: ['supervisor'], groups: ['leads'] });
  const r = await host.call('GET', `/v1/lines/${w.line.__id}/operators`, { token: supervisor });
  assert.equal(r.status, 200);
  assert.deepEqual(
    r.body.items.map((o: { __id: string; activeSessions: number; effectiveCapacity: number | null }) => [o.__id, o.activeSessions, o.effectiveCapacity]),
    [
      ['ann', 1, 2],
      ['ben', 0, 5],
    ],
  );
  const bot = await host.token({ sub: 'bot-1', roles: ['bot'] });
  assert.equal((await host.call('GET', `/v1/lines/${w.line.__id}/operators`, { token: bot })).status, 403);
  assert.equal((await host.call('GET', `/v1/lines/${w.line.__id}/operators`, { token: w.integration })).status, 404);
});
