/**
 * A client's data on request over HTTP on DynamoDB Local: the export (admins), and the erasure —
 * bodies gone from the API, search and export, the account free for a new client, the metrics
 * unchanged, `client.erased` out once, idempotent, resumable after an interruption, and sane
 * when the client writes while it runs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { handler as aggregate } from '../../functions/schedule/aggregate-metrics.ts';
import { eraseClient } from '../../lib/app/clients/privacy.ts';
import { type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';
import { png } from '../support/png.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';

let host: TestHost;
let w: World;
let alice: string;
let supervisor: string;
let receiver: Receiver;

before(async () => {
  host = await startTestHost({ events: true, files: true, sweepEveryMs: 100 });
  w = await world(host);
  alice = await w.operator('alice');
  supervisor = await host.token({ sub: 'sup-1', roles: ['supervisor'], groups: ['leads'] });
  receiver = await startReceiver();
  const hook = await host.call('POST', '/v1/webhooks', { token: w.admin, body: { url: receiver.url, events: ['client.erased'], line: w.line.__id } });
  assert.equal(hook.status, 201);
  receiver.secret = hook.body.secret;
});
after(async () => {
  await receiver?.close();
  await host?.close();
});

const inbound = (account: string, body: string) =>
  host.call('POST', `/v1/channels/${w.channel.__id}/inbound`, { token: w.integration, body: { account, body } });
const messages = async (session: string) => (await host.call('GET', `/v1/sessions/${session}/messages?size=1000`, { token: w.admin })).body;
const today = () => new Date().toISOString().slice(0, 10);
const metrics = async () => {
  const r = await host.call('GET', `/v1/metrics?line=${w.line.__id}&from=${today()}&to=${today()}`, { token: w.admin });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.metrics;
};
const searchClients = async (where: unknown) => (await host.call('POST', '/v1/clients/search', { token: w.admin, body: { where, size: 100 } })).body.items;

/** A client with two sessions: a closed one (a reply, a note) and an open one. */
async function history(account: string): Promise<{ client: string; sessions: string[] }> {
  const first = await inbound(account, `${account} secret: I live at 1 Main St`);
  assert.equal(first.status, 201);
  const s1 = first.body.session.__id;
  assert.equal((await host.call('POST', `/v1/sessions/${s1}/assign`, { token: alice, body: { operator: 'alice' } })).status, 200);
  assert.equal(
    (await host.call('POST', `/v1/sessions/${s1}/messages`, { token: alice, body: { type: 'text', body: `thanks ${account} secret-reply` } })).status,
    201,
  );
  assert.equal(
    (await host.call('POST', `/v1/sessions/${s1}/messages`, { token: alice, body: { type: 'system', body: `note about ${account} secret-note` } })).status,
    201,
  );
  assert.equal((await host.call('POST', `/v1/sessions/${s1}/close`, { token: alice })).status, 200);
  const second = await inbound(account, `${account} secret again`);
  assert.equal(second.body.client.__id, first.body.client.__id);
  return { client: first.body.client.__id, sessions: [s1, second.body.session.__id] };
}

