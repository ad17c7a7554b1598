/**
 * Satisfaction (CSAT) end to end (DynamoDB Local, the test host): the close asks, the widget's
 * route rates once (also under parallel ratings), the rating is on the session, `session.rated`
 * goes out once, the day's `csat` holds it (the same after a re-aggregation); a messenger's "4"
 * after the close is a rating, "hello" opens a new session, and so does "4" after 24 h.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { inProcessBus } from '../../lib/adapters/bus.ts';
import { updateItem } from '../../lib/adapters/dynamodb/db.ts';
import { sessionKey } from '../../lib/adapters/dynamodb/keys.ts';
import { aggregateMetrics } from '../../lib/app/metrics/aggregate.ts';
import { sweepTimers } from '../../lib/app/timers/sweep.ts';
import { DEFAULT_CSAT_MESSAGE } from '../../lib/contract/schedule.ts';
import { type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';

let host: TestHost;
before(async () => {
  host = await startTestHost({ events: true });
});
after(() => host?.close());

const CSAT = { _csat: { enabled: true } };
type Msg = { author: string; type: string; body: string; payload: { command: string } | null };
const messagesOf = async (w: World, id: string) => (await host.call('GET', `/v1/sessions/${id}/messages?size=100`, { token: w.admin })).body as Msg[];
const ratings = (messages: Msg[]) => messages.filter((m) => m.payload?.command === 'rate');
/** An operator takes the session, then it is closed (a Waiting session has nobody who could close it). */
async function close(w: World, id: string) {
  const op = await w.operator('csat-op');
  assert.equal((await host.call('POST', `/v1/sessions/${id}/assign`, { token: w.admin, body: { operator: 'csat-op' } })).status, 200);
  const r = await host.call('POST', `/v1/sessions/${id}/close`, { token: op });
  assert.equal(r.status, 200, JSON.stringify(r.body));
}
const session = async (w: World, id: string) => (await host.call('GET', `/v1/sessions/${id}`, { token: w.admin })).body;
async function ratedEvents(id: string) {
  await host.events!.poller.drain();
  return inProcessBus.recent.filter((e) => e.session === id && e.type === 'session.rated');
}
async function csatToday(w: World) {
  const day = new Date().toISOString().slice(0, 10);
  const r = await host.call('GET', `/v1/metrics?line=${w.line.__id}&type=csat&from=${day}&to=${day}`, { token: w.admin });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const [series] = r.body.metrics;
  assert.equal(series.unit, 'score');
  return series.series[0] as { value: number | null; sum: number; count: number };
}

describe('CSAT through the widget', () => {
  test('the close asks; the visitor rates once (parallel ratings: one lands); the rating is on the session, in session.rated and in the day’s csat', async () => {
    const w = await world(host, { channelType: 'livechat', lineBody: CSAT });
    const visit = async (text: string) => {
      const v = await host.call('POST', '/v1/visitors', { body: { channel: w.channel.__id } });
      const auth = { authorization: `Bearer ${v.body.token}` };
      const posted = await host.call('POST', '/v1/visitors/messages', { headers: auth, body: { body: text } });
      assert.equal(posted.status, 201);
      return { auth, id: posted.body.session.id as string };
    };
    const a = await visit('help please');
    // Not closed yet: nothing to rate.
    assert.equal((await host.call('POST', '/v1/visitors/rating', { headers: a.auth, body: { score: 5 } })).status, 409);
    await close(w, a.id);
    const conversation = await host.call('GET', '/v1/visitors/messages', { headers: a.auth });
    assert.equal(conversation.body.session.rating, 'requested');
    assert.deepEqual(conversation.body.messages.at(-1), { ...conversation.body.messages.at(-1), from: 'system', body: DEFAULT_CSAT_MESSAGE });

    const bad = await host.call('POST', '/v1/visitors/rating', { headers: a.auth, body: { score: 6 } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].path, 'score');
    const tries = await Promise.all(
      [4, 5, 3].map((score) => host.call('POST', '/v1/visitors/rating', { headers: a.auth, body: { score, comment: ` score ${score} ` } })),
    );
    assert.deepEqual(tries.map((t) => t.status).sort(), [201, 409, 409]);
    const won = tries.find((t) => t.status === 201)!.body;
    assert.equal(won.comment, `score ${won.score}`);
    const again = await host.call('POST', '/v1/visitors/rating', { headers: a.auth, body: { score: 1 } });
    assert.equal(again.status, 409, 'the first rating stands');

    const rated = await session(w, a.id);
    assert.deepEqual({ ...rated._rating, at: undefined }, { score: won.score, comment: won.comment, at: undefined, via: 'widget' });
    assert.equal(ratings(await messagesOf(w, a.id)).length, 1);
    const events = await ratedEvents(a.id);
    assert.equal(events.length, 1);
    assert.equal((events[0]!.data.session as { _rating: { score: number } })._rating.score, won.score);
    assert.equal((await host.call('GET', '/v1/visitors/messages', { headers: a.auth })).body.session.rating, 'rated');

    const b = await visit('another question');
    await close(w, b.id);
    assert.equal((await host.call('POST', '/v1/visitors/rating', { headers: b.auth, body: { score: 2 } })).status, 201);

    await aggregateMetrics({ since: new Date(Date.now() - 3_600_000) });
    const day = await csatToday(w);
    assert.deepEqual(day, { ...day, sum: won.score + 2, count: 2, value: (won.score + 2) / 2 });
    // Re-aggregating the same window (and a wider one) gives the same figures.
    await aggregateMetrics({ since: new Date(Date.now() - 3_600_000) });
    await aggregateMetrics({ since: new Date(Date.now() - 86_400_000) });
    assert.deepEqual(await csatToday(w), day);
  });

  test('a line without CSAT asks nothing and takes no rating', async () => {
    const w = await world(host, { channelType: 'livechat' });
    const v = await host.call('POST', '/v1/visitors', { body: { channel: w.channel.__id } });
    const auth = { authorization: `Bearer ${v.body.token}` };
    const posted = await host.call('POST', '/v1/visitors/messages', { headers: auth, body: { body: 'hi' } });
    await close(w, posted.body.session.id);
    const conversation = await host.call('GET', '/v1/visitors/messages', { headers: auth });
    assert.equal(conversation.body.session.rating, null);
    assert.deepEqual(
      conversation.body.messages.map((m: { from: string }) => m.from),
      ['visitor'],
    );
    assert.equal((await host.call('POST', '/v1/visitors/rating', { headers: auth, body: { score: 5 } })).status, 409);
  });
});

