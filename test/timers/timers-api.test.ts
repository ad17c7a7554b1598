/**
 * Timers end to end against DynamoDB Local: clocks written by the real routes, fired by the real
 * sweeper. Time is injected into the sweep (`now`), so no test waits for a policy to run out —
 * except the last, which runs the sweeper on a real timer with policies of seconds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTimerSweeper } from '../../infra/local/timers.ts';
import { inProcessBus } from '../../lib/adapters/bus.ts';
import { mapPool } from '../../lib/adapters/concurrency.ts';
import { getItem } from '../../lib/adapters/dynamodb/db.ts';
import { sessionKey } from '../../lib/adapters/dynamodb/keys.ts';
import { listMessages } from '../../lib/adapters/dynamodb/sessions.ts';
import { sweepTimers } from '../../lib/app/timers/sweep.ts';
import type { Line } from '../../lib/contract/schemas.ts';
import { failDynamo, transactItems } from '../support/dynamo-faults.ts';
import { type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';
import { soak } from '../support/soak.ts';
import { seedTimedSessions } from '../support/timers.ts';

let host: TestHost;
before(async () => {
  host = await startTestHost({ events: true });
});
after(async () => {
  await host.close();
});

/** A sweep as if it ran `seconds` from now. */
const sweepIn = (seconds: number) => sweepTimers({ now: Date.now() + seconds * 1000 });

async function history(w: World, id: string) {
  const r = await host.call('GET', `/v1/sessions/${id}/messages?size=1000`, { token: w.admin });
  assert.equal(r.status, 200);
  return (r.body as { type: string; payload: { command: string; policy?: string; by: string } | null }[])
    .filter((m) => m.type === 'payload')
    .map((m) => m.payload!);
}
const breaches = async (w: World, id: string) => (await history(w, id)).filter((p) => p.command === 'slaBreached').map((p) => p.policy);
async function eventsOf(id: string) {
  await host.events!.poller.drain();
  return inProcessBus.recent.filter((e) => e.session === id);
}
const get = async (w: World, id: string) => (await host.call('GET', `/v1/sessions/${id}`, { token: w.admin })).body;
const take = async (token: string, id: string, op: string) =>
  assert.equal((await host.call('POST', `/v1/sessions/${id}/assign`, { token, body: { operator: op } })).status, 200);
const reply = async (token: string, id: string, body = 'on it') =>
  assert.equal((await host.call('POST', `/v1/sessions/${id}/messages`, { token, body: { type: 'text', body } })).status, 201);

