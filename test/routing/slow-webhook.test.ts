/**
 * Webhook delivery is off the consumer's path: with a receiver that takes 9 s to answer (just
 * under the 10 s an attempt may take), new sessions are routed as soon as with a fast one —
 * the consumer records the deliveries and the delivery worker attempts them — and every delivery
 * still arrives exactly once.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestHost, type TestHost } from '../support/host.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';
import { arrive, operatorToken, routingLine, setStatus, settle } from './support.ts';

const SLOW_MS = 9_000;

let host: TestHost;
let admin: string;
let receiver: Receiver;

before(async () => {
  host = await startTestHost({ events: true });
  admin = await host.token({ sub: 'admin-slow', roles: ['admin'] });
  receiver = await startReceiver();
});
after(async () => {
  await receiver.close();
  await host.close();
});

test('a receiver that takes 9 s delays no routing, and gets every event once', async () => {
  const line = await routingLine(host, admin, { mode: 'auto', capacity: 5 }, { groups: ['slow'], name: 'Slow' });
  const op = await operatorToken(host, 'slow-op', ['slow']);
  await setStatus(host, op, 'online');
  await settle(host);
  const hook = await host.call('POST', '/v1/webhooks', { token: admin, body: { url: receiver.url, events: ['session.created'], line: line.id } });
  assert.equal(hook.status, 201, JSON.stringify(hook.body));
  receiver.secret = hook.body.secret;
  receiver.delayMs = SLOW_MS;

  const started = Date.now();
  const ids = (await Promise.all([0, 1, 2].map((i) => arrive(host, line, `slow-client-${i}`)))).map((s) => s.__id);
  const mine = (x: { event?: { session?: string } }) => ids.includes(x.event?.session ?? '');
  // Routed: every new session assigned to the online operator.
  let routedAfter: number | undefined;
  let answeredWhenRouted = -1;
  while (routedAfter === undefined) {
    const states = await Promise.all(ids.map(async (id) => (await host.call('GET', `/v1/sessions/${id}`, { token: admin })).body._state));
    if (states.every((s) => s === 'AssignedToOperator')) {
      routedAfter = Date.now() - started;
      answeredWhenRouted = receiver.answered;
    } else if (Date.now() - started > SLOW_MS * 3) assert.fail('the sessions were not routed');
    else await new Promise((r) => setTimeout(r, 50));
  }
  // No delivery had been answered when the sessions were routed, and routing took less than one
  // answer: routing did not wait for the receiver (before, the consumer attempted deliveries
  // first, so routing came after the answers). The deliveries do start meanwhile.
  assert.equal(answeredWhenRouted, 0, 'no delivery had been answered when the sessions were routed');
  assert.ok(routedAfter < SLOW_MS, `routed in ${routedAfter} ms, before the receiver answers (${SLOW_MS} ms)`);
  await receiver.waitFor(() => receiver.received.some(mine), SLOW_MS, 'deliveries under way');
  assert.equal(receiver.answered, 0, 'the slow receiver has not answered yet: the deliveries started while it was still busy');

  // Every event arrives exactly once: one at a time, in order (one target: one FIFO message group).
  const expected = ids.length;
  await receiver.waitFor(() => receiver.delivered().filter(mine).length === expected, SLOW_MS * (expected + 2), 'every event delivered');
  await host.events!.deliveries.idle();
  const got = receiver.received.filter(mine);
  assert.equal(got.length, expected, 'each event was sent once');
  assert.equal(new Set(got.map((x) => x.id)).size, expected);
  assert.ok(got.every((x) => x.verified));
  const list = await host.call('GET', `/v1/webhooks/${hook.body.__id}/deliveries?size=100`, { token: admin });
  const deliveries = list.body.items.filter((d: { eventId: string }) => ids.some((id) => d.eventId.startsWith(id)));
  assert.equal(deliveries.length, expected);
  assert.ok(
    deliveries.every((d: { status: string; attempts: number }) => d.status === 'delivered' && d.attempts === 1),
    JSON.stringify(deliveries),
  );
});
