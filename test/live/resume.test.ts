/**
 * Resume: a socket that drops and comes back with `{ action: "resume", after: <last id> }`
 * misses nothing — the log re-sends what it missed, in order, then live events follow without
 * repeats — and a resume never re-sends what the caller may not see.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';
import { type LiveFrame, openLive, roundTrip } from '../support/live.ts';

let host: TestHost;
let w: World;
before(async () => {
  host = await startTestHost({ events: true });
  w = await world(host, { channelType: 'telegramBot' });
});
after(async () => {
  await host.close();
});

const ids = (events: LiveFrame[]) => events.map((e) => e.id!);

function assertSessionOrder(events: LiveFrame[]) {
  const last = new Map<string, number>();
  for (const e of events) {
    if (!e.session) continue;
    assert.ok(e.sequence! > (last.get(e.session) ?? 0), `${e.id} out of order`);
    last.set(e.session, e.sequence!);
  }
}

test('a socket dropped and resumed misses nothing, in order, without repeats', async () => {
  const lead = await host.token({ sub: 'lead', roles: ['supervisor'], groups: ['leads'] });
  const reference = await openLive(host.url, lead);
  const first = await openLive(host.url, lead);
  const op = await w.operator('op-1');

  const { session } = await w.openSession('ann', 'first');
  await host.call('POST', `/v1/sessions/${session.__id}/assign`, { token: op, body: { operator: 'op-1' } });
  await first.waitFor(() => first.events().length >= 3);
  await host.events!.poller.drain();
  await first.close();
  const seen = first.events();
  const lastSeen = seen[seen.length - 1]!.id!;

  // Missed while away: replies, a new session, a note.
  for (let i = 0; i < 5; i++) await host.call('POST', `/v1/sessions/${session.__id}/messages`, { token: op, body: { type: 'text', body: `reply ${i}` } });
  await w.openSession('ben', 'second');
  await host.call('POST', `/v1/sessions/${session.__id}/messages`, { token: op, body: { type: 'system', body: 'note' } });
  await host.events!.poller.drain();

  const second = await openLive(host.url, lead);
  second.send({ action: 'resume', after: lastSeen });
  // Events keep coming while it resumes.
  const during = Promise.all([0, 1, 2].map((i) => w.openSession(`during-${i}`, 'x')));
  await second.waitFor((f) => f.some((x) => x.type === 'resumed'));
  await during;
  await host.events!.poller.drain();
  await reference.waitFor(() => reference.events().filter((e) => e.session !== session.__id).length >= 2 * 4);
  await second.waitFor(() => second.events().length + seen.length >= reference.events().length);
  // Whatever the server sent before answering a ping (a repeat too) has arrived.
  await host.events!.poller.drain();
  await Promise.all([second, reference].map((s) => roundTrip(s.ws)));

  const resumed = second.frames.find((f) => f.type === 'resumed')!;
  assert.equal(resumed.complete, true);
  assert.equal(resumed.after, lastSeen);
  assert.ok((resumed.count as number) >= 8, `re-sent ${String(resumed.count)}`);
  const again = second.events();
  assert.equal(new Set(ids(again)).size, again.length, 'an event came twice after the resume');
  assert.ok(!ids(again).some((id) => ids(seen).includes(id)), 'the resume re-sent an event seen before it');
  assertSessionOrder([...seen, ...again]);
  assert.deepEqual([...ids(seen), ...ids(again)].sort(), ids(reference.events()).sort(), 'seen before + after the resume = everything');
  await Promise.all([second.close(), reference.close()]);
});

test('resume after an unknown id: the last hour, marked incomplete; and only what the caller may see', async () => {
  const otherLine = await host.call('POST', '/v1/lines', {
    token: w.admin,
    body: { __name: 'Other', _operatorGroups: ['others'], _supervisorGroups: ['other-leads'] },
  });
  const otherChannel = await host.call('POST', '/v1/channels', { token: w.admin, body: { _line: otherLine.body.__id, _type: 'telegramBot', __name: 'tg' } });
  const integration = await host.token({ sub: 'int-o', roles: ['integration'], channels: [otherChannel.body.__id] });
  await host.call('POST', `/v1/channels/${otherChannel.body.__id}/inbound`, { token: integration, body: { account: 'zed', body: 'hi' } });
  await host.events!.poller.drain();

  const otherLead = await host.token({ sub: 'other-lead', roles: ['supervisor'], groups: ['other-leads'] });
  const s = await openLive(host.url, otherLead);
  s.send({ action: 'resume', after: 'no-such-session.1' });
  await s.waitFor((f) => f.some((x) => x.type === 'resumed'));
  const resumed = s.frames.find((f) => f.type === 'resumed')!;
  assert.equal(resumed.complete, false);
  const got = s.events();
  assert.equal(got.length, 2, 'the other line has two events: created, message');
  assert.ok(got.every((e) => e.line === otherLine.body.__id));

  const admin = await openLive(host.url, w.admin);
  admin.send({ action: 'resume', after: 'no-such-session.1' });
  await admin.waitFor((f) => f.some((x) => x.type === 'resumed'));
  const lines = new Set(admin.events().map((e) => e.line));
  assert.equal(lines.size, 2, 'the admin gets every line');
  assertSessionOrder(admin.events());

  const integrationSocket = await openLive(host.url, integration);
  integrationSocket.send({ action: 'resume', after: 'no-such-session.1' });
  await integrationSocket.waitFor((f) => f.some((x) => x.type === 'resumed'));
  assert.deepEqual(
    integrationSocket.events().map((e) => e.type),
    ['session.created', 'message.created'],
  );
  await Promise.all([s.close(), admin.close(), integrationSocket.close()]);
});
