/**
 * Events out through webhooks, end to end: real HTTP to the local host, DynamoDB Local's real
 * stream tailed by the same consumer that runs in AWS, and a real receiver on loopback.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';

process.env.WEBHOOK_RETRY_SECONDS = '0.2,0.2,0.2,0.3,0.3';

let host: TestHost;
let w: World;
let receiver: Receiver;

before(async () => {
  host = await startTestHost({ events: true, sweepEveryMs: 100 });
  w = await world(host);
  receiver = await startReceiver();
});
after(async () => {
  await receiver.close();
  await host.close();
});

async function subscribe(events: string[], extra: Record<string, unknown> = {}, url = receiver.url) {
  const r = await host.call('POST', '/v1/webhooks', { token: w.admin, body: { url, events, line: w.line.__id, ...extra } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body as { __id: string; secret: string };
}

describe('webhooks', () => {
  test('a session walked through its life: every event, signed, in sequence order, once', async () => {
    const hook = await subscribe(['session.*', 'message.created']);
    assert.match(hook.secret, /^whsec_/);
    receiver.secret = hook.secret;
    const op = await w.operator('op-life');
    const { session } = await w.openSession('life-client', 'hello');
    const id = session.__id;
    assert.equal((await host.call('POST', `/v1/sessions/${id}/assign`, { token: op, body: { operator: 'op-life' } })).status, 200);
    assert.equal((await host.call('POST', `/v1/sessions/${id}/messages`, { token: op, body: { type: 'text', body: 'hi, how can I help?' } })).status, 201);
    assert.equal((await host.call('POST', `/v1/sessions/${id}/messages`, { token: op, body: { type: 'system', body: 'VIP' } })).status, 201);
    assert.equal((await host.call('PUT', `/v1/sessions/${id}/priority`, { token: op, body: { priority: 'High' } })).status, 200);
    assert.equal((await host.call('POST', `/v1/sessions/${id}/close`, { token: op })).status, 200);

    const expected = [
      'session.created',
      'message.created',
      'session.assigned',
      'message.created',
      'message.created',
      'session.priority_changed',
      'session.closed',
    ];
    await receiver.waitFor((r) => r.filter((x) => x.event?.session === id).length >= expected.length);
    const mine = receiver.delivered().filter((x) => x.event.session === id);
    assert.ok(
      mine.every((x) => x.verified),
      'every signature verifies with the standardwebhooks library',
    );
    const ordered = [...mine].sort((a, b) => a.event.sequence - b.event.sequence);
    assert.deepEqual(
      ordered.map((x) => x.event.type),
      expected,
    );
    assert.deepEqual(
      ordered.map((x) => x.event.sequence),
      [1, 2, 3, 4, 5, 6, 7],
    );
    assert.deepEqual(
      ordered.map((x) => x.id),
      ordered.map((x) => `${id}.${x.event.sequence}`),
    );
    const assigned = ordered[2]!.event;
    assert.equal(assigned.data.to.operator, 'op-life');
    assert.equal(assigned.data.session._state, 'AssignedToOperator');
    assert.deepEqual(
      assigned.data.changes.find((c: { field: string }) => c.field === '_state'),
      { field: '_state', old: 'Waiting', new: 'AssignedToOperator' },
    );
    assert.equal(ordered[1]!.event.data.visibility, 'client');
    assert.equal(ordered[1]!.event.data.message.body, 'hello');
    assert.equal(ordered[3]!.event.data.visibility, 'client');
    assert.equal(ordered[4]!.event.data.visibility, 'staff');
    assert.equal(ordered[6]!.event.data.by, 'op-life');
    // Every event of the contract's shape.
    for (const x of ordered) {
      assert.deepEqual(Object.keys(x.event).sort(), ['channel', 'data', 'id', 'line', 'sequence', 'session', 'time', 'type']);
      assert.equal(x.event.line, w.line.__id);
      assert.equal(x.event.channel, w.channel.__id);
    }
    // The deliveries route shows them delivered, newest first.
    const deliveries = await host.call('GET', `/v1/webhooks/${hook.__id}/deliveries?size=100`, { token: w.admin });
    assert.equal(deliveries.status, 200);
    const forSession = deliveries.body.items.filter((d: { eventId: string }) => d.eventId.startsWith(id));
    assert.equal(forSession.length, expected.length);
    assert.ok(forSession.every((d: { status: string }) => d.status === 'delivered'));
    assert.equal(forSession[0].eventId, `${id}.7`);
    await host.call('DELETE', `/v1/webhooks/${hook.__id}`, { token: w.admin });
  });
});
