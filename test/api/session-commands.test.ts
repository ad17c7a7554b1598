/** Every session, channel and client command, over real HTTP and DynamoDB Local. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { snapshot, type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';

let host: TestHost;
let w: World;
let supervisor: string;
let bot: string;
let alice: string;
let bob: string;
let accounts = 0;

before(async () => {
  host = await startTestHost();
  w = await world(host);
  supervisor = await host.token({ sub: 'sup-1', roles: ['supervisor'], groups: ['leads'] });
  bot = await host.token({ sub: 'bot-1', roles: ['bot'] });
  alice = await w.operator('alice');
  bob = await w.operator('bob');
});
after(() => host.close());

const s = (id: string, rest = '') => `/v1/sessions/${id}${rest}`;
const call = (method: string, path: string, token: string, body?: unknown, headers?: Record<string, string>) =>
  host.call(method, path, { token, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
/** A fresh Waiting session of a fresh client. */
async function waiting(): Promise<{ id: string; client: string; account: string }> {
  const account = `client-${++accounts}`;
  const r = await w.openSession(account, 'hello');
  assert.equal(r.session._state, 'Waiting');
  return { id: r.session.__id, client: r.client.__id, account };
}
/** A fresh session taken by alice. */
async function takenByAlice() {
  const session = await waiting();
  const r = await call('POST', s(session.id, '/assign'), alice, { operator: 'alice' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return session;
}
async function history(id: string) {
  const r = await call('GET', s(id, '/messages?size=100'), w.admin);
  assert.equal(r.status, 200);
  return r.body as { type: string; author: string; body: string; payload: Record<string, any> | null; operator: string | null }[];
}
const payloads = async (id: string) => (await history(id)).filter((m) => m.type === 'payload').map((m) => m.payload!);

describe('assign', () => {
  it('lets an online operator take a queued session: state, operator, _acceptedAt and one history entry', async () => {
    const { id } = await waiting();
    const r = await call('POST', s(id, '/assign'), alice, { operator: 'alice' });
    assert.equal(r.status, 200);
    assert.equal(r.body._state, 'AssignedToOperator');
    assert.equal(r.body._userId, 'alice');
    assert.ok(r.body._acceptedAt);
    const p = await payloads(id);
    assert.deepEqual(
      p.map((x) => x.command),
      ['create', 'assignToOperator'],
    );
    assert.equal(p[1]!.kind, 'SessionReassigned');
    assert.deepEqual(p[1]!.from, { operator: null, group: null, bot: null });
    assert.deepEqual(p[1]!.to, { operator: 'alice', group: null, bot: null });
    assert.equal(p[1]!.by, 'alice');
  });

  it('answers 409 to an operator taking a session another operator holds, and 403 to assigning it elsewhere', async () => {
    const { id } = await takenByAlice();
    const take = await call('POST', s(id, '/assign'), bob, { operator: 'bob' });
    assert.equal(take.status, 409);
    assert.match(take.body.detail, /alice/);
    const elsewhere = await call('POST', s(id, '/assign'), bob, { operator: 'carol' });
    assert.equal(elsewhere.status, 403);
  });

  it('lets the holder reassign to another operator, keeping _acceptedAt, history naming from and to', async () => {
    const { id } = await takenByAlice();
    const first = await call('GET', s(id), alice);
    const r = await call('POST', s(id, '/assign'), alice, { operator: 'bob' });
    assert.equal(r.status, 200);
    assert.equal(r.body._userId, 'bob');
    assert.equal(r.body._acceptedAt, first.body._acceptedAt);
    const last = (await payloads(id)).at(-1)!;
    assert.equal(last.kind, 'SessionReassigned');
    assert.equal(last.from.operator, 'alice');
    assert.equal(last.to.operator, 'bob');
  });

  it('refuses a target operator who is offline or not an operator of the line (409), writing nothing', async () => {
    await w.operator('olga', { online: false });
    await w.operator('sam', { groups: ['sales'] });
    const { id } = await waiting();
    const beforeItems = await snapshot(host);
    for (const target of ['olga', 'sam', 'nobody']) {
      const r = await call('POST', s(id, '/assign'), supervisor, { operator: target });
      assert.equal(r.status, 409, target);
      assert.match(r.body.detail, new RegExp(target));
    }
    assert.deepEqual(await snapshot(host), beforeItems);
  });

  it("queues a session for one of the line's groups; other groups 409; taking from a group queue needs membership", async () => {
    const { id } = await takenByAlice();
    const wrong = await call('POST', s(id, '/assign'), alice, { group: 'sales' });
    assert.equal(wrong.status, 409);
    const r = await call('POST', s(id, '/assign'), alice, { group: 'support' });
    assert.equal(r.status, 200);
    assert.equal(r.body._state, 'Waiting');
    assert.equal(r.body._userGroupId, 'support');
    assert.equal(r.body._userId, null);
    const outsider = await w.operator('otto', { groups: ['support-2'] });
    const line2 = await call('POST', s(id, '/assign'), outsider, { operator: 'otto' });
    assert.equal(line2.status, 404, 'not an operator of the line: cannot see it');
    const bobTakes = await call('POST', s(id, '/assign'), bob, { operator: 'bob' });
    assert.equal(bobTakes.status, 200);
  });

  it("hands a session to the line's bot, recording silent; the bot replies, hands over and closes", async () => {
    const { id } = await takenByAlice();
    const r = await call('POST', s(id, '/assign'), alice, { bot: true, silent: true });
    assert.equal(r.status, 200);
    assert.equal(r.body._state, 'AssignedToBot');
    assert.equal(r.body._botId, 'bot-1');
    assert.equal(r.body._userId, null);
    const p = (await payloads(id)).at(-1)!;
    assert.equal(p.silent, true);
    assert.equal(p.to.bot, 'bot-1');
    const again = await call('POST', s(id, '/assign'), supervisor, { bot: true });
    assert.equal(again.status, 409);
    const reply = await call('POST', s(id, '/messages'), bot, { type: 'text', body: 'I am a bot' });
    assert.equal(reply.status, 201);
    assert.equal(reply.body.author, 'bot');
    assert.equal(reply.body.operator, 'bot-1');
    const aliceReplies = await call('POST', s(id, '/messages'), alice, { type: 'text', body: 'me too' });
    assert.equal(aliceReplies.status, 403);
    const spam = await call('PUT', s(id, '/spam'), bot);
    assert.equal(spam.status, 403, 'the bot may not mark spam');
    const closed = await call('POST', s(id, '/close'), bot);
    assert.equal(closed.status, 200);
    assert.equal(closed.body._state, 'Closed');
  });

  it('refuses handing to the bot on a line without one (409), and a malformed assign body (400)', async () => {
    const w2 = await world(host, { lineBody: { _botId: null } });
    const r = await w2.openSession('no-bot-client');
    const res = await call('POST', s(r.session.__id, '/assign'), w.admin, { bot: true });
    assert.equal(res.status, 409);
    assert.match(res.body.detail, /no bot/);
    const bad = await call('POST', s(r.session.__id, '/assign'), w.admin, { operator: 'a', group: 'b' });
    assert.equal(bad.status, 400);
  });
});

describe('close', () => {
  it('only the assigned operator may close; others 403; a closed session 409', async () => {
    const { id } = await takenByAlice();
    const beforeItems = await snapshot(host);
    for (const token of [bob, supervisor, w.admin, bot]) {
      const r = await call('POST', s(id, '/close'), token);
      assert.equal(r.status, 403, JSON.stringify(r.body));
    }
    assert.deepEqual(await snapshot(host), beforeItems);
    const r = await call('POST', s(id, '/close'), alice);
    assert.equal(r.status, 200);
    assert.equal(r.body._state, 'Closed');
    assert.ok(r.body._closedAt);
    const again = await call('POST', s(id, '/close'), alice);
    assert.equal(again.status, 409);
    assert.match(again.body.detail, /closed/);
    assert.deepEqual(
      (await payloads(id)).at(-1)!.changes.map((c: { field: string }) => c.field),
      ['_state'],
    );
  });

  it('refuses closing a queued session (409) and a spam session (409)', async () => {
    const { id } = await waiting();
    assert.equal((await call('POST', s(id, '/close'), alice)).status, 409);
    const taken = await takenByAlice();
    assert.equal((await call('PUT', s(taken.id, '/spam'), alice)).status, 200);
    const r = await call('POST', s(taken.id, '/close'), alice);
    assert.equal(r.status, 409);
    assert.match(r.body.detail, /spam/);
  });

  it("releases the open-session guard: the client's next message opens a new session", async () => {
    const { id, account } = await takenByAlice();
    assert.equal((await call('POST', s(id, '/close'), alice)).status, 200);
    const next = await w.openSession(account, 'me again');
    assert.equal(next.status, 201);
    assert.notEqual(next.session.__id, id);
  });
});

describe('close on an inbox channel (several open sessions per client)', () => {
  it('closes an older session without touching the guard of the newest; closing the newest frees it', async () => {
    const inbox = await call('POST', '/v1/channels', w.admin, { _line: w.line.__id, _type: 'inbox', __name: 'mail' });
    const body = { channel: inbox.body.__id, account: 'mail@example.com' };
    const older = await call('POST', '/v1/sessions', alice, body);
    const newer = await call('POST', '/v1/sessions', alice, body);
    assert.equal(newer.status, 201);
    assert.equal((await call('POST', s(older.body.__id, '/close'), alice)).status, 200);
    const toNewer = await call('POST', `/v1/channels/${inbox.body.__id}/inbound`, w.admin, { account: 'mail@example.com', body: 're:' });
    assert.equal(toNewer.status, 200);
    assert.equal(toNewer.body.session.__id, newer.body.__id);
    assert.equal((await call('POST', s(newer.body.__id, '/close'), alice)).status, 200);
    const fresh = await call('POST', `/v1/channels/${inbox.body.__id}/inbound`, w.admin, { account: 'mail@example.com', body: 'new topic' });
    assert.equal(fresh.status, 201);
  });
});

describe('spam', () => {
  it('is refused on internal and support channels (409)', async () => {
    for (const type of ['internal', 'support']) {
      const ch = await call('POST', '/v1/channels', w.admin, { _line: w.line.__id, _type: type, __name: type });
      const inbound = await call('POST', `/v1/channels/${ch.body.__id}/inbound`, w.admin, { account: 'colleague', body: 'hi' });
      assert.equal(inbound.status, 201);
      const id = inbound.body.session.__id;
      assert.equal((await call('POST', s(id, '/assign'), alice, { operator: 'alice' })).status, 200);
      const r = await call('PUT', s(id, '/spam'), alice);
      assert.equal(r.status, 409, type);
      assert.match(r.body.detail, new RegExp(type));
    }
  });

  it('unmarking restores the operator and the priority', async () => {
    const { id } = await takenByAlice();
    assert.equal((await call('PUT', s(id, '/priority'), alice, { priority: 'High' })).status, 200);
    const spam = await call('PUT', s(id, '/spam'), alice);
    assert.equal(spam.status, 200);
    assert.equal(spam.body._state, 'MarkedAsSpam');
    assert.equal(spam.body._priority, null);
    assert.equal((await call('PUT', s(id, '/spam'), alice)).status, 409, 'already spam');
    assert.equal((await call('PUT', s(id, '/priority'), alice, { priority: 'Low' })).status, 409, 'no priority on spam');
    const r = await call('DELETE', s(id, '/spam'), alice);
    assert.equal(r.status, 200);
    assert.equal(r.body._state, 'AssignedToOperator');
    assert.equal(r.body._userId, 'alice');
    assert.equal(r.body._priority, 'High');
    assert.equal(r.body._beforeSpam, null);
    assert.equal(r.body._closedAt, null);
    assert.equal((await call('DELETE', s(id, '/spam'), alice)).status, 409, 'not spam any more');
    const cmds = (await payloads(id)).map((p) => p.command);
    assert.deepEqual(cmds.slice(-3), ['setPriority', 'markAsSpam', 'unmarkAsSpam']);
  });

  it('unmarking puts the session in the queue when the earlier operator is offline', async () => {
    const carol = await w.operator('carol');
    const { id } = await waiting();
    assert.equal((await call('POST', s(id, '/assign'), carol, { operator: 'carol' })).status, 200);
    assert.equal((await call('PUT', s(id, '/priority'), carol, { priority: 'Medium' })).status, 200);
    assert.equal((await call('PUT', s(id, '/spam'), carol)).status, 200);
    await w.operator('carol', { online: false });
    const offline = await call('DELETE', s(id, '/spam'), carol);
    assert.equal(offline.status, 403, 'an offline operator cannot unmark');
    const r = await call('DELETE', s(id, '/spam'), supervisor);
    assert.equal(r.status, 200);
    assert.equal(r.body._state, 'Waiting');
    assert.equal(r.body._userId, null);
    assert.equal(r.body._priority, 'Medium');
    const last = (await payloads(id)).at(-1)!;
    assert.equal(last.kind, 'SessionReassigned');
    assert.equal(last.from.operator, 'carol');
    assert.equal(last.to.operator, null);
  });

  it("unmarking is only for the last session of the client's chain (409)", async () => {
    const { id, account } = await takenByAlice();
    assert.equal((await call('PUT', s(id, '/spam'), alice)).status, 200);
    const next = await w.openSession(account, 'not spam, promise');
    assert.equal(next.status, 201, 'spam released the guard: a new session opens');
    const beforeItems = await snapshot(host);
    const r = await call('DELETE', s(id, '/spam'), supervisor);
    assert.equal(r.status, 409);
    assert.match(r.body.detail, new RegExp(next.session.__id));
    assert.deepEqual(await snapshot(host), beforeItems);
  });
});

describe('offline operators', () => {
  it('can read but cannot take, close, spam, reassign or create (403)', async () => {
    const dave = await w.operator('dave');
    const mine = await waiting();
    assert.equal((await call('POST', s(mine.id, '/assign'), dave, { operator: 'dave' })).status, 200);
    const queued = await waiting();
    await w.operator('dave', { online: false });
    assert.equal((await call('GET', s(mine.id), dave)).status, 200);
    assert.equal((await call('GET', s(mine.id, '/messages'), dave)).status, 200);
    const beforeItems = await snapshot(host);
    assert.equal((await call('POST', s(queued.id, '/assign'), dave, { operator: 'dave' })).status, 403);
    assert.equal((await call('POST', s(mine.id, '/close'), dave)).status, 403);
    assert.equal((await call('PUT', s(mine.id, '/spam'), dave)).status, 403);
    assert.equal((await call('POST', s(mine.id, '/assign'), dave, { operator: 'alice' })).status, 403);
    assert.equal((await call('POST', s(mine.id, '/messages'), dave, { type: 'text', body: 'x' })).status, 403);
    assert.equal((await call('POST', '/v1/sessions', dave, { channel: w.channel.__id, account: 'new-one' })).status, 403);
    assert.deepEqual(await snapshot(host), beforeItems);
  });
});

describe('save, priority, history', () => {
  it('refuses any field but __name and _apps with 400 naming it, writing nothing', async () => {
    const { id } = await takenByAlice();
    const beforeItems = await snapshot(host);
    const r = await call('PATCH', s(id), alice, { __name: 'ok', _state: 'Closed', _priority: 'High' });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.errors.map((e: { path: string }) => e.path).sort(), ['_priority', '_state']);
    assert.deepEqual(await snapshot(host), beforeItems);
  });

  it('normalizes _apps (no duplicates) and records name and apps in the history', async () => {
    const { id } = await takenByAlice();
    const deal = { code: 'deals', id: 'd-1' };
    const r = await call('PATCH', s(id), alice, { __name: 'Refund', _apps: [deal, deal, { code: 'deals', id: 'd-2' }, deal] });
    assert.equal(r.status, 200);
    assert.equal(r.body.__name, 'Refund');
    assert.deepEqual(r.body._apps, [deal, { code: 'deals', id: 'd-2' }]);
    const last = (await payloads(id)).at(-1)!;
    assert.deepEqual(
      last.changes.map((c: { field: string }) => c.field),
      ['__name', '_apps'],
    );
    const same = await call('PATCH', s(id), alice, { __name: 'Refund' });
    assert.equal(same.status, 200);
    assert.equal((await payloads(id)).length, 3, 'no change, no history entry');
  });

  it('sets and clears the priority; an invalid one is 400', async () => {
    const { id } = await takenByAlice();
    const set = await call('PUT', s(id, '/priority'), alice, { priority: 'Low' });
    assert.equal(set.body._priority, 'Low');
    const cleared = await call('PUT', s(id, '/priority'), alice, { priority: null });
    assert.equal(cleared.status, 200);
    assert.equal(cleared.body._priority, null);
    assert.equal((await call('PUT', s(id, '/priority'), alice, { priority: 'Urgent' })).status, 400);
    assert.equal((await call('PUT', s(id, '/priority'), bob, { priority: 'High' })).status, 403);
    const changes = (await payloads(id)).slice(-2).map((p) => p.changes[0]);
    assert.deepEqual(changes, [
      { field: '_priority', old: null, new: 'Low' },
      { field: '_priority', old: 'Low', new: null },
    ]);
  });

  it('tells the whole story in order through GET messages', async () => {
    const { id } = await waiting();
    await call('POST', s(id, '/assign'), alice, { operator: 'alice' });
    await call('POST', s(id, '/messages'), alice, { type: 'text', body: 'How can I help?' });
    await call('PUT', s(id, '/priority'), alice, { priority: 'High' });
    await call('POST', s(id, '/assign'), alice, { group: 'support' });
    await call('POST', s(id, '/assign'), bob, { operator: 'bob' });
    await call('POST', s(id, '/close'), bob);
    const story = (await history(id)).map((m) => (m.type === 'payload' ? `${m.payload!.command}` : `${m.author}:${m.body}`));
    assert.deepEqual(story, [
      'create',
      'client:hello',
      'assignToOperator',
      'operator:How can I help?',
      'setPriority',
      'assignToOperatorGroup',
      'assignToOperator',
      'close',
    ]);
    const entries = await history(id);
    assert.ok(entries.filter((m) => m.type === 'payload').every((m) => m.author === 'system'));
  });
});

describe('messages', () => {
  it('pages with from and size (default 10, at most 10,000) and returns the last one', async () => {
    const { id, account } = await waiting();
    for (let i = 1; i <= 12; i++) await w.openSession(account, `m${i}`);
    const all = await call('GET', s(id, '/messages?size=100'), alice);
    assert.equal(all.body.length, 14, 'history + hello + 12');
    const first = await call('GET', s(id, '/messages'), alice);
    assert.equal(first.body.length, 10);
    const page = await call('GET', s(id, '/messages?from=3&size=2'), alice);
    assert.deepEqual(
      page.body.map((m: { body: string }) => m.body),
      ['m2', 'm3'],
    );
    assert.equal((await call('GET', s(id, '/messages?size=10001'), alice)).status, 400);
    assert.equal((await call('GET', s(id, '/messages?from=-1'), alice)).status, 400);
    const last = await call('GET', s(id, '/messages/last'), alice);
    assert.equal(last.status, 200);
    assert.equal(last.body.body, 'm12');
    const stranger = await host.token({ sub: 'x', roles: ['operator'], groups: ['sales'] });
    assert.equal((await call('GET', s(id, '/messages'), stranger)).status, 404);
  });

  it('text replies by the assignee only; system notes only on active sessions', async () => {
    const queued = await waiting();
    assert.equal((await call('POST', s(queued.id, '/messages'), alice, { type: 'text', body: 'x' })).status, 409);
    const note = await call('POST', s(queued.id, '/messages'), supervisor, { type: 'system', body: 'VIP, be nice' });
    assert.equal(note.status, 201);
    assert.equal(note.body.type, 'system');
    const { id } = await takenByAlice();
    const reply = await call('POST', s(id, '/messages'), alice, { type: 'text', body: 'Hi!' });
    assert.equal(reply.status, 201);
    assert.equal(reply.body.author, 'operator');
    assert.equal(reply.body.operator, 'alice');
    assert.equal((await call('POST', s(id, '/messages'), bob, { type: 'text', body: 'me?' })).status, 403);
    assert.equal((await call('POST', s(id, '/messages'), supervisor, { type: 'text', body: 'me?' })).status, 403);
    await call('POST', s(id, '/close'), alice);
    const late = await call('POST', s(id, '/messages'), alice, { type: 'system', body: 'after close' });
    assert.equal(late.status, 409);
    assert.equal((await call('POST', s(id, '/messages'), alice, { type: 'payload', body: 'x' })).status, 400);
  });
});

describe('channels', () => {
  it('disconnects and reconnects a reconnectable channel; inbound is refused meanwhile', async () => {
    const ch = await call('POST', '/v1/channels', w.admin, { _line: w.line.__id, _type: 'telegramBot', __name: 'bot channel' });
    const id = ch.body.__id;
    assert.equal((await call('POST', `/v1/channels/${id}/disconnect`, alice)).status, 403);
    const d = await call('POST', `/v1/channels/${id}/disconnect`, supervisor);
    assert.equal(d.status, 200);
    assert.equal(d.body._state, 'disconnected');
    assert.equal((await call('POST', `/v1/channels/${id}/disconnect`, supervisor)).status, 409);
    const beforeItems = await snapshot(host);
    const inbound = await call('POST', `/v1/channels/${id}/inbound`, w.admin, { account: 'u', body: 'hi' });
    assert.equal(inbound.status, 409);
    assert.match(inbound.body.detail, /disconnected/);
    assert.deepEqual(await snapshot(host), beforeItems);
    const r = await call('POST', `/v1/channels/${id}/reconnect`, w.admin);
    assert.equal(r.status, 200);
    assert.equal(r.body._state, 'active');
    assert.equal((await call('POST', `/v1/channels/${id}/inbound`, w.admin, { account: 'u', body: 'hi' })).status, 201);
  });

  it('refuses reconnecting other channel types with the reason (409)', async () => {
    const ch = await call('POST', '/v1/channels', w.admin, { _line: w.line.__id, _type: 'whatsapp', __name: 'wa' });
    assert.equal((await call('POST', `/v1/channels/${ch.body.__id}/disconnect`, w.admin)).status, 200);
    const r = await call('POST', `/v1/channels/${ch.body.__id}/reconnect`, w.admin);
    assert.equal(r.status, 409);
    assert.match(r.body.detail, /whatsapp channels cannot be reconnected/);
  });
});

describe('clients', () => {
  it("links _applicationItem only to the line's account app", async () => {
    const w2 = await world(host, { lineBody: { _accountApp: 'contacts' } });
    const { client } = await w2.openSession('linked');
    const wrong = await call('PATCH', `/v1/clients/${client.__id}`, w.admin, { _applicationItem: { code: 'deals', id: '1' } });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.errors[0].path, '_applicationItem.code');
    const r = await call('PATCH', `/v1/clients/${client.__id}`, w.admin, { _applicationItem: { code: 'contacts', id: 'c-1' } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body._applicationItem, { code: 'contacts', id: 'c-1' });
    const { client: other } = await w.openSession('unlinkable');
    const none = await call('PATCH', `/v1/clients/${other.__id}`, alice, { _applicationItem: { code: 'contacts', id: 'c-1' } });
    assert.equal(none.status, 400, 'the default line allows no account link');
    assert.equal((await call('PATCH', `/v1/clients/${other.__id}`, alice, { _username: 'x' })).status, 400);
  });

  it("a blocked client's new session opens straight in MarkedAsSpam", async () => {
    const { id, client, account } = await takenByAlice();
    assert.equal((await call('PATCH', `/v1/clients/${client}`, alice, { _blockedStatus: 'blocked' })).status, 403);
    const blocked = await call('PATCH', `/v1/clients/${client}`, supervisor, { _blockedStatus: 'blocked' });
    assert.equal(blocked.status, 200);
    assert.equal(blocked.body._blockedStatus, 'blocked');
    assert.equal((await call('POST', s(id, '/close'), alice)).status, 200);
    const next = await w.openSession(account, 'spam spam spam');
    assert.equal(next.status, 201);
    assert.equal(next.session._state, 'MarkedAsSpam');
  });
});

describe('cost', () => {
  it('take = 1 BatchGetItem (session + operator; line cached) + 1 transaction; GET = 1; a page of messages = 2', async () => {
    // Imported here, after the host set the log level (the store pulls in the logger).
    const { resetUsage, usage } = await import('../../infra/local/dynamodb-calls.ts');
    const { id } = await waiting();
    await call('GET', s(id), alice); // warm the line cache
    resetUsage();
    assert.equal((await call('POST', s(id, '/assign'), alice, { operator: 'alice' })).status, 200);
    assert.equal(usage.calls, 2);
    resetUsage();
    assert.equal((await call('GET', s(id), alice)).status, 200);
    assert.equal(usage.calls, 1);
    resetUsage();
    assert.equal((await call('GET', s(id, '/messages'), alice)).status, 200);
    assert.equal(usage.calls, 2);
    // An inbound message into an open session, on an instance that put the client's last
    // message there: one batch (channel, client, guards, that session), one transaction.
    await w.openSession('cost-client');
    resetUsage();
    const more = await w.openSession('cost-client', 'again');
    assert.equal(more.status, 200);
    assert.equal(usage.calls, 2);
    // A cold instance: channel + account guard (one batch), client + open guard (one batch),
    // the session, one transaction.
    const { forgetInboundTargets } = await import('../../lib/app/sessions/open.ts');
    forgetInboundTargets();
    resetUsage();
    assert.equal((await w.openSession('cost-client', 'cold')).status, 200);
    assert.equal(usage.calls, 4);
    // The hint is never trusted: once the session is closed, the next message opens a new one.
    assert.equal((await call('POST', s(more.session.__id, '/assign'), alice, { operator: 'alice' })).status, 200);
    const closed = await call('POST', s(more.session.__id, '/close'), alice);
    assert.equal(closed.status, 200, JSON.stringify(closed.body));
    const fresh = await w.openSession('cost-client', 'after close');
    assert.equal(fresh.status, 201);
    assert.notEqual(fresh.session.__id, more.session.__id);
  });
});

describe('idempotency', () => {
  it('a repeat returns the first response and writes nothing; a different body is 409', async () => {
    const { id } = await waiting();
    const headers = { 'idempotency-key': `take-${id}` };
    const first = await call('POST', s(id, '/assign'), alice, { operator: 'alice' }, headers);
    assert.equal(first.status, 200);
    const beforeItems = await snapshot(host);
    const again = await call('POST', s(id, '/assign'), alice, { operator: 'alice' }, headers);
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, first.body);
    assert.deepEqual(await snapshot(host), beforeItems);
    const other = await call('POST', s(id, '/assign'), alice, { operator: 'bob' }, headers);
    assert.equal(other.status, 409);
    assert.deepEqual(await snapshot(host), beforeItems);
  });

  it('holds on every mutating session, channel and client route', async () => {
    const { id, client } = await takenByAlice();
    const key = (n: string) => ({ 'idempotency-key': `${n}-${id}` });
    const steps: [string, string, string, unknown?][] = [
      ['PUT', s(id, '/priority'), 'prio', { priority: 'High' }],
      ['PATCH', s(id), 'save', { __name: 'Renamed' }],
      ['POST', s(id, '/messages'), 'msg', { type: 'text', body: 'once' }],
      ['PUT', s(id, '/spam'), 'spam'],
      ['DELETE', s(id, '/spam'), 'unspam'],
      ['PATCH', `/v1/clients/${client}`, 'client', { _applicationItem: null }],
      ['POST', s(id, '/close'), 'close'],
    ];
    for (const [method, path, name, body] of steps) {
      const first = await call(method, path, alice, body, key(name));
      assert.ok(first.status < 300, `${name}: ${first.status} ${JSON.stringify(first.body)}`);
      const beforeItems = await snapshot(host);
      const again = await call(method, path, alice, body, key(name));
      assert.equal(again.status, first.status, name);
      assert.deepEqual(again.body, first.body, name);
      assert.deepEqual(await snapshot(host), beforeItems, name);
    }
  });
});
