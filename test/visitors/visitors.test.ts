/**
 * The visitor routes of the web-chat widget, over real HTTP through the test host.
 * A visitor token is scoped to one livechat channel and one client; it never reads another
 * client's session nor staff-only messages; bad input is a 4xx problem naming the field.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { visitorSecret } from '../../lib/adapters/secrets.ts';
import { signVisitorToken, verifyVisitorToken } from '../../lib/adapters/visitor-token.ts';
import { aggregateMetrics } from '../../lib/app/metrics/aggregate.ts';
import { queuePosition } from '../../lib/domain/routing/queue.ts';
import { clientVisible } from '../../lib/domain/visitors/rules.ts';
import { type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';

let host: TestHost;
let w: World;
let alice: string;

before(async () => {
  host = await startTestHost();
  w = await world(host, { channelType: 'livechat' });
  alice = await w.operator('alice');
});
after(() => host?.close());

async function visitor(channel = w.channel.__id) {
  const r = await host.call('POST', '/v1/visitors', { body: { channel } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body as { token: string; account: string; channel: string; expiresAt: string };
}

describe('visitor tokens', () => {
  it('sign and verify; a changed claim, another secret or expiry is refused', async () => {
    const now = 1_700_000_000;
    const t = await signVisitorToken('s1', { channel: 'c', account: 'a', exp: now + 60 });
    assert.deepEqual(await verifyVisitorToken('s1', t, now), { channel: 'c', account: 'a', exp: now + 60 });
    assert.ok('error' in (await verifyVisitorToken('s2', t, now)));
    assert.ok('error' in (await verifyVisitorToken('s1', t, now + 61)));
    const [prefix, payload, sig] = [t.slice(0, 4), ...t.slice(4).split('.')] as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ch: 'c', acct: 'someone-else', exp: now + 60 })).toString('base64url');
    assert.ok('error' in (await verifyVisitorToken('s1', `${prefix}${forged}.${sig}`, now)));
    assert.ok('error' in (await verifyVisitorToken('s1', `${prefix}${payload}`, now)));
    assert.ok('error' in (await verifyVisitorToken('s1', 'eyJhbGciOi.x.y', now)));
    // The token is a JWT (header.claims.signature): claims changed under the original signature are refused.
    const [header, , signature] = t.slice(4).split('.') as [string, string, string];
    assert.deepEqual(await verifyVisitorToken('s1', `${prefix}${header}.${forged}.${signature}`, now), { error: 'bad visitor token signature' });
  });

  it('queue position: priority then age, same queue only', () => {
    const s = (id: string, createdAt: string, priority: string | null = null, group: string | null = null) =>
      ({ __id: id, __createdAt: createdAt, _state: 'Waiting', _priority: priority, _userGroupId: group }) as never;
    const me = s('m', '2025-01-01T00:05:00Z');
    const waiting = [
      s('a', '2025-01-01T00:01:00Z'),
      s('b', '2025-01-01T00:09:00Z', 'High'),
      s('c', '2025-01-01T00:06:00Z'),
      s('d', '2025-01-01T00:00:00Z', null, 'vip'),
      me,
    ];
    assert.deepEqual(queuePosition(me, waiting), { position: 3, ahead: 2 });
  });
});

describe('visitor routes', () => {
  it('POST /v1/visitors: a token for a livechat channel; other channels and bad input refused', async () => {
    const v = await visitor();
    assert.match(v.token, /^vt1\./);
    assert.match(v.account, /^visitor-/);
    const claims = await verifyVisitorToken(await visitorSecret(), v.token);
    assert.ok(!('error' in claims) && claims.channel === w.channel.__id && claims.account === v.account);

    const telegram = await host.call('POST', '/v1/channels', { token: w.admin, body: { _line: w.line.__id, _type: 'telegram', __name: 'TG' } });
    const notLivechat = await host.call('POST', '/v1/visitors', { body: { channel: telegram.body.__id } });
    assert.equal(notLivechat.status, 404);
    const missing = await host.call('POST', '/v1/visitors', { body: { channel: '00000000-0000-4000-8000-000000000000' } });
    assert.equal(missing.status, 404);
    const bad = await host.call('POST', '/v1/visitors', { body: { channel: 'nope', extra: 1 } });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.errors.map((e: { path: string }) => e.path).sort(), ['channel', 'extra']);
    assert.equal(bad.headers.get('content-type'), 'application/problem+json');
  });

  it('a visitor writes, staff answer; the visitor reads replies but never notes or history', async () => {
    const v = await visitor();
    const empty = await host.call('GET', '/v1/visitors/messages', { token: v.token });
    assert.deepEqual(empty.body, { session: null, messages: [], hours: { openNow: true, nextChangeAt: null } });

    const first = await host.call('POST', '/v1/visitors/messages', { token: v.token, body: { body: 'Hello, anyone?' } });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.body.session.state, 'Waiting');
    const sessionId: string = first.body.session.id;

    // Staff see it as an inbound message of the livechat channel's client.
    const staff = await host.call('GET', `/v1/sessions/${sessionId}`, { token: alice });
    assert.equal(staff.body._channel, w.channel.__id);

    const queue = await host.call('GET', '/v1/visitors/queue', { token: v.token });
    assert.equal(queue.status, 200);
    assert.equal(queue.body.state, 'Waiting');
    assert.ok(queue.body.position >= 1);
    assert.equal(typeof queue.body.basis, 'string');

    assert.equal((await host.call('POST', `/v1/sessions/${sessionId}/assign`, { token: alice, body: { operator: 'alice' } })).status, 200);
    assert.equal(
      (await host.call('POST', `/v1/sessions/${sessionId}/messages`, { token: alice, body: { type: 'system', body: 'STAFF ONLY note' } })).status,
      201,
    );
    assert.equal(
      (await host.call('POST', `/v1/sessions/${sessionId}/messages`, { token: alice, body: { type: 'text', body: 'Hi! How can I help?' } })).status,
      201,
    );
    const second = await host.call('POST', '/v1/visitors/messages', { token: v.token, body: { body: 'My order is late' } });
    assert.equal(second.status, 200);

    const read = await host.call('GET', '/v1/visitors/messages', { token: v.token });
    assert.equal(read.status, 200);
    assert.equal(read.body.session.state, 'AssignedToOperator');
    assert.deepEqual(
      read.body.messages.map((m: { from: string; body: string }) => `${m.from}: ${m.body}`),
      ['visitor: Hello, anyone?', 'operator: Hi! How can I help?', 'visitor: My order is late'],
    );
    assert.ok(!JSON.stringify(read.body).includes('STAFF ONLY'));

    const notWaiting = await host.call('GET', '/v1/visitors/queue', { token: v.token });
    assert.deepEqual([notWaiting.body.state, notWaiting.body.position], ['AssignedToOperator', null]);

    // Another visitor never sees this conversation.
    const other = await visitor();
    const theirs = await host.call('GET', '/v1/visitors/messages', { token: other.token });
    assert.deepEqual(theirs.body, { session: null, messages: [], hours: { openNow: true, nextChangeAt: null } });
  });

  it('tokens: missing, forged, staff JWTs and tokens of another secret are 401', async () => {
    const v = await visitor();
    const staffJwt = alice;
    const forged = await signVisitorToken('not-the-secret', { channel: w.channel.__id, account: v.account, exp: Math.floor(Date.now() / 1000) + 60 });
    for (const token of [undefined, staffJwt, forged, `${v.token}x`]) {
      for (const [method, path, body] of [
        ['GET', '/v1/visitors/messages'],
        ['GET', '/v1/visitors/queue'],
        ['POST', '/v1/visitors/messages', { body: 'hi' }],
      ] as const) {
        const r = await host.call(method, path, { ...(token ? { token } : {}), ...(body ? { body } : {}) });
        assert.equal(r.status, 401, `${method} ${path} with ${token?.slice(0, 10)}: ${r.status}`);
        assert.equal(r.headers.get('content-type'), 'application/problem+json');
      }
    }
    const empty = await host.call('POST', '/v1/visitors/messages', { token: v.token, body: { body: '   ' } });
    assert.equal(empty.status, 400);
    assert.equal(empty.body.errors[0].path, 'body');
  });

  it('queue position over HTTP: priority first, then age; an estimate once metrics exist', async () => {
    const line = await host.call('POST', '/v1/lines', { token: w.admin, body: { __name: 'Queue', _operatorGroups: ['support'] } });
    const ch = await host.call('POST', '/v1/channels', { token: w.admin, body: { _line: line.body.__id, _type: 'livechat', __name: 'Q' } });
    const [a, b, c] = [await visitor(ch.body.__id), await visitor(ch.body.__id), await visitor(ch.body.__id)];
    const sessions: string[] = [];
    for (const v of [a, b, c]) sessions.push((await host.call('POST', '/v1/visitors/messages', { token: v.token, body: { body: 'hi' } })).body.session.id);
    // The last one gets High priority: it moves ahead of the two older ones.
    assert.equal((await host.call('PUT', `/v1/sessions/${sessions[2]}/priority`, { token: w.admin, body: { priority: 'High' } })).status, 200);
    const positions = [];
    for (const v of [a, b, c]) positions.push((await host.call('GET', '/v1/visitors/queue', { token: v.token })).body.position);
    assert.deepEqual(positions, [2, 3, 1]);
    assert.equal((await host.call('GET', '/v1/visitors/queue', { token: a.token })).body.expectedWaitSeconds, null, 'no history yet');

    // c is taken: its wait becomes a queueWait sample once aggregated; a's estimate follows from it.
    assert.equal((await host.call('POST', `/v1/sessions/${sessions[2]}/assign`, { token: alice, body: { operator: 'alice' } })).status, 200);
    await aggregateMetrics();
    const q = await host.call('GET', '/v1/visitors/queue', { token: a.token });
    assert.equal(q.body.position, 1);
    assert.equal(typeof q.body.expectedWaitSeconds, 'number');
  });

  it('the visitor route and the staff route place a session alike, in a line with several groups', async () => {
    const line = await host.call('POST', '/v1/lines', { token: w.admin, body: { __name: 'Groups', _operatorGroups: ['g1', 'g2'] } });
    const ch = await host.call('POST', '/v1/channels', { token: w.admin, body: { _line: line.body.__id, _type: 'livechat', __name: 'G' } });
    const visitors = [];
    const sessions: string[] = [];
    for (let i = 0; i < 6; i++) {
      const v = await visitor(ch.body.__id);
      visitors.push(v);
      sessions.push((await host.call('POST', '/v1/visitors/messages', { token: v.token, body: { body: `hi ${i}` } })).body.session.id);
    }
    // Queues: g1 holds 3 (High) then 0; g2 holds 2; the group-less queue 4 (Low: any priority comes before none), then 1 and 5.
    const setUp: [number, string, Record<string, unknown>][] = [
      [0, 'assign', { group: 'g1' }],
      [2, 'assign', { group: 'g2' }],
      [3, 'assign', { group: 'g1' }],
      [3, 'priority', { priority: 'High' }],
      [4, 'priority', { priority: 'Low' }],
    ];
    for (const [i, command, body] of setUp) {
      const r = await host.call(command === 'assign' ? 'POST' : 'PUT', `/v1/sessions/${sessions[i]}/${command}`, { token: w.admin, body });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    const places = [];
    for (let i = 0; i < sessions.length; i++) {
      const staff = await host.call('GET', `/v1/sessions/${sessions[i]}/queue`, { token: w.admin });
      const own = await host.call('GET', '/v1/visitors/queue', { token: visitors[i]!.token });
      assert.equal(staff.status, 200, JSON.stringify(staff.body));
      assert.equal(own.status, 200, JSON.stringify(own.body));
      assert.deepEqual([own.body.position, own.body.ahead], [staff.body.position, staff.body.ahead], `session ${i}`);
      places.push(staff.body.position);
    }
    assert.deepEqual(places, [2, 2, 1, 1, 1, 3]);
  });

  it('a disconnected livechat channel refuses new visitors and their messages (409)', async () => {
    const ch = await host.call('POST', '/v1/channels', { token: w.admin, body: { _line: w.line.__id, _type: 'livechat', __name: 'Site 2' } });
    const v = await visitor(ch.body.__id);
    assert.equal((await host.call('POST', `/v1/channels/${ch.body.__id}/disconnect`, { token: w.admin })).status, 200);
    assert.equal((await host.call('POST', '/v1/visitors', { body: { channel: ch.body.__id } })).status, 409);
    const r = await host.call('POST', '/v1/visitors/messages', { token: v.token, body: { body: 'hello?' } });
    assert.equal(r.status, 409);
    assert.match(r.body.detail, /disconnected/);
  });

  it('clientVisible keeps client text and staff replies only', () => {
    const m = (author: string, type: string) => ({ __id: `${author}${type}`, __createdAt: '2025-01-01T00:00:00Z', author, type, body: 'x' }) as never;
    assert.deepEqual(
      clientVisible([m('client', 'text'), m('system', 'payload'), m('operator', 'system'), m('operator', 'text'), m('bot', 'text')]).map((x) => x.from),
      ['visitor', 'operator', 'bot'],
    );
  });
});
