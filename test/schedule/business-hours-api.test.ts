/**
 * Business hours end to end (DynamoDB Local, the test host): open now on GET line, the offline
 * reply of a closed line (once, also under parallel first messages, out to the channel's
 * endpoint and in the visitor's conversation), and SLA due times that count open time only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { dueAtOfSortKey } from '../../lib/adapters/dynamodb/keys.ts';
import { findSession, timersOf } from '../../lib/adapters/dynamodb/sessions.ts';
import { DEFAULT_OFFLINE_MESSAGE } from '../../lib/contract/schedule.ts';
import { world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';

let host: TestHost;
let receiver: Receiver;
before(async () => {
  host = await startTestHost({ events: true });
  receiver = await startReceiver();
});
after(async () => {
  await receiver.close();
  await host.close();
});

const DAY = 86_400_000;
const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** Closed now and every day but tomorrow (UTC), open tomorrow 09:00–17:00. */
const closedUntilTomorrow = () => ({ timeZone: 'UTC', weekly: {}, exceptions: [{ date: dateOf(Date.now() + DAY), hours: [{ from: '09:00', to: '17:00' }] }] });
const tomorrowAt = (hhmm: string) => `${dateOf(Date.now() + DAY)}T${hhmm}:00.000Z`;
const allWeek = (from: string, to: string) => Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [{ from, to }]]));

type Msg = { author: string; type: string; body: string };
async function messagesOf(token: string, id: string): Promise<Msg[]> {
  const r = await host.call('GET', `/v1/sessions/${id}/messages?size=100`, { token });
  assert.equal(r.status, 200);
  return r.body as Msg[];
}
const offlineReplies = (messages: Msg[]) => messages.filter((m) => m.author === 'system' && m.type === 'text');