describe('export', () => {
  test('admins get the client, its sessions, messages, files and ratings as one document; others do not', async () => {
    const { client, sessions } = await history('exp-1');
    const r = await host.call('GET', `/v1/clients/${client}/export`, { token: w.admin });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.client.__id, client);
    assert.equal(r.body.erased, false);
    assert.deepEqual(r.body.sessions.map((s: { __id: string }) => s.__id).sort(), [...sessions].sort());
    const bodies = r.body.sessions.flatMap((s: { messages: { body: string }[] }) => s.messages.map((m) => m.body));
    assert.ok(bodies.includes('exp-1 secret: I live at 1 Main St'));
    assert.ok(bodies.includes('thanks exp-1 secret-reply'));
    assert.deepEqual(r.body.ratings, []);
    assert.deepEqual(r.body.files, []);
    assert.equal(r.body.sessionsTruncated, false);
    assert.equal(r.body.next, null);
    // Paged by sessions, oldest first: `from` skips.
    const second = await host.call('GET', `/v1/clients/${client}/export?from=1`, { token: w.admin });
    assert.deepEqual(
      second.body.sessions.map((s: { __id: string }) => s.__id),
      [r.body.sessions[1].__id],
    );
    assert.deepEqual((await host.call('GET', `/v1/clients/${client}/export?from=5`, { token: w.admin })).body.sessions, []);
    assert.equal((await host.call('GET', `/v1/clients/${client}/export?from=-1`, { token: w.admin })).status, 400);
    assert.equal((await host.call('GET', `/v1/clients/${client}/export`, { token: supervisor })).status, 403);
    assert.equal((await host.call('GET', `/v1/clients/${client}/export`, { token: alice })).status, 403);
    const stranger = await host.token({ sub: 'sup-x', roles: ['supervisor'], groups: ['elsewhere'] });
    assert.equal((await host.call('GET', `/v1/clients/${client}/export`, { token: stranger })).status, 404);
    assert.equal((await host.call('GET', '/v1/clients/00000000-0000-4000-8000-000000000000/export', { token: w.admin })).status, 404);
  });
});

