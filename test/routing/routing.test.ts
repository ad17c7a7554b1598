/**
 * Routing with real concurrency on DynamoDB Local: parallel arrivals over HTTP, the
 * stream consumer routing them, parallel routers racing for one operator.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { measure, type Usage } from '../../infra/local/dynamodb-calls.ts';
import { routeSessions } from '../../lib/app/routing/batch.ts';
import { fillOperator, routeSession } from '../../lib/app/routing/runner.ts';
import { createLinesClient } from '../../lib/client/index.ts';
import { startTestHost, type TestHost } from '../support/host.ts';
import { activeOf, arrive, operatorToken, queueOrder, type RoutingLine, routingLine, type SessionView, sessionsOf, setStatus, settle } from './support.ts';

let host: TestHost;
let admin: string;

before(async () => {
  host = await startTestHost({ events: true });
  admin = await host.token({ sub: 'admin-1', roles: ['admin'] });
});
after(() => host.close());

describe('auto routing: 100 sessions, 10 operators of capacity 3', () => {
  let line: RoutingLine;
  const ops: { sub: string; token: string }[] = [];
  let all: SessionView[] = [];

  before(async () => {
    line = await routingLine(host, admin, { mode: 'auto', capacity: 3 }, { groups: ['big'], name: 'Big' });
    for (let i = 0; i < 10; i++) {
      const sub = `big-op-${i}`;
      const token = await operatorToken(host, sub, ['big']);
      await setStatus(host, token, 'online');
      ops.push({ sub, token });
    }
    await settle(host);
  });

  it('100 arrivals in parallel: exactly 30 assigned, every operator at 3, 70 waiting', async () => {
    await Promise.all(Array.from({ length: 100 }, (_, i) => arrive(host, line, `big-client-${i}`)));
    await settle(host);
    all = await sessionsOf(host, admin, line.id);
    assert.equal(all.length, 100);
    const assigned = all.filter((s) => s._state === 'AssignedToOperator');
    assert.equal(assigned.length, 30);
    assert.equal(all.filter((s) => s._state === 'Waiting').length, 70);
    for (const o of ops) {
      assert.equal(assigned.filter((s) => s._userId === o.sub).length, 3, `${o.sub} holds 3`);
      assert.equal(await activeOf(o.sub), 3, `${o.sub} counts 3`);
    }
    // Routed assignments are ordinary assignments by "routing".
    const history = await host.call('GET', `/v1/sessions/${assigned[0]!.__id}/messages?size=100`, { token: admin });
    const assign = history.body.find((m: { payload: { command: string } | null }) => m.payload?.command === 'assignToOperator');
    assert.equal(assign.payload.by, 'routing');
  });

  it('queue positions of the waiting sessions are a permutation of 1..n in queue order', async () => {
    // Some priorities, so that the order is not only age.
    const waiting = all.filter((s) => s._state === 'Waiting');
    const high = waiting.filter((_, i) => i % 4 === 1).slice(0, 15);
    const low = waiting.filter((_, i) => i % 4 === 2).slice(0, 10);
    for (const s of high) assert.equal((await host.call('PUT', `/v1/sessions/${s.__id}/priority`, { token: admin, body: { priority: 'High' } })).status, 200);
    for (const s of low) assert.equal((await host.call('PUT', `/v1/sessions/${s.__id}/priority`, { token: admin, body: { priority: 'Low' } })).status, 200);
    await settle(host);
    all = await sessionsOf(host, admin, line.id);
    const queue = all.filter((s) => s._state === 'Waiting').sort(queueOrder);
    assert.equal(queue.length, 70);
    // Ten at a time (each reads the line's whole queue; DynamoDB Local shares a small machine).
    const replies = [];
    for (let i = 0; i < queue.length; i += 10) {
      replies.push(...(await Promise.all(queue.slice(i, i + 10).map((s) => host.call('GET', `/v1/sessions/${s.__id}/queue`, { token: line.integration })))));
    }
    const positions = replies.map((r) => {
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.ahead, r.body.position - 1);
      assert.equal(typeof r.body.basis, 'string');
      return r.body.position as number;
    });
    assert.deepEqual(
      positions,
      queue.map((_, i) => i + 1),
    );
    // Not for sessions out of the queue.
    const assigned = all.find((s) => s._state === 'AssignedToOperator')!;
    assert.equal((await host.call('GET', `/v1/sessions/${assigned.__id}/queue`, { token: admin })).status, 409);
  });

  it('10 closes: the 10 oldest sessions of the highest priority are assigned next', async () => {
    const queueBefore = all.filter((s) => s._state === 'Waiting').sort(queueOrder);
    const expected = queueBefore
      .slice(0, 10)
      .map((s) => s.__id)
      .sort();
    assert.ok(queueBefore.slice(0, 10).every((s) => s._priority === 'High'));
    const assigned = all.filter((s) => s._state === 'AssignedToOperator');
    // One close per operator, in parallel.
    const closes = await Promise.all(
      ops.map((o) => {
        const s = assigned.find((x) => x._userId === o.sub)!;
        return host.call('POST', `/v1/sessions/${s.__id}/close`, { token: o.token });
      }),
    );
    assert.deepEqual(
      closes.map((r) => r.status),
      ops.map(() => 200),
    );
    await settle(host);
    all = await sessionsOf(host, admin, line.id);
    const newlyAssigned = all
      .filter((s) => s._state === 'AssignedToOperator' && !assigned.some((a) => a.__id === s.__id))
      .map((s) => s.__id)
      .sort();
    assert.deepEqual(newlyAssigned, expected);
    for (const o of ops) assert.equal(await activeOf(o.sub), 3, `${o.sub} back at 3`);
    assert.equal(all.filter((s) => s._state === 'Waiting').length, 60);
  });

  it('an operator going offline gets nothing new; back online it is filled from the head of the queue', async () => {
    const off = ops[0]!;
    await setStatus(host, off.token, 'offline');
    await settle(host);
    // A supervisor hands one of its sessions back to the queue: its slot frees, but it is offline.
    const supervisor = await host.token({ sub: 'lead-1', roles: ['supervisor'], groups: ['leads'] });
    const mine = all.find((s) => s._state === 'AssignedToOperator' && s._userId === off.sub)!;
    const back = await host.call('POST', `/v1/sessions/${mine.__id}/assign`, { token: supervisor, body: { group: 'big' } });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    await settle(host);
    assert.equal(await activeOf(off.sub), 2);
    all = await sessionsOf(host, admin, line.id);
    assert.equal(all.filter((s) => s._state === 'AssignedToOperator' && s._userId === off.sub).length, 2);
    // Direct routers too: nothing for an offline operator.
    assert.equal(await fillOperator(off.sub), 0);
    const head = all.filter((s) => s._state === 'Waiting').sort(queueOrder)[0]!;
    await setStatus(host, off.token, 'online');
    await settle(host);
    assert.equal(await activeOf(off.sub), 3);
    all = await sessionsOf(host, admin, line.id);
    const got = all.find((s) => s.__id === head.__id)!;
    assert.equal(got._state, 'AssignedToOperator');
    assert.equal(got._userId, off.sub);
  });
});

describe('races and manual commands', () => {
  it('routers racing for one operator never exceed its capacity', async () => {
    // Sessions arrive in manual mode (nothing routes them), then the line turns auto and
    // 20 routers run at once for 20 sessions, with the stream consumer running too.
    const line = await routingLine(host, admin, { mode: 'manual', capacity: 2 }, { groups: ['solo'], name: 'Solo' });
    const sessions = await Promise.all(Array.from({ length: 20 }, (_, i) => arrive(host, line, `solo-client-${i}`)));
    const token = await operatorToken(host, 'solo-op', ['solo']);
    await setStatus(host, token, 'online');
    await settle(host);
    assert.equal(await activeOf('solo-op'), 0);
    const patched = await host.call('PATCH', `/v1/lines/${line.id}`, { token: admin, body: { _routing: { mode: 'auto' } } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual(patched.body._routing, { mode: 'auto', capacity: 2, botFirst: false });
    const outcomes = await Promise.all([...sessions.map((s) => routeSession(s.__id)), fillOperator('solo-op'), fillOperator('solo-op')]);
    assert.equal(outcomes.filter((o) => o === 'assigned').length <= 2, true, outcomes.join(','));
    await settle(host);
    const all = await sessionsOf(host, admin, line.id);
    assert.equal(all.filter((s) => s._state === 'AssignedToOperator').length, 2);
    assert.equal(await activeOf('solo-op'), 2);
  });

  it('a batch of 12 arrivals is routed in one pass: fewest-first over 4 operators, one transaction for all, no lost race', async () => {
    // Queued in manual mode (nothing routes them), then routed as one stream batch would be.
    const line = await routingLine(host, admin, { mode: 'manual', capacity: null }, { groups: ['batch'], name: 'Batch' });
    const sessions: { __id: string }[] = [];
    for (let i = 0; i < 12; i++) sessions.push(await arrive(host, line, `batch-client-${i}`));
    const subs = ['batch-op-0', 'batch-op-1', 'batch-op-2', 'batch-op-3'];
    for (const sub of subs) await setStatus(host, await operatorToken(host, sub, ['batch']), 'online');
    await settle(host);
    assert.equal((await host.call('PATCH', `/v1/lines/${line.id}`, { token: admin, body: { _routing: { mode: 'auto' } } })).status, 200);
    const calls: Usage = { calls: 0, readCapacity: 0, writeCapacity: 0 };
    const report = await measure(calls, () => routeSessions(sessions.map((s) => [s.__id, { created: false }] as const)));
    assert.deepEqual(report, { assigned: 12, oneByOne: 0 });
    // One BatchGetItem of the sessions, the line (unless cached), the group's Query and
    // BatchGetItem, then one transaction of the 12 assignments and 4 counts: no lost race, so no read again.
    assert.ok(calls.calls <= 4 + 1, `${calls.calls} calls`);
    for (const sub of subs) assert.equal(await activeOf(sub), 3, `${sub} counts 3`);
    // A repeat (the same records again) finds nothing waiting and writes nothing.
    const again: Usage = { calls: 0, readCapacity: 0, writeCapacity: 0 };
    assert.deepEqual(await measure(again, () => routeSessions(sessions.map((s) => [s.__id, { created: true }] as const))), { assigned: 0, oneByOne: 0 });
    assert.equal(again.calls, 1);
    await settle(host);
    const all = await sessionsOf(host, admin, line.id);
    assert.equal(all.filter((s) => s._state === 'AssignedToOperator').length, 12);
  });

  it('the same batch routed twice at once (a repeat): each session assigned once, every count exact', async () => {
    const line = await routingLine(host, admin, { mode: 'manual', capacity: null }, { groups: ['twice'], name: 'Twice' });
    const sessions = await Promise.all(Array.from({ length: 30 }, (_, i) => arrive(host, line, `twice-client-${i}`)));
    const subs = ['twice-op-0', 'twice-op-1', 'twice-op-2'];
    for (const sub of subs) await setStatus(host, await operatorToken(host, sub, ['twice']), 'online');
    await settle(host);
    assert.equal((await host.call('PATCH', `/v1/lines/${line.id}`, { token: admin, body: { _routing: { mode: 'auto' } } })).status, 200);
    // More than one transaction's worth (25): the first write of one pass wins, the other's
    // same write finds the sessions moved on and routes them one at a time (they are not waiting).
    const batch = sessions.map((s) => [s.__id, { created: false }] as const);
    const reports = await Promise.all([routeSessions(batch), routeSessions(batch)]);
    assert.equal(reports[0]!.assigned + reports[1]!.assigned, 30, JSON.stringify(reports));
    await settle(host);
    const all = await sessionsOf(host, admin, line.id);
    assert.equal(all.filter((s) => s._state === 'AssignedToOperator').length, 30);
    for (const sub of subs) {
      const held = all.filter((s) => s._userId === sub).length;
      assert.equal(held, 10, `${sub} holds 10`);
      assert.equal(await activeOf(sub), held, `${sub} counts what it holds`);
    }
    for (const s of all) {
      const history = await host.call('GET', `/v1/sessions/${s.__id}/messages?size=100`, { token: admin });
      const assigned = history.body.filter((m: { payload: { command: string } | null }) => m.payload?.command === 'assignToOperator');
      assert.equal(assigned.length, 1, `${s.__id} assigned once`);
    }
  });

  it('a batch over capacity: operators filled exactly to capacity, the rest waiting, also when a second batch races it', async () => {
    const line = await routingLine(host, admin, { mode: 'manual', capacity: 3 }, { groups: ['full'], name: 'Full' });
    const sessions = await Promise.all(Array.from({ length: 16 }, (_, i) => arrive(host, line, `full-client-${i}`)));
    const subs = ['full-op-0', 'full-op-1', 'full-op-2'];
    for (const sub of subs) await setStatus(host, await operatorToken(host, sub, ['full']), 'online');
    // One of them may take 4 (its override): its count condition is its own.
    assert.equal((await host.call('PUT', '/v1/operators/full-op-2', { token: admin, body: { capacity: 4 } })).status, 200);
    await settle(host);
    assert.equal((await host.call('PATCH', `/v1/lines/${line.id}`, { token: admin, body: { _routing: { mode: 'auto' } } })).status, 200);
    // Two batches of different sessions, each planning against the same free slots.
    const first = sessions.slice(0, 8).map((s) => [s.__id, { created: false }] as const);
    const second = sessions.slice(8).map((s) => [s.__id, { created: false }] as const);
    await Promise.all([routeSessions(first), routeSessions(second)]);
    await settle(host);
    const all = await sessionsOf(host, admin, line.id);
    assert.equal(all.filter((s) => s._state === 'AssignedToOperator').length, 10);
    assert.equal(all.filter((s) => s._state === 'Waiting').length, 6);
    for (const [sub, cap] of [
      ['full-op-0', 3],
      ['full-op-1', 3],
      ['full-op-2', 4],
    ] as const) {
      assert.equal(all.filter((s) => s._userId === sub).length, cap, `${sub} holds ${cap}`);
      assert.equal(await activeOf(sub), cap, `${sub} counts ${cap}`);
    }
  });

  it('manual assignment respects capacity: 409 with the reason; close frees the slot', async () => {
    const line = await routingLine(host, admin, { mode: 'manual', capacity: 1 }, { groups: ['hand'], name: 'Hand' });
    const token = await operatorToken(host, 'hand-op', ['hand']);
    await setStatus(host, token, 'online');
    const a = await arrive(host, line, 'hand-a');
    const b = await arrive(host, line, 'hand-b');
    const first = await host.call('POST', `/v1/sessions/${a.__id}/assign`, { token: admin, body: { operator: 'hand-op' } });
    assert.equal(first.status, 200);
    const second = await host.call('POST', `/v1/sessions/${b.__id}/assign`, { token: admin, body: { operator: 'hand-op' } });
    assert.equal(second.status, 409);
    assert.match(second.body.detail, /capacity/);
    // The override raises it for this operator only.
    const raised = await host.call('PUT', '/v1/operators/hand-op', { token: admin, body: { capacity: 2 } });
    assert.equal(raised.status, 200, JSON.stringify(raised.body));
    assert.equal(raised.body.capacity, 2);
    assert.equal((await host.call('POST', `/v1/sessions/${b.__id}/assign`, { token: admin, body: { operator: 'hand-op' } })).status, 200);
    assert.equal(await activeOf('hand-op'), 2);
    assert.equal((await host.call('POST', `/v1/sessions/${a.__id}/close`, { token })).status, 200);
    assert.equal(await activeOf('hand-op'), 1);
    // Spam and unmark move the count too.
    assert.equal((await host.call('PUT', `/v1/sessions/${b.__id}/spam`, { token })).status, 200);
    assert.equal(await activeOf('hand-op'), 0);
    assert.equal((await host.call('DELETE', `/v1/sessions/${b.__id}/spam`, { token })).status, 200);
    assert.equal(await activeOf('hand-op'), 1);
    // 20 parallel manual assignments of 20 sessions to an operator with one free slot: one wins.
    const more = await Promise.all(Array.from({ length: 20 }, (_, i) => arrive(host, line, `hand-more-${i}`)));
    const replies = await Promise.all(more.map((s) => host.call('POST', `/v1/sessions/${s.__id}/assign`, { token: admin, body: { operator: 'hand-op' } })));
    assert.equal(replies.filter((r) => r.status === 200).length, 1, replies.map((r) => r.status).join(','));
    assert.equal(await activeOf('hand-op'), 2);
  });

  it('botFirst: new sessions go to the bot; its hand-over to a group goes through routing', async () => {
    const line = await routingLine(host, admin, { mode: 'auto', capacity: 3, botFirst: true }, { groups: ['botty'], bot: 'bot-9', name: 'Botty' });
    const token = await operatorToken(host, 'botty-op', ['botty']);
    await setStatus(host, token, 'online');
    const s = await arrive(host, line, 'botty-client');
    await settle(host);
    let all = await sessionsOf(host, admin, line.id);
    assert.equal(all[0]!._state, 'AssignedToBot');
    const bot = await host.token({ sub: 'bot-9', roles: ['bot'] });
    const handed = await host.call('POST', `/v1/sessions/${s.__id}/assign`, { token: bot, body: { group: 'botty' } });
    assert.equal(handed.status, 200, JSON.stringify(handed.body));
    await settle(host);
    all = await sessionsOf(host, admin, line.id);
    assert.equal(all[0]!._state, 'AssignedToOperator');
    assert.equal(all[0]!._userId, 'botty-op');
    assert.equal(await activeOf('botty-op'), 1);
  });

  it('the typed client reads a queue position and sets a capacity override', async () => {
    const line = await routingLine(host, admin, { mode: 'manual', capacity: 2 }, { groups: ['typed'], name: 'Typed' });
    await arrive(host, line, 'typed-a');
    const b = await arrive(host, line, 'typed-b');
    const token = await operatorToken(host, 'typed-op', ['typed']);
    await setStatus(host, token, 'online');
    const lines = createLinesClient({ baseUrl: host.url, token: admin });
    const position = await lines.sessions.ref(b.__id).getQueuePosition();
    assert.equal(position.position, 2);
    assert.equal(position.ahead, 1);
    // Nobody has taken a session of this line yet: no rate; one operator online with 2 free slots.
    assert.match(position.basis, /1 online operator with 2 free slots/);
    const record = await lines.setOperatorCapacity('typed-op', 5);
    assert.equal(record.capacity, 5);
    assert.equal(record.activeSessions, 0);
  });
});
