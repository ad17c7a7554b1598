/**
 * Live push end to end: real WebSockets on the local test host, events from DynamoDB Local's
 * stream through the same consumer as in AWS. Two lines, operators and supervisors of each, an
 * admin and an integration: each socket receives exactly the events it may see, each once, in
 * `sequence` order per session; bad tokens are refused before the upgrade.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestHost, type TestHost } from '../support/host.ts';
import { isEvent, type LiveFrame, type LiveSocket, openLive, roundTrip } from '../support/live.ts';

let host: TestHost;
let admin: string;
const lines: Record<'A' | 'B', { id: string; channel: string }> = {} as never;

async function makeLine(name: 'A' | 'B') {
  const l = name.toLowerCase();
  const line = await host.call('POST', '/v1/lines', {
    token: admin,
    body: { __name: `Line ${name}`, _operatorGroups: [`${l}-ops`, `${l}-vip`], _supervisorGroups: [`${l}-leads`], _botId: `${l}-bot` },
  });
  assert.equal(line.status, 201);
  const channel = await host.call('POST', '/v1/channels', { token: admin, body: { _line: line.body.__id, _type: 'telegramBot', __name: `tg ${name}` } });
  assert.equal(channel.status, 201);
  lines[name] = { id: line.body.__id, channel: channel.body.__id };
}

const operator = async (sub: string, groups: string[]) => {
  const token = await host.token({ sub, roles: ['operator'], groups });
  assert.equal((await host.call('PUT', '/v1/operators/me/status', { token, body: { status: 'online' } })).status, 200);
  return token;
};

before(async () => {
  host = await startTestHost({ events: true });
  admin = await host.token({ sub: 'root', roles: ['admin'] });
  await makeLine('A');
  await makeLine('B');
});
after(async () => {
  await host.close();
});

/** Per session, sequences strictly increase; no event id twice. */
function assertOrderedOnce(events: LiveFrame[], label: string) {
  const ids = events.map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length, `${label}: an event arrived twice`);
  const last = new Map<string, number>();
  for (const e of events) {
    if (!e.session) continue;
    const prev = last.get(e.session) ?? 0;
    assert.ok(e.sequence! > prev, `${label}: ${e.id} after sequence ${prev}`);
    last.set(e.session, e.sequence!);
  }
}