describe('line policies', () => {
  test('set in POST /v1/lines and PATCH /v1/lines/{id}, validated, removed with null', async () => {
    const w = await world(host, { lineBody: { _sla: { firstResponse: 60 } } });
    assert.deepEqual(w.line, { ...w.line, _sla: { firstResponse: 60 }, _autoClose: null, _returnToQueue: null });
    const patched = await host.call('PATCH', `/v1/lines/${w.line.__id}`, { token: w.admin, body: { _autoClose: { afterInactive: 300 }, _sla: null } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body._sla, null);
    assert.deepEqual(patched.body._autoClose, { afterInactive: 300 });
    assert.deepEqual((await host.call('GET', `/v1/lines/${w.line.__id}`, { token: w.admin })).body._autoClose, { afterInactive: 300 });
    const bad = await host.call('PATCH', `/v1/lines/${w.line.__id}`, { token: w.admin, body: { _sla: { firstResponse: 0, typo: 1 } } });
    assert.equal(bad.status, 400);
    const paths = (bad.body.errors as { path: string }[]).map((e) => e.path).sort();
    assert.deepEqual(paths, ['_sla.firstResponse', '_sla.typo']);
    const op = await w.operator('policy-op');
    assert.equal((await host.call('PATCH', `/v1/lines/${w.line.__id}`, { token: op, body: { _sla: null } })).status, 403);
  });
});

describe('SLA', () => {
  test('a late first response breaches exactly once: history entry and session.sla_breached', async () => {
    const w = await world(host, { lineBody: { _sla: { firstResponse: 60 } } });
    const { session } = await w.openSession('late-first');
    assert.equal((await sweepIn(30)).fired, 0, 'not due yet');
    assert.deepEqual(await breaches(w, session.__id), []);
    const report = await sweepIn(61);
    assert.ok(report.fired >= 1);
    assert.deepEqual(await breaches(w, session.__id), ['firstResponse']);
    await sweepIn(120);
    await sweepIn(3600);
    assert.deepEqual(await breaches(w, session.__id), ['firstResponse'], 'once');
    const events = (await eventsOf(session.__id)).filter((e) => e.type === 'session.sla_breached');
    assert.equal(events.length, 1);
    assert.equal(events[0]!.data.policy, 'firstResponse');
    assert.equal(events[0]!.data.by, 'system');
    // A reply after the breach does not breach again, and the session is unchanged by the breach.
    const op = await w.operator('late-op');
    await take(op, session.__id, 'late-op');
    await reply(op, session.__id);
    await sweepIn(7200);
    assert.deepEqual(await breaches(w, session.__id), ['firstResponse']);
  });

  test('a reply in time does not breach; resolution breaches only while open', async () => {
    const w = await world(host, { lineBody: { _sla: { firstResponse: 60, resolution: 300 } } });
    const op = await w.operator('quick-op');
    const { session } = await w.openSession('in-time');
    await take(op, session.__id, 'quick-op');
    await reply(op, session.__id);
    const closedOne = await w.openSession('closed-in-time');
    await take(op, closedOne.session.__id, 'quick-op');
    await reply(op, closedOne.session.__id);
    assert.equal((await host.call('POST', `/v1/sessions/${closedOne.session.__id}/close`, { token: op })).status, 200);
    await sweepIn(61);
    assert.deepEqual(await breaches(w, session.__id), []);
    await sweepIn(301);
    assert.deepEqual(await breaches(w, session.__id), ['resolution']);
    assert.deepEqual(await breaches(w, closedOne.session.__id), [], 'closed in time: no resolution breach');
  });

  test('next response restarts on every unanswered client message: one breach per cycle', async () => {
    const w = await world(host, { lineBody: { _sla: { nextResponse: 30 } } });
    const op = await w.operator('next-op');
    const { session } = await w.openSession('next-client', 'hi');
    await take(op, session.__id, 'next-op');
    await reply(op, session.__id);
    await sweepIn(60);
    assert.deepEqual(await breaches(w, session.__id), [], 'before the first reply next response does not run; nothing unanswered after it');
    await w.openSession('next-client', 'are you there?');
    await w.openSession('next-client', 'hello??');
    await sweepIn(31);
    assert.deepEqual(await breaches(w, session.__id), ['nextResponse']);
    await sweepIn(62);
    assert.deepEqual(await breaches(w, session.__id), ['nextResponse'], 'once per cycle, however many messages');
    await reply(op, session.__id);
    await w.openSession('next-client', 'one more thing');
    await sweepIn(20);
    assert.deepEqual(await breaches(w, session.__id), ['nextResponse']);
    await sweepIn(95);
    assert.deepEqual(await breaches(w, session.__id), ['nextResponse', 'nextResponse'], 'a new cycle breaches again');
    await reply(op, session.__id);
    await w.openSession('next-client', 'answered in time');
    await reply(op, session.__id);
    await sweepIn(200);
    assert.deepEqual(await breaches(w, session.__id), ['nextResponse', 'nextResponse']);
  });
});

describe('auto-close', () => {
  test('closes after inactivity as the system, with the ordinary close events; not after activity', async () => {
    const w = await world(host, { lineBody: { _autoClose: { afterInactive: 120 } } });
    const op = await w.operator('idle-op');
    const { session } = await w.openSession('idle-client');
    await take(op, session.__id, 'idle-op');
    const takenAt = Date.now();
    await sleep(1_500);
    await w.openSession('idle-client', 'still here');
    // Due 120 s after taking, had the client not written: the clock was restarted.
    await sweepTimers({ now: takenAt + 120_500 });
    assert.equal((await get(w, session.__id))._state, 'AssignedToOperator', 'activity restarts the clock');
    await sweepIn(121);
    const closed = await get(w, session.__id);
    assert.equal(closed._state, 'Closed');
    assert.equal(closed.__updatedBy, 'system');
    assert.ok(closed._closedAt);
    const entry = (await history(w, session.__id)).at(-1)!;
    assert.equal(entry.command, 'autoClose');
    assert.equal(entry.by, 'system');
    const closedEvents = (await eventsOf(session.__id)).filter((e) => e.type === 'session.closed');
    assert.equal(closedEvents.length, 1);
    assert.equal(closedEvents[0]!.data.by, 'system');
    // The client's next message opens a new session (the open-session guard was released).
    const next = await w.openSession('idle-client', 'new question');
    assert.equal(next.status, 201);
    assert.notEqual(next.session.__id, session.__id);
  });

  test('the bot has its own inactivity; sessions in the queue are not auto-closed', async () => {
    const w = await world(host, { lineBody: { _autoClose: { afterInactive: 600, botAfterInactive: 60 } } });
    const { session } = await w.openSession('bot-client');
    const queued = await w.openSession('queued-client');
    const admin = w.admin;
    assert.equal((await host.call('POST', `/v1/sessions/${session.__id}/assign`, { token: admin, body: { bot: true } })).status, 200);
    await sweepIn(61);
    assert.equal((await get(w, session.__id))._state, 'Closed');
    assert.equal((await get(w, queued.session.__id))._state, 'Waiting');
  });
});

describe('return to queue', () => {
  test('an operator who does not reply loses the session to the queue; another takes it', async () => {
    const w = await world(host, { lineBody: { _returnToQueue: { afterNoReply: 60 } } });
    const alice = await w.operator('rq-alice');
    const bob = await w.operator('rq-bob');
    const { session } = await w.openSession('rq-client');
    await take(alice, session.__id, 'rq-alice');
    const kept = await w.openSession('rq-kept');
    await take(alice, kept.session.__id, 'rq-alice');
    await reply(alice, kept.session.__id);
    await sweepIn(61);
    const back = await get(w, session.__id);
    assert.equal(back._state, 'Waiting');
    assert.equal(back._userId, null);
    assert.equal((await get(w, kept.session.__id))._state, 'AssignedToOperator', 'replied in time: kept');
    const entry = (await history(w, session.__id)).at(-1)!;
    assert.equal(entry.command, 'returnToQueue');
    assert.equal(entry.by, 'system');
    const returned = (await eventsOf(session.__id)).filter((e) => e.type === 'session.returned_to_queue');
    assert.equal(returned.length, 1);
    const changes = returned[0]!.data.changes as { field: string; old: unknown; new: unknown }[];
    assert.deepEqual(
      changes.find((c) => c.field === '_userId'),
      { field: '_userId', old: 'rq-alice', new: null },
    );
    assert.deepEqual(
      changes.find((c) => c.field === '_state'),
      { field: '_state', old: 'AssignedToOperator', new: 'Waiting' },
    );
    await take(bob, session.__id, 'rq-bob');
    assert.equal((await get(w, session.__id))._userId, 'rq-bob');
    await sweepIn(30);
    assert.equal((await get(w, session.__id))._userId, 'rq-bob', 'the new holder has its own afterNoReply');
    await sweepIn(61);
    assert.equal((await get(w, session.__id))._state, 'Waiting');
  });
});

describe('the sweeper', () => {
  const seed = seedTimedSessions;
  const breachCount = async (id: string) => (await listMessages(id, 0, 100)).filter((m) => m.payload?.command === 'slaBreached').length;
  const breachCounts = async (ids: string[]) => {
    const out: number[] = [];
    await mapPool(ids, 8, async (id) => void out.push(await breachCount(id)));
    return out;
  };

  /** Timers due in one sweep: 1,000 under CHATLINES_SOAK=1. */
  const DUE = soak(100, 1000);
  test(`${DUE.toLocaleString('en')} timers due in one sweep all fire, once`, async () => {
    const w = await world(host, { lineBody: { _sla: { firstResponse: 5000 } } });
    const ids = await seed(w.line as Line, w.channel.__id, DUE);
    const report = await sweepIn(5001);
    assert.equal(report.fired, DUE, JSON.stringify({ ...report, lateness: undefined }));
    assert.equal(report.retried, 0);
    assert.equal((await sweepIn(5002)).fired, 0, 'a rerun finds nothing');
    const counts = await breachCounts(ids.slice(0, 100));
    assert.ok(
      counts.every((c) => c === 1),
      'one breach each (sampled 100)',
    );
    const raw = await getItem(sessionKey(ids[0]!));
    assert.equal(raw?.tmClock_firstResponse, undefined, 'the clock is spent');
  });

  /** Timers of the crash test, and how many the sweep takes before it crashes (200 and 80 under CHATLINES_SOAK=1). */
  const [CRASH_DUE, CRASH_AFTER] = soak([100, 40], [200, 80]);
  test('a crash half-way through a sweep, then a rerun, fires the rest once', async () => {
    const w = await world(host, { lineBody: { _sla: { firstResponse: 6000 } } });
    const ids = await seed(w.line as Line, w.channel.__id, CRASH_DUE);
    // The sweep stops after CRASH_AFTER firings, as a crash half-way would: no later firing is written.
    const crash = new AbortController();
    let firings = 0;
    const recover = failDynamo((call) => {
      if (!transactItems(call).some((i) => String(i.Delete?.Key?.pk ?? '').startsWith('DUE#'))) return undefined;
      firings += 1;
      if (firings === CRASH_AFTER) crash.abort(new Error(`sweep stopped after ${CRASH_AFTER} timers (test crash)`));
      return firings > CRASH_AFTER ? crash.signal.reason : undefined;
    });
    try {
      await assert.rejects(sweepTimers({ now: Date.now() + 6_001_000, signal: crash.signal }), /test crash/);
    } finally {
      recover();
    }
    const firedBefore = (await breachCounts(ids)).reduce((a, b) => a + b, 0);
    // CRASH_AFTER were taken; each either fired or lost a race (then it is simply still due).
    assert.ok(firedBefore > 0 && firedBefore <= CRASH_AFTER, `fired before the crash: ${firedBefore}`);
    const rerun = await sweepIn(6002);
    assert.equal(rerun.fired, CRASH_DUE - firedBefore);
    const counts = await breachCounts(ids);
    assert.ok(
      counts.every((c) => c === 1),
      'every timer fired exactly once',
    );
  });

  test('the real timer, end to end, with policies of seconds', async () => {
    const w = await world(host, { lineBody: { _sla: { firstResponse: 1 }, _autoClose: { afterInactive: 2 } } });
    const op = await w.operator('real-op');
    const { session } = await w.openSession('real-client');
    await take(op, session.__id, 'real-op');
    const stop = startTimerSweeper(0.5, () => undefined);
    try {
      const deadline = Date.now() + 15_000;
      while ((await get(w, session.__id))._state !== 'Closed' && Date.now() < deadline) await sleep(250);
    } finally {
      await stop();
    }
    assert.equal((await get(w, session.__id))._state, 'Closed');
    assert.deepEqual(await breaches(w, session.__id), ['firstResponse']);
    assert.equal((await history(w, session.__id)).at(-1)!.command, 'autoClose');
  });
});
