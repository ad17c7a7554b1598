/**
 * Visitors on the live socket: a visitor token opens `GET /v1/live` scoped to the visitor's own
 * sessions — client-visible events only, in the visitor's shape (no notes, history, priority,
 * staff internals, nor anything of another session) — with resume; typing frames cross both
 * ways, throttled, never stored; the socket closes when the token expires.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TOKEN_EXPIRED } from '../../infra/local/live.ts';
import { visitorSecret } from '../../lib/adapters/secrets.ts';
import { signVisitorToken } from '../../lib/adapters/visitor-token.ts';
import { sameTable, snapshot, type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';
import { isEvent, type LiveFrame, openLive, roundTrip } from '../support/live.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';

let host: TestHost;
let w: World;
let alice: string;

before(async () => {
  host = await startTestHost({ events: true });
  w = await world(host, { channelType: 'livechat' });
  alice = await w.operator('alice');
});
after(() => host?.close());

async function visitor(): Promise<{ token: string; account: string }> {
  const r = await host.call('POST', '/v1/visitors', { body: { channel: w.channel.__id } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}
async function write(token: string, body: string): Promise<string> {
  const r = await host.call('POST', '/v1/visitors/messages', { token, body: { body } });
  assert.ok(r.status === 201 || r.status === 200, JSON.stringify(r.body));
  return r.body.session.id;
}
const staff = (token: string, method: string, path: string, body?: unknown) => host.call(method, path, { token, ...(body ? { body } : {}) });

/** Every key anywhere in a frame (to prove staff-only fields never reach a visitor). */
function keysOf(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) keysOf(v, out);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      out.add(k);
      keysOf(v, out);
    }
  return out;
}