describe('live push: who receives what', () => {
  test('each socket receives exactly the events it may see, once, in order', async () => {
    const opA1 = await operator('op-a1', ['a-ops']);
    const opA2 = await operator('op-a2', ['a-ops', 'a-vip']);
    const opB1 = await operator('op-b1', ['b-ops']);
    const supA = await host.token({ sub: 'lead-a', roles: ['supervisor'], groups: ['a-leads'] });
    const supB = await host.token({ sub: 'lead-b', roles: ['supervisor'], groups: ['b-leads'] });
    const intA = await host.token({ sub: 'int-a', roles: ['integration'], channels: [lines.A.channel] });
    const botA = await host.token({ sub: 'a-bot', roles: ['bot'] });
    const sockets: Record<string, LiveSocket> = {};
    for (const [name, token] of Object.entries({ admin, supA, supB, opA1, opA2, opB1, intA, botA })) {
      sockets[name] = await openLive(host.url, token, { via: name === 'supB' ? 'protocol' : 'query' });
    }

    const inbound = async (line: 'A' | 'B', account: string, body: string) => {
      const token = line === 'A' ? intA : await host.token({ sub: 'int-b', roles: ['integration'], channels: [lines.B.channel] });
      const r = await host.call('POST', `/v1/channels/${lines[line].channel}/inbound`, { token, body: { account, body } });
      assert.ok(r.status === 201 || r.status === 200, JSON.stringify(r.body));
      return r.body.session.__id as string;
    };
    const ok = async (p: Promise<{ status: number; body: unknown }>) => {
      const r = await p;
      assert.ok(r.status < 300, JSON.stringify(r.body));
    };

    // Line A, s1: queued, taken by op-a1, replied, noted, prioritised, closed.
    const s1 = await inbound('A', 'alice', 'hello');
    await ok(host.call('POST', `/v1/sessions/${s1}/assign`, { token: opA1, body: { operator: 'op-a1' } }));
    await ok(host.call('POST', `/v1/sessions/${s1}/messages`, { token: opA1, body: { type: 'text', body: 'hi alice' } }));
    await ok(host.call('POST', `/v1/sessions/${s1}/messages`, { token: opA1, body: { type: 'system', body: 'vip' } }));
    await ok(host.call('PUT', `/v1/sessions/${s1}/priority`, { token: opA1, body: { priority: 'High' } }));
    await ok(host.call('POST', `/v1/sessions/${s1}/close`, { token: opA1 }));
    // Line A, s2: the supervisor gives it to op-a2, who replies; then op-a2 hands it to the bot.
    const s2 = await inbound('A', 'bob', 'help');
    await ok(host.call('POST', `/v1/sessions/${s2}/assign`, { token: supA, body: { operator: 'op-a2' } }));
    await ok(host.call('POST', `/v1/sessions/${s2}/messages`, { token: opA2, body: { type: 'text', body: 'hi bob' } }));
    await ok(host.call('POST', `/v1/sessions/${s2}/assign`, { token: opA2, body: { bot: true, silent: true } }));
    await ok(host.call('POST', `/v1/sessions/${s2}/messages`, { token: botA, body: { type: 'text', body: 'beep' } }));
    // Line A, s3: moved to the a-vip queue (op-a1 is not in it), then the client writes again.
    const s3 = await inbound('A', 'carol', 'vip please');
    await ok(host.call('POST', `/v1/sessions/${s3}/assign`, { token: supA, body: { group: 'a-vip' } }));
    await inbound('A', 'carol', 'still there?');
    // Line A: the channel goes away and comes back.
    await ok(host.call('POST', `/v1/channels/${lines.A.channel}/disconnect`, { token: admin }));
    await ok(host.call('POST', `/v1/channels/${lines.A.channel}/reconnect`, { token: admin }));
    // Line B, t1: op-b1 takes it and replies.
    const t1 = await inbound('B', 'dave', 'hallo');
    await ok(host.call('POST', `/v1/sessions/${t1}/assign`, { token: opB1, body: { operator: 'op-b1' } }));
    await ok(host.call('POST', `/v1/sessions/${t1}/messages`, { token: opB1, body: { type: 'text', body: 'hi dave' } }));

    await host.events!.poller.drain();
    // The admin sees everything: wait until every session's last event reached it.
    const all = () => sockets.admin!.events();
    await sockets.admin!.waitFor(
      () =>
        all().some((e) => e.session === t1 && e.data?.message?.body === 'hi dave') &&
        all().some((e) => e.session === s3 && e.data?.message?.body === 'still there?'),
    );
    // Every record pushed, then every socket answered a ping: whatever the server sent it (a
    // wrong delivery too) has arrived.
    await host.events!.poller.drain();
    await Promise.all(Object.values(sockets).map((s) => roundTrip(s.ws)));
    const everything = all();
    assertOrderedOnce(everything, 'admin');

    const key = (e: LiveFrame) => e.id!;
    const expectSet = (name: string, predicate: (e: LiveFrame) => boolean) => {
      const got = sockets[name]!.events();
      assertOrderedOnce(got, name);
      const want = everything.filter(predicate).map(key).sort();
      assert.deepEqual(got.map(key).sort(), want, `${name} received another set than it may see`);
      assert.ok(want.length > 0, `${name} expects something`);
    };
    const of =
      (...ss: string[]) =>
      (e: LiveFrame) =>
        ss.includes(e.session ?? '');
    const types =
      (...ts: string[]) =>
      (e: LiveFrame) =>
        ts.includes(e.type);
    const and =
      (...ps: ((e: LiveFrame) => boolean)[]) =>
      (e: LiveFrame) =>
        ps.every((p) => p(e));
    const or =
      (...ps: ((e: LiveFrame) => boolean)[]) =>
      (e: LiveFrame) =>
        ps.some((p) => p(e));
    const channelA = (e: LiveFrame) => e.session === null && e.line === lines.A.id;
    const seq =
      (s: string, ...n: number[]) =>
      (e: LiveFrame) =>
        e.session === s && n.includes(e.sequence!);

    // Supervisors: their line, all of it.
    expectSet('supA', (e) => e.line === lines.A.id);
    expectSet('supB', (e) => e.line === lines.B.id);
    // s1: 1 created, 2 message, 3 assigned, 4 reply, 5 note, 6 priority, 7 closed.
    // s2: 1 created, 2 message, 3 assigned (op-a2), 4 reply, 5 assigned (bot), 6 bot reply.
    // s3: 1 created, 2 message, 3 assigned (group a-vip), 4 message.
    assert.deepEqual(
      everything.filter(of(s1)).map((e) => e.type),
      ['session.created', 'message.created', 'session.assigned', 'message.created', 'message.created', 'session.priority_changed', 'session.closed'],
    );
    assert.deepEqual(
      everything.filter(of(s2)).map((e) => e.type),
      ['session.created', 'message.created', 'session.assigned', 'message.created', 'session.assigned', 'message.created'],
    );
    assert.deepEqual(
      everything.filter(of(s3)).map((e) => e.type),
      ['session.created', 'message.created', 'session.assigned', 'message.created'],
    );
    // op-a1: all of its own s1; s2 while queued and the taking that removed it; s3 while in the
    // general queue and its move to a-vip (not its group), not the message after; line A's channel.
    expectSet('opA1', or(of(s1), seq(s2, 1, 2, 3), seq(s3, 1, 2, 3), channelA));
    // op-a2: s1 while queued and its taking; all of s2 until it handed it to the bot (that event
    // included); all of s3 (a-vip is its group); line A's channel.
    expectSet('opA2', or(seq(s1, 1, 2, 3), seq(s2, 1, 2, 3, 4, 5), of(s3), channelA));
    // op-b1: line B's t1 only.
    expectSet('opB1', of(t1));
    // The bot: s2 from the hand-over on.
    expectSet('botA', seq(s2, 5, 6));
    // The integration of channel A: client-visible events of its sessions — creation, client
    // messages and replies, visible assignments, close; never notes, priorities, silent
    // assignments, channel events, or line B.
    expectSet(
      'intA',
      and(
        of(s1, s2, s3),
        or(
          types('session.created', 'session.closed'),
          (e) => e.type === 'message.created' && e.data.visibility === 'client',
          (e) => e.type === 'session.assigned' && e.data.silent !== true,
        ),
      ),
    );
    assert.ok(!sockets.intA!.events().some((e) => e.data?.message?.body === 'vip'), 'a staff note reached the integration');
    // Nothing of another line, ever.
    for (const [name, s] of Object.entries(sockets)) {
      if (name === 'admin') continue;
      const mine = name.endsWith('B') || name === 'opB1' ? lines.B.id : lines.A.id;
      assert.ok(
        s.events().every((e) => e.line === mine),
        `${name} received an event of another line`,
      );
    }
    await Promise.all(Object.values(sockets).map((s) => s.close()));
  });

  test('ping is answered with pong; a bad frame with an error, and the socket stays', async () => {
    const s = await openLive(host.url, admin);
    s.send({ action: 'ping' });
    s.ws.send('not json');
    s.send({ action: 'dance' });
    await s.waitFor((f) => f.filter((x) => x.type === 'error').length === 2 && f.some((x) => x.type === 'pong'));
    assert.equal(s.frames[0]!.type, 'ready');
    assert.equal(s.frames[0]!.sub, 'root');
    await s.close();
  });
});

