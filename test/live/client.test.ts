/**
 * The typed client's live subscription (`lines.live.subscribe`) against the local host, over
 * Node's own WebSocket: events arrive; when the server drops the socket the client reconnects
 * with backoff and resumes after the last event it delivered — nothing missed, nothing twice.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLinesClient, type LiveEventData, type LiveState } from '../../lib/client/index.ts';
import { type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';

let host: TestHost;
let w: World;
before(async () => {
  host = await startTestHost({ events: true });
  w = await world(host, { channelType: 'telegramBot' });
});
after(async () => {
  await host.close();
});

const until = async (condition: () => boolean, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
};

test('subscribe: events arrive; a dropped socket reconnects and resumes without gaps or repeats', async () => {
  const lead = await host.token({ sub: 'lead', roles: ['supervisor'], groups: ['leads'] });
  const lines = createLinesClient({ baseUrl: host.url, token: () => host.token({ sub: 'lead', roles: ['supervisor'], groups: ['leads'] }) });
  const events: LiveEventData[] = [];
  const states: LiveState[] = [];
  const resumes: { complete: boolean; count: number }[] = [];
  const sub = lines.live.subscribe({
    onEvent: (e) => events.push(e),
    onState: (s) => states.push(s),
    onResumed: (r) => resumes.push(r),
    minDelayMs: 50,
    maxDelayMs: 400,
  });
  await until(() => sub.state === 'open' && host.liveSockets() === 1);
  assert.ok(lead);

  const { session } = await w.openSession('amy', 'one');
  await until(() => events.length === 2);
  assert.deepEqual(
    events.map((e) => e.type),
    ['session.created', 'message.created'],
  );
  assert.equal(sub.lastEventId, `${session.__id}.2`);

  // The server drops it; events happen while it is away.
  host.dropLiveSockets();
  await w.openSession('amy', 'two');
  await w.openSession('amy', 'three');
  await w.openSession('bea', 'four');
  await until(() => events.length === 2 + 4, 20_000);
  await host.events!.poller.drain();
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(states.includes('reconnecting'), states.join(' '));
  assert.equal(resumes.length, 1);
  assert.equal(resumes[0]!.complete, true);
  assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'an event was delivered twice');
  assert.deepEqual(
    events.filter((e) => e.session === session.__id).map((e) => e.sequence),
    [1, 2, 3, 4],
  );
  assert.equal(events.filter((e) => e.session !== session.__id).length, 2);

  sub.close();
  assert.equal(sub.state, 'closed');
  await until(() => host.liveSockets() === 0);
  await w.openSession('cid', 'after close');
  await host.events!.poller.drain();
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(events.length, 6, 'nothing after close');
});