describe('a visitor socket', () => {
  test("receives the operator's reply within 2 s without polling, and never a note, history or another session's event", async () => {
    const v = await visitor();
    const other = await visitor();
    const session = await write(v.token, 'Hello?');
    const otherSession = await write(other.token, 'Me too');
    // The writes' own events are pushed before the socket opens: it hears only what follows.
    await host.events!.poller.drain();
    const socket = await openLive(host.url, v.token);
    const admin = await openLive(host.url, w.admin);
    assert.equal((await staff(alice, 'POST', `/v1/sessions/${session}/assign`, { operator: 'alice' })).status, 200);
    assert.equal((await staff(w.admin, 'PUT', `/v1/sessions/${session}/priority`, { priority: 'High' })).status, 200);
    assert.equal((await staff(alice, 'POST', `/v1/sessions/${session}/messages`, { type: 'system', body: 'STAFF ONLY note' })).status, 201);
    assert.equal((await staff(alice, 'POST', `/v1/sessions/${otherSession}/assign`, { operator: 'alice' })).status, 200);
    assert.equal((await staff(alice, 'POST', `/v1/sessions/${otherSession}/messages`, { type: 'text', body: 'for the other visitor' })).status, 201);
    const sentAt = Date.now();
    assert.equal((await staff(alice, 'POST', `/v1/sessions/${session}/messages`, { type: 'text', body: 'Hi! How can I help?' })).status, 201);
    await socket.waitFor((f) => f.some((x) => x.data?.message?.body === 'Hi! How can I help?'), 2_000);
    assert.ok(Date.now() - sentAt < 2_000);
    // Everything the admin saw has arrived by now at the visitor's socket too (same batches).
    await admin.waitFor((f) => f.some((x) => x.data?.message?.body === 'Hi! How can I help?'));
    await roundTrip(socket.ws);

    const events = socket.events();
    assert.ok(
      events.every((e) => e.session === session),
      'only its own session',
    );
    assert.deepEqual(
      events.map((e) => e.type),
      ['session.assigned', 'message.created'],
      'the assignment and the reply: no priority change, no note',
    );
    assert.equal(events[0]!.data.state, 'AssignedToOperator');
    assert.deepEqual(events[1]!.data.message, { ...events[1]!.data.message, from: 'operator', body: 'Hi! How can I help?', read: false });
    const keys = keysOf(events);
    for (const hidden of ['_priority', '_userId', '_userGroupId', 'changes', 'from', 'to', 'by', 'line', 'operator', 'payload', 'visibility']) {
      if (hidden === 'from') continue; // the message's author kind (`operator`), not a staff id
      assert.ok(!keys.has(hidden), `no ${hidden} in a visitor's frame`);
    }
    assert.ok(!JSON.stringify(socket.frames).includes('alice'), 'no staff id');
    assert.ok(!JSON.stringify(socket.frames).includes('STAFF ONLY'), 'no note');

    // Resume: after the assignment, the reply again (in the visitor's shape), nothing else.
    await socket.close();
    const again = await openLive(host.url, v.token);
    again.send({ action: 'resume', after: events[0]!.id });
    await again.waitFor((f) => f.some((x) => x.type === 'resumed'));
    const replayed = again.events();
    assert.deepEqual(
      replayed.map((e) => e.id),
      [events[1]!.id],
    );
    assert.equal(replayed[0]!.data.message.body, 'Hi! How can I help?');
    assert.ok(!('line' in replayed[0]!));
    await again.close();
    await admin.close();
  });

  test('opened before the first message, it follows the session that message starts', async () => {
    const v = await visitor();
    const socket = await openLive(host.url, v.token);
    const session = await write(v.token, 'first words');
    await socket.waitFor((f) => f.some((x) => x.type === 'message.created' && x.data?.message?.body === 'first words'), 5_000);
    assert.equal((await staff(alice, 'POST', `/v1/sessions/${session}/assign`, { operator: 'alice' })).status, 200);
    assert.equal((await staff(alice, 'POST', `/v1/sessions/${session}/messages`, { type: 'text', body: 'welcome' })).status, 201);
    await socket.waitFor((f) => f.some((x) => x.data?.message?.body === 'welcome'), 2_000);
    assert.ok(socket.events().every((e) => e.session === session));
    await socket.close();
  });

  test('a visitor token of another channel kind, forged or expired is refused before the upgrade', async () => {
    const secret = await visitorSecret();
    const expired = await signVisitorToken(secret, { channel: w.channel.__id, account: 'x', exp: Math.floor(Date.now() / 1000) - 5 });
    const forged = await signVisitorToken('not-the-secret', { channel: w.channel.__id, account: 'x', exp: Math.floor(Date.now() / 1000) + 60 });
    for (const token of [expired, forged, 'vt1.garbage']) await assert.rejects(openLive(host.url, token), { status: 401 });
  });

  test('is closed when its token expires, and gets nothing after', async () => {
    const v = await visitor();
    const session = await write(v.token, 'short-lived');
    const secret = await visitorSecret();
    const brief = await signVisitorToken(secret, { channel: w.channel.__id, account: v.account, exp: Math.floor(Date.now() / 1000) + 2 });
    const socket = await openLive(host.url, brief);
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      socket.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    assert.deepEqual(await closed, { ...TOKEN_EXPIRED });
    const count = socket.frames.length;
    assert.equal((await staff(alice, 'POST', `/v1/sessions/${session}/assign`, { operator: 'alice' })).status, 200);
    const watcher = await openLive(host.url, v.token);
    watcher.send({ action: 'resume', after: `${session}.1` });
    await watcher.waitFor((f) => f.some((x) => x.type === 'resumed'));
    assert.equal(socket.frames.length, count);
    await watcher.close();
  });
});

