/**
 * Events at least once, effects exactly once: a failing receiver, a consumer killed and
 * restarted half-way, a host restarted between a commit and its delivery, a race's loser
 * making no event, staff-only messages never reaching the messenger endpoint, and the retry
 * of a failed delivery. Real HTTP, DynamoDB Local's real stream, real receivers on loopback.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { handler as streamHandler } from '../../functions/stream/stream-consumer.ts';
import { startDeliveryWorker, startEventWorkers } from '../../infra/local/events.ts';
import { inProcessBus } from '../../lib/adapters/bus.ts';
import { useLocalDeliveryQueue } from '../../lib/app/webhooks/deliveries.ts';
import { sameTable, snapshot, type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';

// Short retry delays so that a failing receiver's retries happen within the test.
process.env.WEBHOOK_RETRY_SECONDS = '0.2,0.3,0.3,0.5,0.5';

let host: TestHost;
let w: World;
const receivers: Receiver[] = [];

before(async () => {
  host = await startTestHost({ events: true, sweepEveryMs: 100 });
  w = await world(host);
});
after(async () => {
  for (const r of receivers) await r.close();
  await host.close();
});

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

async function subscribe(r: Receiver, events: string[] = ['session.*', 'message.created']) {
  const res = await host.call('POST', '/v1/webhooks', { token: w.admin, body: { url: r.url, events, line: w.line.__id } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  r.secret = res.body.secret;
  return res.body as { __id: string };
}
const unsubscribe = (id: string) => host.call('DELETE', `/v1/webhooks/${id}`, { token: w.admin });

/** Opens a session and walks it: 3 events per session (created, the client's message, assigned), plus a reply and a close. */
async function walk(account: string, operator: string, token: string): Promise<string> {
  const { session } = await w.openSession(account, 'hello');
  assert.equal((await host.call('POST', `/v1/sessions/${session.__id}/assign`, { token, body: { operator } })).status, 200);
  assert.equal((await host.call('POST', `/v1/sessions/${session.__id}/messages`, { token, body: { type: 'text', body: 'hi' } })).status, 201);
  assert.equal((await host.call('POST', `/v1/sessions/${session.__id}/close`, { token })).status, 200);
  return session.__id;
}
const EVENTS_PER_WALK = 5;