describe('CSAT in a messenger', () => {
  test('"4" after the close is the rating (not a session); "hello" opens a new session; "4" after 24 h too', async () => {
    const w = await world(host, { lineBody: CSAT });
    const inbound = (account: string, body: string) =>
      host.call('POST', `/v1/channels/${w.channel.__id}/inbound`, { token: w.integration, body: { account, body } });

    const first = await w.openSession('+100');
    await close(w, first.session.__id);
    const request = (await messagesOf(w, first.session.__id)).filter((m) => m.author === 'system' && m.type === 'text');
    assert.equal(request.length, 1);
    assert.match(request[0]!.body, /Reply with one number from 1 to 5/);
    const answer = await inbound('+100', ' 4 ');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.session.__id, first.session.__id, 'no new session');
    assert.equal(answer.body.session._rating.score, 4);
    assert.equal(answer.body.session._rating.via, 'message');
    assert.equal((await session(w, first.session.__id))._state, 'Closed');
    assert.equal((await ratedEvents(first.session.__id)).length, 1);
    // Rated: the next "5" is an ordinary first message.
    const next = await inbound('+100', '5');
    assert.equal(next.status, 201);
    assert.notEqual(next.body.session.__id, first.session.__id);

    const second = await w.openSession('+200');
    await close(w, second.session.__id);
    const hello = await inbound('+200', 'hello');
    assert.equal(hello.status, 201, 'not a rating: a new session');
    assert.equal((await session(w, second.session.__id))._rating ?? null, null);

    const late = await w.openSession('+300');
    await close(w, late.session.__id);
    // As if the close had been 25 hours ago.
    await updateItem({
      Key: sessionKey(late.session.__id),
      UpdateExpression: 'SET #r = :t',
      ExpressionAttributeNames: { '#r': '_csatRequestedAt' },
      ExpressionAttributeValues: { ':t': new Date(Date.now() - 25 * 3_600_000).toISOString() },
    });
    const tooLate = await inbound('+300', '4');
    assert.equal(tooLate.status, 201, 'too late: a new session');
    assert.equal((await session(w, late.session.__id))._rating ?? null, null);
  });

  test('parallel answers: exactly one rating', async () => {
    const w = await world(host, { lineBody: CSAT });
    const { session: s } = await w.openSession('+400');
    await close(w, s.__id);
    const answers = await Promise.all(
      ['3', '3', '3', '3'].map((body) =>
        host.call('POST', `/v1/channels/${w.channel.__id}/inbound`, { token: w.integration, body: { account: '+400', body } }),
      ),
    );
    assert.ok(
      answers.every((a) => a.status === 200 || a.status === 201),
      answers.map((a) => a.status).join(),
    );
    assert.equal(ratings(await messagesOf(w, s.__id)).length, 1);
    assert.equal((await ratedEvents(s.__id)).length, 1);
  });

  test('an auto-close asks too, once', async () => {
    const w = await world(host, { lineBody: { ...CSAT, _autoClose: { afterInactive: 60 } } });
    const { session: s } = await w.openSession('+500');
    const op = await w.operator('auto-op');
    assert.equal((await host.call('POST', `/v1/sessions/${s.__id}/assign`, { token: op, body: { operator: 'auto-op' } })).status, 200);
    await sweepTimers({ now: Date.now() + 120_000 });
    await sweepTimers({ now: Date.now() + 180_000 });
    const closed = await session(w, s.__id);
    assert.equal(closed._state, 'Closed');
    assert.ok(closed._csatRequestedAt);
    assert.equal((await messagesOf(w, s.__id)).filter((m) => m.author === 'system' && m.type === 'text').length, 1);
    const answer = await host.call('POST', `/v1/channels/${w.channel.__id}/inbound`, { token: w.integration, body: { account: '+500', body: '2' } });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.session._rating.score, 2);
  });
});
