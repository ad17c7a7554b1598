/**
 * Races settled by the database, with real concurrency: parallel HTTP requests against the
 * local host over DynamoDB Local (Promise.all over fetch).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { snapshot, type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';

let host: TestHost;
let w: World;
const N = 20;
let operators: { sub: string; token: string }[] = [];

before(async () => {
  host = await startTestHost();
  w = await world(host);
  operators = [];
  for (let i = 0; i < N; i++) operators.push({ sub: `racer-${i}`, token: await w.operator(`racer-${i}`) });
});
after(() => host.close());

async function messagesOf(id: string) {
  const r = await host.call('GET', `/v1/sessions/${id}/messages?size=1000`, { token: w.admin });
  assert.equal(r.status, 200);
  return r.body as { type: string; author: string; body: string; payload: { command: string } | null }[];
}

describe('20 operators take one queued session at once', () => {
  it('exactly one 200, the rest 409; the session and its history show one assignment', async () => {
    const { session } = await w.openSession('race-client-1');
    const replies = await Promise.all(
      operators.map((o) => host.call('POST', `/v1/sessions/${session.__id}/assign`, { token: o.token, body: { operator: o.sub } })),
    );
    const statuses = replies.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 409).length, N - 1, statuses.join(','));
    const winner = replies.find((r) => r.status === 200)!.body._userId;
    const now = await host.call('GET', `/v1/sessions/${session.__id}`, { token: w.admin });
    assert.equal(now.body._userId, winner);
    assert.equal(now.body._version, 2);
    const assignments = (await messagesOf(session.__id)).filter((m) => m.payload?.command === 'assignToOperator');
    assert.equal(assignments.length, 1);
  });

  it('a supervisor assigning one queued session to 20 operators at once with If-Match: exactly one 200, the rest 409', async () => {
    const supervisor = await host.token({ sub: 'sup-race', roles: ['supervisor'], groups: ['leads'] });
    const { session } = await w.openSession('race-client-2');
    const read = await host.call('GET', `/v1/sessions/${session.__id}`, { token: supervisor });
    const etag = read.headers.get('etag');
    assert.equal(etag, `"${read.body._version}"`);
    const replies = await Promise.all(
      operators.map((o) =>
        host.call('POST', `/v1/sessions/${session.__id}/assign`, { token: supervisor, body: { operator: o.sub }, headers: { 'if-match': etag! } }),
      ),
    );
    const statuses = replies.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 409).length, N - 1, statuses.join(','));
    const assignments = (await messagesOf(session.__id)).filter((m) => m.payload?.command === 'assignToOperator');
    assert.equal(assignments.length, 1);
    // A stale If-Match is refused; a current one works (to an operator other than the winner).
    const winner = replies.find((r) => r.status === 200)!.body._userId as string;
    const next = operators.find((o) => o.sub !== winner)!.sub;
    const stale = await host.call('POST', `/v1/sessions/${session.__id}/assign`, {
      token: supervisor,
      body: { operator: next },
      headers: { 'if-match': etag! },
    });
    assert.equal(stale.status, 409);
    const now = await host.call('GET', `/v1/sessions/${session.__id}`, { token: supervisor });
    const fresh = await host.call('POST', `/v1/sessions/${session.__id}/assign`, {
      token: supervisor,
      body: { operator: next },
      headers: { 'if-match': now.headers.get('etag')! },
    });
    assert.equal(fresh.status, 200);
  });

  it('without If-Match, parallel assigns by one supervisor: every 200 is its own version and history entry, the rest 409', async () => {
    const supervisor = await host.token({ sub: 'sup-race', roles: ['supervisor'], groups: ['leads'] });
    const { session } = await w.openSession('race-client-3');
    await host.call('GET', `/v1/sessions/${session.__id}`, { token: supervisor });
    const replies = await Promise.all(
      operators.map((o) => host.call('POST', `/v1/sessions/${session.__id}/assign`, { token: supervisor, body: { operator: o.sub } })),
    );
    const statuses = replies.map((r) => r.status);
    // A request that arrived before the winner committed but read after it may still be a
    // legitimate reassignment (the winner's timestamp precedes its commit): no lost writes,
    // no double history, but not necessarily a single 200 — If-Match makes it one.
    const ok = replies.filter((r) => r.status === 200);
    assert.ok(ok.length >= 1);
    assert.equal(ok.length + statuses.filter((s) => s === 409).length, N, statuses.join(','));
    assert.equal(new Set(ok.map((r) => r.body._version)).size, ok.length);
    const assignments = (await messagesOf(session.__id)).filter((m) => m.payload?.command === 'assignToOperator');
    assert.equal(assignments.length, ok.length);
  });
});

describe('20 parallel first messages from one new client', () => {
  it('make one client, one session and 20 client messages', async () => {
    const replies = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        host.call('POST', `/v1/channels/${w.channel.__id}/inbound`, {
          token: w.integration,
          body: { account: 'burst-client', body: `burst ${i}` },
        }),
      ),
    );
    const statuses = replies.map((r) => r.status);
    assert.ok(
      statuses.every((s) => s === 200 || s === 201),
      statuses.join(','),
    );
    assert.equal(statuses.filter((s) => s === 201).length, 1, statuses.join(','));
    assert.equal(new Set(replies.map((r) => r.body.client.__id)).size, 1);
    assert.equal(new Set(replies.map((r) => r.body.session.__id)).size, 1);
    const messages = (await messagesOf(replies[0]!.body.session.__id)).filter((m) => m.author === 'client');
    assert.equal(messages.length, N);
    assert.deepEqual(new Set(messages.map((m) => m.body)), new Set(Array.from({ length: N }, (_, i) => `burst ${i}`)));
  });
});

describe('parallel repeats with one Idempotency-Key', () => {
  it('write once and all answer with the first response', async () => {
    const { session } = await w.openSession('idem-client');
    const [first] = operators;
    const headers = { 'idempotency-key': `take-${session.__id}` };
    const replies = await Promise.all(
      Array.from({ length: 10 }, () =>
        host.call('POST', `/v1/sessions/${session.__id}/assign`, { token: first!.token, body: { operator: first!.sub }, headers }),
      ),
    );
    assert.deepEqual(
      replies.map((r) => r.status),
      replies.map(() => 200),
    );
    for (const r of replies) assert.deepEqual(r.body, replies[0]!.body);
    const assignments = (await messagesOf(session.__id)).filter((m) => m.payload?.command === 'assignToOperator');
    assert.equal(assignments.length, 1);
    const beforeItems = await snapshot(host);
    const again = await host.call('POST', `/v1/sessions/${session.__id}/assign`, { token: first!.token, body: { operator: first!.sub }, headers });
    assert.equal(again.status, 200);
    assert.deepEqual(await snapshot(host), beforeItems);
  });

  it('parallel replies with one key post one message', async () => {
    const { session } = await w.openSession('idem-client-2');
    const op = operators[1]!;
    await host.call('POST', `/v1/sessions/${session.__id}/assign`, { token: op.token, body: { operator: op.sub } });
    const headers = { 'idempotency-key': `reply-${session.__id}` };
    const replies = await Promise.all(
      Array.from({ length: 10 }, () =>
        host.call('POST', `/v1/sessions/${session.__id}/messages`, { token: op.token, body: { type: 'text', body: 'once' }, headers }),
      ),
    );
    assert.ok(
      replies.every((r) => r.status === 201),
      replies.map((r) => r.status).join(','),
    );
    assert.equal(new Set(replies.map((r) => r.body.__id)).size, 1);
    const posted = (await messagesOf(session.__id)).filter((m) => m.body === 'once');
    assert.equal(posted.length, 1);
  });
});