describe('live push: authentication before the upgrade', () => {
  const refused = async (token: string | undefined, via: 'query' | 'protocol' = 'query') => {
    const error = (await openLive(host.url, token, { via }).then(
      (s) => {
        void s.close();
        return undefined;
      },
      (e: unknown) => e,
    )) as { status?: number } | undefined;
    assert.ok(error, 'the socket opened');
    assert.equal(error.status, 401);
  };

  test('missing, garbage, expired, foreign-signed and wrong-audience tokens get 401 and no socket', async () => {
    await refused(undefined);
    await refused('not-a-jwt');
    await refused(await host.token({ sub: 'x', roles: ['admin'] }, { expiresIn: -10 }));
    await refused(await host.token({ sub: 'x', roles: ['admin'] }, { audience: 'someone-else' }));
    await refused(await host.token({ sub: 'x', roles: ['admin'] }, { issuer: 'https://evil.example' }));
    const other = await startTestHost();
    const foreign = await other.token({ sub: 'x', roles: ['admin'] });
    await other.close();
    await refused(foreign);
    await refused(foreign, 'protocol');
  });

  test('other paths are not upgraded', async () => {
    const WebSocket = (await import('ws')).default;
    const ws = new WebSocket(`${host.url.replace('http', 'ws')}/v1/health?token=${admin}`);
    const status = await new Promise<number>((resolve) => {
      ws.once('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => resolve(101));
      ws.once('error', () => resolve(-1));
    });
    assert.equal(status, 404);
  });
});

export { isEvent };