describe('at least once, exactly once in effect', () => {
  test('a receiver that answers 500 for a while, then 200, gets every event exactly once after de-duplication', async () => {
    const r = await receiver();
    r.answer = (n) => (n < 12 ? 500 : 200);
    const hook = await subscribe(r);
    const op = await w.operator('op-flaky');
    const ids = [await walk('flaky-1', 'op-flaky', op), await walk('flaky-2', 'op-flaky', op)];
    const mine = (x: { event?: { session?: string } }) => ids.includes(x.event?.session ?? '');
    await r.waitFor(() => r.delivered().filter(mine).length === ids.length * EVENTS_PER_WALK, 20_000, 'every event delivered');
    const delivered = r.delivered().filter(mine);
    assert.equal(new Set(delivered.map((x) => x.id)).size, ids.length * EVENTS_PER_WALK);
    assert.ok(
      r.received.filter(mine).some((x) => x.status === 500),
      'some attempts failed first',
    );
    assert.ok(delivered.every((x) => x.verified));
    // Per session, the sequences are 1..5 with no gap.
    for (const id of ids) {
      assert.deepEqual(
        delivered
          .filter((x) => x.event.session === id)
          .map((x) => x.event.sequence)
          .sort((a, b) => a - b),
        [1, 2, 3, 4, 5],
      );
    }
    const list = await host.call('GET', `/v1/webhooks/${hook.__id}/deliveries?size=100`, { token: w.admin });
    const retried = list.body.items.filter((d: { attempts: number }) => d.attempts > 1);
    assert.ok(retried.length > 0, 'the deliveries route shows the retried deliveries');
    assert.ok(list.body.items.every((d: { status: string }) => d.status === 'delivered'));
    await unsubscribe(hook.__id);
  });

  test('a delivery that keeps failing ends failed after its schedule; a retry by hand delivers it', async () => {
    const r = await receiver();
    r.answer = 503;
    const hook = await subscribe(r, ['session.created']);
    const { session } = await w.openSession('always-down');
    const eventId = `${session.__id}.1`;
    let delivery: { status: string; attempts: number; lastResponseCode: number } | undefined;
    for (let i = 0; i < 100 && delivery?.status !== 'failed'; i++) {
      await new Promise((res) => setTimeout(res, 100));
      const list = await host.call('GET', `/v1/webhooks/${hook.__id}/deliveries`, { token: w.admin });
      delivery = list.body.items.find((d: { eventId: string }) => d.eventId === eventId);
    }
    assert.equal(delivery?.status, 'failed');
    assert.equal(delivery?.attempts, 6, 'the first attempt and the five of the schedule');
    assert.equal(delivery?.lastResponseCode, 503);
    const notFailed = await host.call('POST', `/v1/webhooks/${hook.__id}/deliveries/${encodeURIComponent('nope.1')}/retry`, { token: w.admin });
    assert.equal(notFailed.status, 404);
    r.answer = 200;
    const retry = await host.call('POST', `/v1/webhooks/${hook.__id}/deliveries/${eventId}/retry`, { token: w.admin });
    assert.equal(retry.status, 202);
    assert.equal(retry.body.status, 'pending');
    await r.waitFor(() => r.delivered().some((x) => x.id === eventId), 5_000, 'the retried delivery');
    const again = await host.call('POST', `/v1/webhooks/${hook.__id}/deliveries/${eventId}/retry`, { token: w.admin });
    assert.equal(again.status, 409, 'a delivered delivery is not retried');
    await unsubscribe(hook.__id);
  });

  test('a retry repeated with its Idempotency-Key gets the first answer and retries nothing', async () => {
    const r = await receiver();
    r.answer = 503;
    const hook = await subscribe(r, ['session.created']);
    const { session } = await w.openSession('retry-twice');
    const eventId = `${session.__id}.1`;
    const deliveryOf = async () => {
      const list = await host.call('GET', `/v1/webhooks/${hook.__id}/deliveries`, { token: w.admin });
      return list.body.items.find((d: { eventId: string }) => d.eventId === eventId) as { status: string; attempts: number } | undefined;
    };
    const settled = async (attempts: number) => {
      let d = await deliveryOf();
      for (let i = 0; i < 100 && !(d?.status === 'failed' && d.attempts === attempts); i++) {
        await new Promise((res) => setTimeout(res, 100));
        d = await deliveryOf();
      }
      assert.equal(d?.status, 'failed');
      assert.equal(d?.attempts, attempts);
    };
    await settled(6);
    const path = `/v1/webhooks/${hook.__id}/deliveries/${eventId}/retry`;
    const headers = { 'idempotency-key': `retry-${session.__id}` };
    const first = await host.call('POST', path, { token: w.admin, headers });
    assert.equal(first.status, 202);
    assert.equal(first.body.status, 'pending');
    // The manual attempt fails too: the delivery is failed again, with one attempt more.
    await settled(7);
    const repeat = await host.call('POST', path, { token: w.admin, headers });
    assert.equal(repeat.status, 202);
    assert.equal(repeat.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(repeat.body, first.body);
    // A sweep now would attempt the delivery had the repeat put it back to pending.
    await host.events!.sweep();
    const d = await deliveryOf();
    assert.equal(d?.status, 'failed', 'the repeat did not put the delivery back to pending');
    assert.equal(d?.attempts, 7, 'no attempt was made for the repeat');
    assert.equal(r.received.filter((x) => x.id === eventId).length, 7);
    // A new key is a new retry.
    r.answer = 200;
    const fresh = await host.call('POST', path, { token: w.admin, headers: { 'idempotency-key': `retry-2-${session.__id}` } });
    assert.equal(fresh.status, 202);
    await r.waitFor(() => r.delivered().some((x) => x.id === eventId), 5_000, 'the second retry');
    await unsubscribe(hook.__id);
  });

  test('a consumer that fails half-way through a batch (after its effects) and runs again doubles nothing', async () => {
    const r = await receiver();
    const hook = await subscribe(r);
    await host.events!.stop();
    // A consumer that does the work, then "dies" before its checkpoint, twice.
    let failures = 0;
    const op = await w.operator('op-crash');
    const ids = [await walk('crash-1', 'op-crash', op), await walk('crash-2', 'op-crash', op)];
    const { startStreamPoller } = await import('../../infra/local/stream.ts');
    // The delivery worker the consumer hands new deliveries to (the host's stopped with its poller).
    const worker = startDeliveryWorker();
    useLocalDeliveryQueue(worker);
    const poller = await startStreamPoller({
      endpoint: host.endpoint,
      tableName: host.tableName,
      onError: () => undefined,
      handler: async (event) => {
        const result = await streamHandler(event);
        if (failures < 2 && event.Records.length > 1) {
          failures++;
          throw new Error('killed after its effects, before the checkpoint');
        }
        return result;
      },
    });
    const mine = (x: { event?: { session?: string } }) => ids.includes(x.event?.session ?? '');
    await r.waitFor(() => r.delivered().filter(mine).length === ids.length * EVENTS_PER_WALK, 15_000, 'every event');
    // Drained: every record handed over, every first attempt (awaited by the consumer) made; no sweeper runs.
    await poller.drain();
    assert.equal(failures, 2, 'the batch failed twice after its effects');
    assert.equal(r.received.filter(mine).length, ids.length * EVENTS_PER_WALK, 'each event was sent once, not once per run');
    await poller.stop();
    await worker.stop();
    host.events = await startEventWorkers({ endpoint: host.endpoint, tableName: host.tableName, sweepEveryMs: 100, onError: () => undefined });
    await unsubscribe(hook.__id);
  });

  test('the host restarted between a commit and its delivery still delivers it, and repeats nothing it had delivered', async () => {
    const r = await receiver();
    const hook = await subscribe(r);
    const op = await w.operator('op-restart');
    const first = await walk('restart-1', 'op-restart', op);
    await r.waitFor(() => r.delivered().filter((x) => x.event.session === first).length === EVENTS_PER_WALK);
    await host.events!.stop(); // the consumer is down: commits go on
    const second = await walk('restart-2', 'op-restart', op);
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(r.received.filter((x) => x.event.session === second).length, 0, 'nothing delivered while the consumer is down');
    host.events = await startEventWorkers({ endpoint: host.endpoint, tableName: host.tableName, sweepEveryMs: 100, onError: () => undefined });
    await r.waitFor(() => r.delivered().filter((x) => x.event.session === second).length === EVENTS_PER_WALK, 15_000, 'the events made while down');
    await host.events.poller.drain();
    assert.equal(r.received.filter((x) => x.event.session === first).length, EVENTS_PER_WALK, 'the first session is not delivered again after the restart');
    await unsubscribe(hook.__id);
  });
});

describe('events follow commits', () => {
  test('a 20-way assign race yields the events of the one winner only', async () => {
    const operators = await Promise.all(Array.from({ length: 20 }, async (_, i) => ({ sub: `racer-${i}`, token: await w.operator(`racer-${i}`) })));
    const { session } = await w.openSession('race-events');
    const replies = await Promise.all(
      operators.map((o) => host.call('POST', `/v1/sessions/${session.__id}/assign`, { token: o.token, body: { operator: o.sub } })),
    );
    const winners = replies.filter((x) => x.status === 200);
    assert.equal(winners.length, 1);
    await host.events!.poller.drain();
    const events = inProcessBus.recent.filter((e) => e.session === session.__id);
    assert.deepEqual(
      events.map((e) => e.type),
      ['session.created', 'message.created', 'session.assigned'],
    );
    assert.equal((events[2]!.data.to as { operator: string }).operator, winners[0]!.body._userId);
    assert.deepEqual(
      events.map((e) => e.sequence),
      [1, 2, 3],
    );
  });

  test('parallel first messages from a BLOCKED client open one spam session', async () => {
    const supervisor = await host.token({ sub: 'sup-blocked', roles: ['supervisor'], groups: ['leads'] });
    const op = await w.operator('op-blocked');
    const { session, client } = await w.openSession('blocked-client', 'first');
    await host.call('POST', `/v1/sessions/${session.__id}/assign`, { token: op, body: { operator: 'op-blocked' } });
    assert.equal((await host.call('POST', `/v1/sessions/${session.__id}/close`, { token: op })).status, 200);
    assert.equal((await host.call('PATCH', `/v1/clients/${client.__id}`, { token: supervisor, body: { _blockedStatus: 'blocked' } })).status, 200);
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        host.call('POST', `/v1/channels/${w.channel.__id}/inbound`, { token: w.integration, body: { account: 'blocked-client', body: `spam ${i}` } }),
      ),
    );
    assert.deepEqual(
      replies.map((x) => x.status).filter((s) => s >= 300),
      [],
    );
    const sessions = new Set(replies.map((x) => x.body.session.__id));
    assert.equal(sessions.size, 1, `one spam session, not ${sessions.size}`);
    assert.equal(replies.filter((x) => x.status === 201).length, 1);
    const [spam] = [...sessions];
    const s = await host.call('GET', `/v1/sessions/${spam}`, { token: w.admin });
    assert.equal(s.body._state, 'MarkedAsSpam');
    const messages = await host.call('GET', `/v1/sessions/${spam}/messages?size=100`, { token: w.admin });
    assert.equal(messages.body.filter((m: { author: string }) => m.author === 'client').length, 10);
  });
});