describe('typing', () => {
  test('crosses both ways, at most once per 2 s per sender, and is never stored', async () => {
    const v = await visitor();
    const session = await write(v.token, 'typing test');
    assert.equal((await staff(alice, 'POST', `/v1/sessions/${session}/assign`, { operator: 'alice' })).status, 200);
    const bob = await w.operator('bob');
    const stranger = await visitor();
    await write(stranger.token, 'another visitor');
    // Every event of the writes above is pushed before the sockets open: any event a socket gets later came from typing.
    await host.events!.poller.drain();
    const visitorSocket = await openLive(host.url, v.token);
    const aliceSocket = await openLive(host.url, alice);
    const bobSocket = await openLive(host.url, bob);
    const strangerSocket = await openLive(host.url, stranger.token);
    const typing = (s: { frames: LiveFrame[] }) => s.frames.filter((f) => f.type === 'typing');
    const before = await snapshot(host);

    const t0 = Date.now();
    for (let i = 0; i < 5; i++) visitorSocket.send({ type: 'typing', session });
    await aliceSocket.waitFor((f) => f.some((x) => x.type === 'typing'), 2_000);
    const [heard] = typing(aliceSocket);
    assert.equal(heard!.session, session);
    assert.equal(heard!.from, 'client');
    assert.ok(Math.abs(Date.parse(String(heard!.at)) - t0) < 2_000);

    for (let i = 0; i < 5; i++) aliceSocket.send({ type: 'typing', session });
    await visitorSocket.waitFor((f) => f.some((x) => x.type === 'typing'), 2_000);
    assert.deepEqual(
      typing(visitorSocket).map((f) => [f.session, f.from]),
      [[session, 'operator']],
    );

    // Bob does not hold the session: refused; the stranger writes to a session not its own: refused.
    bobSocket.send({ type: 'typing', session });
    await bobSocket.waitFor((f) => f.some((x) => x.type === 'error'));
    strangerSocket.send({ type: 'typing', session });
    await strangerSocket.waitFor((f) => f.some((x) => x.type === 'error'));

    for (const s of [visitorSocket, aliceSocket, bobSocket, strangerSocket]) await roundTrip(s.ws);
    assert.equal(typing(aliceSocket).length, 1, 'five frames within 2 s: one goes out');
    assert.equal(typing(visitorSocket).length, 1);
    assert.equal(typing(bobSocket).length, 0, "bob is not the session's operator");
    assert.equal(typing(strangerSocket).length, 0);
    assert.ok(!visitorSocket.frames.some(isEvent), 'typing makes no event');

    // After the interval a sender is heard again.
    await new Promise((r) => setTimeout(r, 2_050 - (Date.now() - t0)));
    visitorSocket.send({ type: 'typing', session });
    await aliceSocket.waitFor((f) => f.filter((x) => x.type === 'typing').length === 2, 2_000);

    await host.events!.poller.drain();
    sameTable(before, await snapshot(host), 'typing stored something');
    for (const s of [visitorSocket, aliceSocket, bobSocket, strangerSocket]) await s.close();
  });
});