describe('erasure', () => {
  test('bodies gone from the API, search and export; history and metrics kept; the account makes a new client; twice is fine', async () => {
    const { client, sessions } = await history('gdpr-1');
    const before = await Promise.all(sessions.map(messages));
    await aggregate();
    const figures = await metrics();

    assert.equal((await host.call('DELETE', `/v1/clients/${client}`, { token: supervisor })).status, 403);
    const erased = await host.call('DELETE', `/v1/clients/${client}`, { token: w.admin });
    assert.equal(erased.status, 200, JSON.stringify(erased.body));
    assert.equal(erased.body.state, 'done');
    assert.equal(erased.body.sessions, 2);
    assert.equal(erased.body.messages, 4);

    // The API: the same messages (counts kept), no body, file or external id; the history entries as they were.
    const afterwards = await Promise.all(sessions.map(messages));
    assert.deepEqual(
      afterwards.map((list) => list.length),
      before.map((list) => list.length),
    );
    for (const list of afterwards) {
      for (const m of list) {
        assert.ok(!JSON.stringify(m).includes('secret'), `still there: ${JSON.stringify(m)}`);
        if (m.payload === null) assert.equal(m.body, '');
      }
    }
    assert.deepEqual(
      afterwards.flat().filter((m: { payload: unknown }) => m.payload !== null),
      before.flat().filter((m: { payload: unknown }) => m.payload !== null),
    );

    // Search: not by account, not by id.
    assert.deepEqual(await searchClients({ eq: ['_username', 'gdpr-1'] }), []);
    assert.deepEqual(await searchClients({ eq: ['__id', client] }), []);
    assert.deepEqual(await searchClients({ eq: ['_channel', w.channel.__id] }).then((items) => items.filter((c: { __id: string }) => c.__id === client)), []);
    // Nor changed any more.
    assert.equal((await host.call('PATCH', `/v1/clients/${client}`, { token: w.admin, body: { __name: 'back' } })).status, 404);

    // The export: the tombstone, nothing personal.
    const exported = await host.call('GET', `/v1/clients/${client}/export`, { token: w.admin });
    assert.equal(exported.status, 200);
    assert.equal(exported.body.erased, true);
    assert.equal(exported.body.client.__name, 'erased');
    assert.ok(!JSON.stringify(exported.body).includes('gdpr-1'), 'the account is nowhere in the export');
    assert.ok(!JSON.stringify(exported.body).includes('secret'));

    // Metrics: the same figures after re-aggregation.
    await aggregate();
    assert.deepEqual(await metrics(), figures);

    // `client.erased`, once, naming only ids and counts.
    await receiver.waitFor((r) => r.some((x) => x.event?.data?.client === client));
    const event = receiver.delivered().filter((x) => x.event.data.client === client);
    assert.equal(event.length, 1);
    assert.equal(event[0]!.event.type, 'client.erased');
    assert.equal(event[0]!.event.id, `${client}.erased`);
    assert.ok(!JSON.stringify(event[0]!.event).includes('gdpr-1'));

    // Twice: the same answer, no second event.
    const again = await host.call('DELETE', `/v1/clients/${client}`, { token: w.admin });
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, erased.body);

    // The old account writes again: a new client, a new session.
    const fresh = await inbound('gdpr-1', 'hello again');
    assert.equal(fresh.status, 201);
    assert.notEqual(fresh.body.client.__id, client);
    assert.ok(!sessions.includes(fresh.body.session.__id));
    assert.equal((await searchClients({ eq: ['_username', 'gdpr-1'] })).length, 1);
    await host.events!.poller.drain();
    assert.equal(receiver.delivered().filter((x) => x.event.data.client === client).length, 1);
  });

  test('two erasures at once: both succeed, one event', async () => {
    const { client } = await history('gdpr-4');
    const both = await Promise.all([1, 2, 3].map(() => host.call('DELETE', `/v1/clients/${client}`, { token: w.admin })));
    assert.deepEqual(
      both.map((r) => r.status),
      [200, 200, 200],
      JSON.stringify(both.map((r) => r.body)),
    );
    await receiver.waitFor((r) => r.some((x) => x.event?.data?.client === client));
    await host.events!.poller.drain();
    assert.equal(receiver.delivered().filter((x) => x.event.data.client === client).length, 1);
  });

  test('interrupted: hidden from the first step; calling again finishes it', async () => {
    const { client, sessions } = await history('gdpr-2');
    const admin = { sub: 'admin-1', roles: ['admin'] as const, groups: [], channels: [] };
    // A budget of one message stands for a function that ran out of time half-way.
    const partial = await eraseClient({ ...admin, roles: [...admin.roles] }, client, () => [], { messages: 1 });
    assert.equal(partial.finished, false);
    assert.equal(partial.erasure.state, 'running');
    assert.deepEqual(await searchClients({ eq: ['_username', 'gdpr-2'] }), []);
    const left = (await Promise.all(sessions.map(messages))).flat().filter((m: { body: string }) => m.body.includes('secret'));
    assert.ok(left.length > 0, 'the interruption left some bodies');
    // Meanwhile the old account is a new client already.
    const fresh = await inbound('gdpr-2', 'am I new?');
    assert.notEqual(fresh.body.client.__id, client);

    const running = await host.call('GET', `/v1/clients/${client}/export`, { token: w.admin });
    assert.equal(running.body.erased, true);
    const done = await host.call('DELETE', `/v1/clients/${client}`, { token: w.admin });
    assert.equal(done.status, 200);
    assert.equal(done.body.state, 'done');
    assert.ok(!JSON.stringify(await Promise.all(sessions.map(messages))).includes('secret'));
  });

  test('the client writing while it is erased: every message accepted; none of its words left on the old client', async () => {
    const { client, sessions } = await history('gdpr-3');
    const writes = Array.from({ length: 6 }, (_, i) => inbound('gdpr-3', `secret race ${i}`));
    const [erased, ...answers] = await Promise.all([host.call('DELETE', `/v1/clients/${client}`, { token: w.admin }), ...writes]);
    assert.ok([200, 202].includes(erased.status), JSON.stringify(erased.body));
    for (const a of answers) assert.ok([200, 201].includes(a.status), JSON.stringify(a.body));
    // Finish it (a 202, or a message that landed just before the erasure marked its session).
    assert.equal((await host.call('DELETE', `/v1/clients/${client}`, { token: w.admin })).status, 200);
    const old = (await Promise.all(sessions.map(messages))).flat();
    assert.ok(!JSON.stringify(old).includes('secret'));
    // Whatever arrived after the erasure began is a new client's, with its words.
    const moved = answers.filter((a) => a.body.client.__id !== client);
    for (const a of moved) assert.ok(!sessions.includes(a.body.session.__id));
    const next = await inbound('gdpr-3', 'after');
    assert.notEqual(next.body.client.__id, client);
  });

  test("files and a rating's comment: the export links the files; the erasure deletes their bytes and records and the comment, the score stays", async () => {
    const lw = await world(host, { channelType: 'livechat', lineBody: { _csat: { enabled: true } } });
    const op = await lw.operator('files-op');
    const v = await host.call('POST', '/v1/visitors', { body: { channel: lw.channel.__id } });
    const auth = { authorization: `Bearer ${v.body.token}` };
    const image = png(5, 5);
    const u = await host.call('POST', '/v1/visitors/files', { headers: auth, body: { name: 'passport.png', contentType: 'image/png', size: image.length } });
    assert.equal(u.status, 201, JSON.stringify(u.body));
    assert.equal((await fetch(u.body.uploadUrl, { method: 'PUT', headers: u.body.headers, body: image })).status, 200);
    const sent = await host.call('POST', '/v1/visitors/messages', { headers: auth, body: { body: 'secret scan', files: [u.body.__id] } });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const sessionId = sent.body.session.id as string;
    assert.equal((await host.call('POST', `/v1/sessions/${sessionId}/assign`, { token: lw.admin, body: { operator: 'files-op' } })).status, 200);
    assert.equal((await host.call('POST', `/v1/sessions/${sessionId}/close`, { token: op })).status, 200);
    const rated = await host.call('POST', '/v1/visitors/rating', { headers: auth, body: { score: 4, comment: 'secret comment' } });
    assert.ok([200, 201].includes(rated.status), JSON.stringify(rated.body));
    const session = (await host.call('GET', `/v1/sessions/${sessionId}`, { token: lw.admin })).body;
    const client = session._clients[0] as string;

    const exported = await host.call('GET', `/v1/clients/${client}/export`, { token: lw.admin });
    assert.equal(exported.status, 200, JSON.stringify(exported.body));
    const [file] = exported.body.files as { id: string; url: string | null }[];
    assert.equal(file!.id, u.body.__id);
    const got = await fetch(file!.url!);
    assert.equal(got.status, 200);
    assert.ok(Buffer.from(await got.arrayBuffer()).equals(image));
    assert.deepEqual(
      exported.body.ratings.map((r: { score: number; comment: string }) => [r.score, r.comment]),
      [[4, 'secret comment']],
    );

    const erased = await host.call('DELETE', `/v1/clients/${client}`, { token: lw.admin });
    assert.equal(erased.status, 200, JSON.stringify(erased.body));
    // The bytes are gone from storage (the link signed before fails), the file from the API.
    assert.equal((await fetch(file!.url!)).status, 404);
    assert.equal((await host.call('GET', `/v1/files/${file!.id}?redirect=false`, { token: lw.admin })).status, 404);
    const after = (await host.call('GET', `/v1/sessions/${sessionId}`, { token: lw.admin })).body;
    assert.equal(after._rating.score, 4);
    assert.equal(after._rating.comment, null);
    const list = await messages(sessionId);
    assert.ok(!JSON.stringify(list).includes('secret'), JSON.stringify(list));
    assert.ok(!JSON.stringify(list).includes('passport'), JSON.stringify(list.filter((m: { body: string }) => JSON.stringify(m).includes('passport'))));
    const rate = list.find((m: { payload: { command: string } | null }) => m.payload?.command === 'rate');
    assert.equal(rate.body, `rate by ${rate.payload.by}: 4`);
    const again = await host.call('GET', `/v1/clients/${client}/export`, { token: lw.admin });
    assert.ok(!JSON.stringify(again.body).includes('secret'));
  });
});