describe('business hours', () => {
  test('the schedule is validated; GET /v1/lines/{id} says open now and when that changes', async () => {
    const w = await world(host);
    const bad = await host.call('PATCH', `/v1/lines/${w.line.__id}`, {
      token: w.admin,
      body: { _schedule: { timeZone: 'Nowhere/Land', weekly: { mon: [{ from: '9', to: '17:00' }] } } },
    });
    assert.equal(bad.status, 400);
    assert.deepEqual((bad.body.errors as { path: string }[]).map((e) => e.path).sort(), ['_schedule.timeZone', '_schedule.weekly.mon.0.from']);

    const always = await host.call('GET', `/v1/lines/${w.line.__id}`, { token: w.admin });
    assert.equal(always.body._openNow, true, 'no schedule: open around the clock');
    assert.equal(always.body._nextChangeAt, null);

    const patched = await host.call('PATCH', `/v1/lines/${w.line.__id}`, {
      token: w.admin,
      body: { _schedule: closedUntilTomorrow(), _offlineMessage: 'Back tomorrow at 9.' },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const closed = await host.call('GET', `/v1/lines/${w.line.__id}`, { token: w.admin });
    assert.equal(closed.body._openNow, false);
    assert.equal(closed.body._nextChangeAt, tomorrowAt('09:00'));
    assert.equal(closed.body._offlineMessage, 'Back tomorrow at 9.');

    await host.call('PATCH', `/v1/lines/${w.line.__id}`, {
      token: w.admin,
      body: { _schedule: { timeZone: 'Europe/Berlin', weekly: allWeek('00:00', '24:00') } },
    });
    const open = await host.call('GET', `/v1/lines/${w.line.__id}`, { token: w.admin });
    assert.equal(open.body._openNow, true);
  });

  test('a closed line answers a new session once — also under parallel first messages — through the channel’s endpoint', async () => {
    const w = await world(host, {
      lineBody: { _schedule: closedUntilTomorrow(), _offlineMessage: 'We open tomorrow at 09:00 UTC.', _sla: { firstResponse: 600 } },
    });
    const channel = await host.call('POST', '/v1/channels', {
      token: w.admin,
      body: { _line: w.line.__id, _type: 'whatsapp', __name: 'WA', _deliveryUrl: receiver.url },
    });
    assert.equal(channel.status, 201);
    receiver.secret = channel.body._deliverySecret;
    const integration = await host.token({ sub: 'wa-hours', roles: ['integration'], channels: [channel.body.__id] });
    const inbound = (body: string) =>
      host.call('POST', `/v1/channels/${channel.body.__id}/inbound`, { token: integration, body: { account: '+4915550001', body } });

    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => inbound(`hello ${i}`)));
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 200, 200, 200, 200, 200, 200, 201]);
    const id = answers[0]!.body.session.__id as string;
    assert.ok(
      answers.every((a) => a.body.session.__id === id),
      'one session',
    );
    const messages = await messagesOf(w.admin, id);
    assert.deepEqual(
      offlineReplies(messages).map((m) => m.body),
      ['We open tomorrow at 09:00 UTC.'],
    );
    assert.equal(messages.filter((m) => m.author === 'client').length, 8);
    // Further messages to the open session get no second reply.
    assert.equal((await inbound('still there?')).status, 200);
    assert.equal(offlineReplies(await messagesOf(w.admin, id)).length, 1);

    // Out through the delivery path to the channel's endpoint, once, signed, naming the client.
    await host.events!.poller.drain();
    await host.events!.sweep();
    await receiver.waitFor((r) => r.some((x) => x.event?.session === id));
    const out = receiver.delivered().filter((x) => x.event.session === id);
    assert.equal(out.length, 1, out.map((x) => x.event.data.message.body).join(' | '));
    assert.ok(out[0]!.verified);
    assert.equal(out[0]!.event.data.message.body, 'We open tomorrow at 09:00 UTC.');
    assert.equal(out[0]!.event.data.to, '+4915550001');
    assert.equal(out[0]!.event.data.visibility, 'client');

    // The SLA counts open time only: 10 minutes from tomorrow's opening.
    const stored = await findSession(id);
    const clock = timersOf(stored)?.clocks.firstResponse;
    assert.ok(clock, 'the first-response clock runs');
    assert.equal(dueAtOfSortKey(clock), tomorrowAt('09:10'));
  });

  test('an open line (or one without a schedule) sends no offline reply; its SLA keeps wall time', async () => {
    const w = await world(host, { lineBody: { _schedule: { timeZone: 'UTC', weekly: allWeek('00:00', '24:00') }, _sla: { firstResponse: 600 } } });
    const before = Date.now();
    const { session } = await w.openSession('daytime');
    assert.equal(offlineReplies(await messagesOf(w.admin, session.__id)).length, 0);
    const due = Date.parse(dueAtOfSortKey(timersOf(await findSession(session.__id))!.clocks.firstResponse!));
    assert.ok(due >= before + 600_000 && due <= Date.now() + 600_000, new Date(due).toISOString());
    const plain = await world(host);
    const other = await plain.openSession('no-hours');
    assert.equal(offlineReplies(await messagesOf(plain.admin, other.session.__id)).length, 0);
  });

  test('the widget: the offline reply in the conversation, and when the line opens', async () => {
    const w = await world(host, { channelType: 'livechat', lineBody: { _schedule: closedUntilTomorrow() } });
    const v = await host.call('POST', '/v1/visitors', { body: { channel: w.channel.__id } });
    const auth = { authorization: `Bearer ${v.body.token}` };
    const empty = await host.call('GET', '/v1/visitors/messages', { headers: auth });
    assert.deepEqual(empty.body.hours, { openNow: false, nextChangeAt: tomorrowAt('09:00') });
    assert.equal((await host.call('POST', '/v1/visitors/messages', { headers: auth, body: { body: 'anyone?' } })).status, 201);
    const conversation = await host.call('GET', '/v1/visitors/messages', { headers: auth });
    assert.deepEqual(
      conversation.body.messages.map((m: { from: string; body: string }) => [m.from, m.body]),
      [
        ['visitor', 'anyone?'],
        ['system', DEFAULT_OFFLINE_MESSAGE],
      ],
    );
  });
});