describe('read receipts', () => {
  let receiver: Receiver;
  before(async () => {
    receiver = await startReceiver();
    const hook = await host.call('POST', '/v1/webhooks', { token: w.admin, body: { url: receiver.url, events: ['message.read'], line: w.line.__id } });
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    receiver.secret = hook.body.secret;
  });
  after(() => receiver?.close());

  test("the operator's receipt marks the client's messages read and reaches the operator's socket, the visitor's and the webhook; a repeat or an older one changes nothing", async () => {
    const v = await visitor();
    const session = await write(v.token, 'one');
    await write(v.token, 'two');
    assert.equal((await staff(alice, 'POST', `/v1/sessions/${session}/assign`, { operator: 'alice' })).status, 200);
    const reply = await staff(alice, 'POST', `/v1/sessions/${session}/messages`, { type: 'text', body: 'hello!' });
    const three = await host.call('POST', '/v1/visitors/messages', { token: v.token, body: { body: 'three' } });
    const messages = (await staff(alice, 'GET', `/v1/sessions/${session}/messages?size=100`)).body as { __id: string; author: string; body: string }[];
    const mine = messages.filter((m) => m.author === 'client');
    assert.equal(mine.length, 3);
    const aliceSocket = await openLive(host.url, alice);
    const visitorSocket = await openLive(host.url, v.token);

    // Up to the second: the first two are marked.
    const first = await staff(alice, 'POST', `/v1/sessions/${session}/read`, { upTo: mine[1]!.__id });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(first.body, { session, readUpTo: mine[1]!.__id, marked: [mine[0]!.__id, mine[1]!.__id], more: false });
    await aliceSocket.waitFor((f) => f.some((x) => x.type === 'message.read'), 2_000);
    const event = aliceSocket.events().find((e) => e.type === 'message.read')!;
    assert.equal(event.session, session);
    assert.equal(event.data.reader, 'operator');
    assert.deepEqual(event.data.messages, [mine[0]!.__id, mine[1]!.__id]);
    await visitorSocket.waitFor((f) => f.some((x) => x.type === 'message.read'));
    assert.deepEqual(visitorSocket.events().find((e) => e.type === 'message.read')!.data.read, {
      of: 'visitor',
      upTo: mine[1]!.__id,
      messages: [mine[0]!.__id, mine[1]!.__id],
    });
    await receiver.waitFor((r) => r.some((x) => x.event.type === 'message.read' && x.event.session === session), 10_000, 'message.read on the webhook');
    assert.ok(receiver.received.filter((x) => x.event.session === session).every((x) => x.verified));

    // A repeat and an older one: nothing marked, no event.
    await host.events!.poller.drain();
    const before = await snapshot(host);
    for (const upTo of [mine[1]!.__id, mine[0]!.__id]) {
      const again = await staff(alice, 'POST', `/v1/sessions/${session}/read`, { upTo });
      assert.equal(again.status, 200);
      assert.deepEqual(again.body, { session, readUpTo: mine[1]!.__id, marked: [], more: false });
    }
    await host.events!.poller.drain();
    sameTable(before, await snapshot(host), 'a known receipt wrote');
    await roundTrip(aliceSocket.ws);
    assert.equal(aliceSocket.events().filter((e) => e.type === 'message.read').length, 1, 'no second event');

    // The staff read state shows on the messages; the visitor sees ✓✓ on its own and reads the reply.
    const after = (await staff(alice, 'GET', `/v1/sessions/${session}/messages?size=100`)).body as { __id: string; isRead: boolean }[];
    assert.deepEqual(
      after.filter((m) => mine.some((x) => x.__id === m.__id)).map((m) => m.isRead),
      [true, true, false],
    );
    const read = await host.call('POST', '/v1/visitors/read', { token: v.token, body: { upTo: reply.body.__id } });
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.deepEqual(read.body.marked, [reply.body.__id]);
    await aliceSocket.waitFor((f) => f.some((x) => x.type === 'message.read' && x.data.reader === 'client'), 2_000);
    const conversation = await host.call('GET', '/v1/visitors/messages', { token: v.token });
    assert.deepEqual(
      conversation.body.messages.map((m: { body: string; read: boolean }) => [m.body, m.read]),
      [
        ['one', true],
        ['two', true],
        ['hello!', true],
        ['three', false],
      ],
    );
    assert.equal(three.status, 200);

    // Refused: an operator who does not hold it (403), a message of another session (404), a bad id (400).
    const bob = await w.operator('bob');
    assert.equal((await staff(bob, 'POST', `/v1/sessions/${session}/read`, { upTo: mine[2]!.__id })).status, 403);
    assert.equal((await staff(alice, 'POST', `/v1/sessions/${session}/read`, { upTo: '1700000000000-0000-00000000' })).status, 404);
    assert.equal((await staff(alice, 'POST', `/v1/sessions/${session}/read`, { upTo: 'nope' })).status, 400);
    await aliceSocket.close();
    await visitorSocket.close();
  });

  test('concurrent receipts mark each message once and make one event per advance; a long backlog is marked 50 at a time', async () => {
    const v = await visitor();
    const session = await write(v.token, 'm0');
    for (let i = 1; i < 60; i++) await write(v.token, `m${i}`);
    assert.equal((await staff(alice, 'POST', `/v1/sessions/${session}/assign`, { operator: 'alice' })).status, 200);
    const items = (await staff(alice, 'GET', `/v1/sessions/${session}/messages?size=100`)).body as { __id: string; author: string }[];
    const mine = items.filter((m) => m.author === 'client');
    assert.equal(mine.length, 60);
    const last = mine[59]!.__id;
    const answers = await Promise.all(Array.from({ length: 4 }, () => staff(alice, 'POST', `/v1/sessions/${session}/read`, { upTo: last })));
    for (const a of answers) assert.ok(a.status === 200 || a.status === 409, JSON.stringify(a.body));
    let marked = answers.flatMap((a) => (a.status === 200 ? (a.body.marked as string[]) : []));
    assert.equal(new Set(marked).size, marked.length, 'no message marked twice');
    // Send again until it says no more.
    for (let i = 0; i < 4; i++) {
      const r = await staff(alice, 'POST', `/v1/sessions/${session}/read`, { upTo: last });
      assert.equal(r.status, 200);
      assert.ok(r.body.marked.length <= 50);
      marked = [...marked, ...r.body.marked];
      if (!r.body.more && r.body.readUpTo === last) break;
    }
    assert.deepEqual([...marked].sort(), mine.map((m) => m.__id).sort(), 'every message marked exactly once');
    const after = (await staff(alice, 'GET', `/v1/sessions/${session}/messages?size=100`)).body as { author: string; isRead: boolean }[];
    assert.ok(after.filter((m) => m.author === 'client').every((m) => m.isRead));
  });
});