describe('delivery to the messenger', () => {
  test("only client-visible replies reach the channel's endpoint, signed, naming the client; status reports come back as events", async () => {
    const r = await receiver();
    const channel = await host.call('POST', '/v1/channels', {
      token: w.admin,
      body: { _line: w.line.__id, _type: 'whatsapp', __name: 'WhatsApp', _deliveryUrl: r.url },
    });
    assert.equal(channel.status, 201, JSON.stringify(channel.body));
    assert.match(channel.body._deliverySecret, /^whsec_/);
    assert.equal(channel.body._deliveryUrl, r.url);
    r.secret = channel.body._deliverySecret;
    const integration = await host.token({ sub: 'wa-integration', roles: ['integration'], channels: [channel.body.__id] });
    const inbound = await host.call('POST', `/v1/channels/${channel.body.__id}/inbound`, { token: integration, body: { account: '+15550001', body: 'hi' } });
    const id = inbound.body.session.__id;
    const op = await w.operator('op-wa');
    // A silent hand-over to the bot and back, a staff note, then a reply.
    assert.equal((await host.call('POST', `/v1/sessions/${id}/assign`, { token: w.admin, body: { bot: true, silent: true } })).status, 200);
    assert.equal((await host.call('POST', `/v1/sessions/${id}/assign`, { token: w.admin, body: { operator: 'op-wa' } })).status, 200);
    assert.equal((await host.call('POST', `/v1/sessions/${id}/messages`, { token: op, body: { type: 'system', body: 'internal: VIP' } })).status, 201);
    const reply = await host.call('POST', `/v1/sessions/${id}/messages`, { token: op, body: { type: 'text', body: 'Hello from support' } });
    assert.equal(reply.status, 201);
    await r.waitFor((x) => x.length >= 1);
    await host.events!.poller.drain();
    // Every first attempt made (the consumer awaits it); a sweep now sends anything due again.
    await host.events!.sweep();
    assert.equal(r.received.length, 1, `only the reply: ${r.received.map((x) => x.event?.data?.message?.body).join(', ')}`);
    const got = r.received[0]!;
    assert.ok(got.verified, 'signed with the channel secret');
    assert.equal(got.event.type, 'message.created');
    assert.equal(got.event.data.message.body, 'Hello from support');
    assert.equal(got.event.data.visibility, 'client');
    assert.equal(got.event.data.to, '+15550001');

    // The integration reports delivered, then read; a late "sent" changes nothing.
    const path = `/v1/channels/${channel.body.__id}/messages/${reply.body.__id}/status`;
    assert.equal((await host.call('POST', path, { token: integration, body: { status: 'delivered' } })).status, 200);
    const read = await host.call('POST', path, { token: integration, body: { status: 'read' } });
    assert.equal(read.status, 200);
    assert.equal(read.body._deliveryStatus, 'read');
    assert.equal(read.body.isRead, true);
    const late = await host.call('POST', path, { token: integration, body: { status: 'sent' } });
    assert.equal(late.body._deliveryStatus, 'read');
    const other = await host.call('POST', `/v1/channels/${w.channel.__id}/messages/${reply.body.__id}/status`, { token: w.admin, body: { status: 'read' } });
    assert.equal(other.status, 404, 'a message of another channel is not found');
    await host.events!.poller.drain();
    const statusEvents = inProcessBus.recent.filter((e) => e.session === id && e.type === 'message.status_changed');
    assert.deepEqual(
      statusEvents.map((e) => e.data.status),
      ['delivered', 'read'],
    );
    const last = await host.call('GET', `/v1/sessions/${id}/messages/last`, { token: w.admin });
    assert.equal(last.body._deliveryStatus, 'read');
    // The answer to a report is built from the reply's copy in its ref, not read: it must be the message as stored.
    assert.deepEqual(read.body, last.body);
    assert.deepEqual(late.body, last.body);

    // Clearing the endpoint stops deliveries.
    const cleared = await host.call('PATCH', `/v1/channels/${channel.body.__id}`, { token: w.admin, body: { _deliveryUrl: null } });
    assert.equal(cleared.status, 200);
    assert.equal(cleared.body._deliveryUrl, null);
    assert.equal(cleared.body._deliverySecret, undefined);
    await host.call('POST', `/v1/sessions/${id}/messages`, { token: op, body: { type: 'text', body: 'anyone?' } });
    await host.events!.poller.drain();
    // Every first attempt made (the consumer awaits it); a sweep now sends anything due again.
    await host.events!.sweep();
    assert.equal(r.received.length, 1);
  });

  test('status reports follow one order: applied (200, an event), known already (200, nothing), or refused (409, nothing)', async () => {
    const op = await w.operator('op-status');
    const { session } = await w.openSession('status-order');
    const id = session.__id;
    assert.equal((await host.call('POST', `/v1/sessions/${id}/assign`, { token: op, body: { operator: 'op-status' } })).status, 200);
    const reply = async (body: string) => {
      const r = await host.call('POST', `/v1/sessions/${id}/messages`, { token: op, body: { type: 'text', body } });
      assert.equal(r.status, 201);
      return `/v1/channels/${w.channel.__id}/messages/${r.body.__id}/status`;
    };
    const report = (path: string, status: string) => host.call('POST', path, { token: w.integration, body: { status } });
    const events = async () => {
      await host.events!.poller.drain();
      return inProcessBus.recent.filter((e) => e.session === id && e.type === 'message.status_changed').map((e) => e.data.status);
    };

    const one = await reply('first');
    const delivered = await report(one, 'delivered');
    assert.equal(delivered.status, 200);
    assert.equal(delivered.body._deliveryStatus, 'delivered');
    const repeat = await report(one, 'delivered');
    assert.equal(repeat.status, 200, 'a repeat is answered');
    assert.deepEqual(repeat.body, delivered.body, 'and changes nothing');
    const before = await snapshot(host);
    const failed = await report(one, 'failed');
    assert.equal(failed.status, 409, JSON.stringify(failed.body));
    assert.match(failed.body.detail, /already delivered: it cannot fail/);
    sameTable(before, await snapshot(host), 'a refused report changed something');

    const two = await reply('second');
    assert.equal((await report(two, 'sent')).status, 200);
    const fails = await report(two, 'failed');
    assert.equal(fails.status, 200);
    assert.equal(fails.body._deliveryStatus, 'failed');
    const read = await report(two, 'read');
    assert.equal(read.status, 409);
    assert.match(read.body.detail, /failed to reach the client/);
    assert.equal((await report(two, 'delivered')).status, 409);
    const last = await host.call('GET', `/v1/sessions/${id}/messages/last`, { token: w.admin });
    assert.equal(last.body._deliveryStatus, 'failed');
    assert.equal(last.body.isRead, false);
    assert.deepEqual(await events(), ['delivered', 'sent', 'failed'], 'one event per applied report, none for the others');
  });

  test('endpoint URLs: https only, no private or loopback targets except loopback on the local host', async () => {
    const bad = [
      'ftp://example.com/x',
      'http://example.com/x',
      'https://10.0.0.1/x',
      'https://169.254.169.254/latest',
      'https://[::1]/x',
      'https://[::127.0.0.1]/x',
      'https://[::ffff:0:127.0.0.1]/x',
      'https://[64:ff9b:1::7f00:1]/x',
      'https://[2002:a9fe:a9fe::1]/latest',
      'https://[fec0::1]/x',
      'https://[100::1]/x',
      'https://203.0.113.5/x',
      'not a url',
      'http://127.0.0.1/no-port',
    ];
    for (const url of bad) {
      const res = await host.call('POST', '/v1/webhooks', { token: w.admin, body: { url, events: ['session.*'] } });
      assert.equal(res.status, 400, url);
      assert.equal(res.body.errors[0].path, 'url', url);
    }
    const patch = await host.call('PATCH', `/v1/channels/${w.channel.__id}`, { token: w.admin, body: { _deliveryUrl: 'https://192.168.1.10/hook' } });
    assert.equal(patch.status, 400);
    assert.equal(patch.body.errors[0].path, '_deliveryUrl');
    const badPattern = await host.call('POST', '/v1/webhooks', { token: w.admin, body: { url: 'http://127.0.0.1:9/x', events: ['session.nope'] } });
    assert.equal(badPattern.status, 400);
    assert.equal(badPattern.body.errors[0].path, 'events.0');
  });
});
