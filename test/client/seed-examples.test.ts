/**
 * Every code example of the two seed documents (/work/shared/seeds: the SDK page of the Live
 * Chat session object, and the SDK's Live Chats module page), written as in the seed with
 * `System.lines` being the typed client, run against the local host. Each test quotes the
 * first line of the example it reproduces. `Context.data` stands for the platform's script
 * context: refs and values the test sets up first.
 *
 * Order matters where an example acts on "the first" match of a broad search (disconnecting
 * "the first active channel"): those run last, after the examples that need the channel.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type AppItemRef,
  createLinesClient,
  type LineChannelItemRef,
  LineChannelState,
  LineChannelType,
  LineMetricType,
  type LineSessionItemRef,
  LineSessionPriority,
  LineSessionState,
  type LinesClient,
} from '../../lib/client/index.ts';
import { type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';
import { checkedFetch } from '../support/openapi-check.ts';

let host: TestHost;
let w: World;
/** `System` of an admin's script. */
let System: { lines: LinesClient };
/** `System` of a script run on behalf of operator alice (online, group `support`). */
let AsAlice: { lines: LinesClient };

before(async () => {
  host = await startTestHost();
  w = await world(host, { lineBody: { _accountApp: 'contacts', _sessionApps: ['leads'] } });
  // Every answer the client receives is also checked against the OpenAPI document.
  const fetch = checkedFetch();
  System = { lines: createLinesClient({ baseUrl: host.url, token: w.admin, fetch }) };
  AsAlice = { lines: createLinesClient({ baseUrl: host.url, token: await w.operator('alice'), fetch }) };
});
after(() => host.close());

/** A Waiting session of a new client (inbound message), then assigned to alice. */
async function aliceSession(account: string): Promise<string> {
  const { session } = await w.openSession(account, `hello from ${account}`);
  await System.lines.sessions.ref(session.__id).assignToOperator('alice');
  return session.__id;
}

const state = async (id: string) => (await System.lines.sessions.ref(id).fetch()).data;

describe('seed: the Live Chat session object (LineSessionItemRef)', () => {
  it('close: "await Context.data.session.close();"', async () => {
    const id = await aliceSession('close-1');
    // Executed on behalf of the operator assigned to the session.
    const Context = { data: { session: AsAlice.lines.sessions.ref(id) } };
    await Context.data.session.close();
    assert.equal((await state(id))._state, LineSessionState.Closed);
    // "Other users cannot close the session."
    const other = await aliceSession('close-2');
    const Admin = { data: { session: System.lines.sessions.ref(other) } };
    await assert.rejects(Admin.data.session.close(), { name: 'ChatlinesApiError', status: 403 });
  });

  it('getLastMessage: "const lastMessage = await Context.data.session. getLastMessage();"', async () => {
    const { session } = await w.openSession('last-1', 'first words');
    await w.openSession('last-1', 'last words');
    const Context = { data: { session: System.lines.sessions.ref(session.__id) } };
    const lastMessage = await Context.data.session.getLastMessage();
    assert.equal(lastMessage.data.body, 'last words');
    assert.equal(lastMessage.data.author, 'client');
  });

  it('markAsSpam: "await Context.data.session.markAsSpam();"', async () => {
    const { session } = await w.openSession('spam-1');
    const Context = { data: { session: System.lines.sessions.ref(session.__id) } };
    await Context.data.session.markAsSpam();
    assert.equal((await state(session.__id))._state, LineSessionState.MarkedAsSpam);
  });

  it('normalize: "const app1 = await Context.data.app1.fetch(); const app2 = await Context.data.app2 .fetch();"', async () => {
    // The seed's app items with an `executors` array become two sessions with `_apps` links.
    const a = await aliceSession('normalize-1');
    const b = await aliceSession('normalize-2');
    const lead = (id: string): AppItemRef => ({ code: 'leads', id });
    const s1 = await System.lines.sessions.ref(a).fetch();
    s1.data._apps.push(lead('L1'), lead('L2'));
    await s1.save();
    const s2 = await System.lines.sessions.ref(b).fetch();
    s2.data._apps.push(lead('L2'), lead('L3'));
    await s2.save();
    const Context = { data: { app1: System.lines.sessions.ref(a), app2: System.lines.sessions.ref(b) } };

    const app1 = await Context.data.app1.fetch();
    const app2 = await Context.data.app2.fetch();
    app1.data._apps.push(...app2.data._apps);
    app1.normalize();
    // Now we need to go over the elements in the new array
    const seen: string[] = [];
    app1.data._apps.forEach((app) => seen.push(app.id));
    assert.deepEqual(seen, ['L1', 'L2', 'L3']);
  });

  it('save: "const session = await Context.data.session.fetch(); session.data.__name = \'new session name\';"', async () => {
    const id = await aliceSession('save-1');
    const Context = { data: { session: AsAlice.lines.sessions.ref(id), lead: { code: 'leads', id: 'lead-1' } as AppItemRef } };
    const session = await Context.data.session.fetch();
    session.data.__name = 'new session name';
    session.data._apps.push(Context.data.lead);
    await session.save();
    const saved = await state(id);
    assert.equal(saved.__name, 'new session name');
    assert.deepEqual(saved._apps, [{ code: 'leads', id: 'lead-1' }]);
  });

  it('setPriority: "await Context.data.session.setPriority(LineSessionPriority. Low);"', async () => {
    const id = await aliceSession('priority-1');
    const Context = { data: { session: AsAlice.lines.sessions.ref(id) } };
    await Context.data.session.setPriority(LineSessionPriority.Low);
    assert.equal((await state(id))._priority, LineSessionPriority.Low);
    await Context.data.session.setPriority();
    assert.equal((await state(id))._priority, null);
  });

  it('unmarkAsSpam: "await Context.data.session.unmarkAsSpam();"', async () => {
    const id = await aliceSession('unspam-1');
    const Context = { data: { session: System.lines.sessions.ref(id) } };
    await Context.data.session.markAsSpam();
    await Context.data.session.unmarkAsSpam();
    // "The session is assigned to the operator who previously worked on it or added to the queue."
    const restored = await state(id);
    assert.equal(restored._state, LineSessionState.AssignedToOperator);
    assert.equal(restored._userId, 'alice');
  });
});

describe('seed: Live Chats (System.lines)', () => {
  it('lines: "const line = await System.lines. lines.search() .where((f, g) => g.and( f.__deletedAt.eq(null), f.__name.eq(\'Some live chat\'), )) .first();"', async () => {
    const created = await System.lines.lines.create({ __name: 'Some live chat', _operatorGroups: ['support'] });

    const line = await System.lines.lines
      .search()
      .where((f, g) => g.and(f.__deletedAt.eq(null), f.__name.eq('Some live chat')))
      .first();

    assert.equal(line.id, created.id);
    assert.equal(line.data.__name, 'Some live chat');
  });

  it('clients: "// Search for a `telegram` type channel const channel = await System.lines.channels.search()"', async () => {
    const opened = await w.openSession('telegram_username');

    // Search for a `telegram` type channel
    const channel = await System.lines.channels
      .search()
      .where((f, g) => g.and(f.__deletedAt.eq(null), f._type.eq(LineChannelType.telegram)))
      .first();
    // Search for a client linked with the channel
    const client = await System.lines.clients
      .search()
      .where((f, g) => g.and(f.__deletedAt.eq(null), f._channel.eq(channel), f._username.eq('telegram_username')))
      .first();

    assert.equal(channel.id, w.channel.__id);
    assert.equal(client.id, opened.client.__id);
  });

  it('link an app item: "const contact = Context. data.contact!; const client = await System.lines.clients.search()"', async () => {
    await w.openSession('telegram_username');
    // A platform app item ref carries more than `{ code, id }`; only those two travel.
    const Context: { data: { contact?: AppItemRef } } = { data: { contact: { code: 'contacts', id: 'contact-7', namespace: 'crm' } as AppItemRef } };

    const contact = Context.data.contact!;
    const client = await System.lines.clients
      .search()
      .where((f, g) => g.and(f.__deletedAt.eq(null), f._username.eq('telegram_username')))
      .first();
    client.data._applicationItem = contact;
    await client.save();

    const again = await System.lines.clients.ref(client.id).fetch();
    assert.deepEqual(again.data._applicationItem, { code: 'contacts', id: 'contact-7' });
  });

  it('sessions of a client: "const client = await System.lines.clients.search() .where((f, g) => g.and( f. __deletedAt.eq(null), f._username.eq(\'telegram_username\'), )) .first(); const session = ..."', async () => {
    const opened = await w.openSession('telegram_username');

    const client = await System.lines.clients
      .search()
      .where((f, g) => g.and(f.__deletedAt.eq(null), f._username.eq('telegram_username')))
      .first();
    const session = await System.lines.sessions
      .search()
      .where((f, c) => c.and(f.__deletedAt.eq(null), f._clients.all([client]), f._state.neq(LineSessionState.Closed)))
      .first();

    assert.equal(session.id, opened.session.__id);
  });

  it('create: "const contact = await Context.data.contact. fetch(); const account = contact.data._account[0].login;"', async () => {
    // A CRM contact with its messenger accounts (an app item of the platform, not of chatlines).
    const Context = {
      data: {
        contact: { fetch: async () => ({ data: { _account: [{ login: 'new_client_account' }] as [{ login: string }] } }) },
        channel: AsAlice.lines.channels.ref(w.channel.__id) as LineChannelItemRef,
      },
    };
    // "To create a new session on behalf of the operator": the script runs as alice.
    const System = AsAlice;

    const contact = await Context.data.contact.fetch();
    const account = contact.data._account[0].login;
    const newSession = await System.lines.sessions.create(Context.data.channel, account);

    assert.equal(newSession.data._state, LineSessionState.AssignedToOperator);
    assert.equal(newSession.data._userId, 'alice');
    assert.equal(newSession.data._channel, w.channel.__id);
  });

  it('assign: "const session = await System.lines.sessions.search() .where((f,c) => c.and( f. __deletedAt.eq(null), f.__id.eq(Context.data.sessionId!), )) .first(); await session.assignToOperator(Context.data.user);"', async () => {
    const { session: opened } = await w.openSession('assign-1');
    const Context: { data: { sessionId?: string; user: { id: string } } } = { data: { sessionId: opened.__id, user: { id: 'alice' } } };

    const session = await System.lines.sessions
      .search()
      .where((f, c) => c.and(f.__deletedAt.eq(null), f.__id.eq(Context.data.sessionId!)))
      .first();
    await session.assignToOperator(Context.data.user);

    assert.equal(session.data._state, LineSessionState.AssignedToOperator);
    const stored = await state(opened.__id);
    assert.equal(stored._userId, 'alice');
    assert.ok(stored._acceptedAt);
  });

  it('last message: "const session = await System.lines.sessions.search() .where((f,c) => c.and( f. __deletedAt.eq(null), f.__id.eq(Context.data.sessionId!), )) .first(); const lastMessage = await session. getLastMessage();"', async () => {
    const { session: opened } = await w.openSession('last-2', 'one');
    await w.openSession('last-2', 'two');
    const Context: { data: { sessionId?: string } } = { data: { sessionId: opened.__id } };

    const session = await System.lines.sessions
      .search()
      .where((f, c) => c.and(f.__deletedAt.eq(null), f.__id.eq(Context.data.sessionId!)))
      .first();
    const lastMessage = await session.getLastMessage();

    assert.equal(lastMessage.data.body, 'two');
    assert.equal(lastMessage.data.session, opened.__id);
  });

  it('system message: "const session = await System.lines.sessions.search() . where((f,c) => c.and( f.__deletedAt.eq(null), f.__id. eq(Context.data.sessionId!), )) .first(); const message = session. sendSystemMessage(\'Priority changed to High\');"', async () => {
    const id = await aliceSession('system-1');
    const Context: { data: { sessionId?: string } } = { data: { sessionId: id } };

    const session = await System.lines.sessions
      .search()
      .where((f, c) => c.and(f.__deletedAt.eq(null), f.__id.eq(Context.data.sessionId!)))
      .first();
    const message = session.sendSystemMessage('Priority changed to High');

    // The seed does not await; the promise resolves to the message.
    const sent = await message;
    assert.equal(sent.data.type, 'system');
    assert.equal(sent.data.body, 'Priority changed to High');
    const all = await session.getAllMessages(0, 100);
    assert.ok(all.some((m) => m.id === sent.id));
  });

  it('mark as spam: "const session = await System.lines.sessions.search() .where((f,c) => c.and( f. __deletedAt.eq(null), f.__id.eq(Context.data.sessionId!), )) .first(); await session.markAsSpam();"', async () => {
    const { session: opened } = await w.openSession('spam-2');
    const Context: { data: { sessionId?: string } } = { data: { sessionId: opened.__id } };

    const session = await System.lines.sessions
      .search()
      .where((f, c) => c.and(f.__deletedAt.eq(null), f.__id.eq(Context.data.sessionId!)))
      .first();
    await session.markAsSpam();

    assert.equal((await state(opened.__id))._state, LineSessionState.MarkedAsSpam);
  });

  it('unmark spam: "const session = await System.lines.sessions.search() .where((f,c) => c.and( f.__deletedAt.eq(null), f.__id.eq(Context.data.sessionId!) , )) .first(); await session.unmarkAsSpam();"', async () => {
    const { session: opened } = await w.openSession('unspam-2');
    await System.lines.sessions.ref(opened.__id).markAsSpam();
    const Context: { data: { sessionId?: string } } = { data: { sessionId: opened.__id } };

    const session = await System.lines.sessions
      .search()
      .where((f, c) => c.and(f.__deletedAt.eq(null), f.__id.eq(Context.data.sessionId!)))
      .first();
    await session.unmarkAsSpam();

    // Nobody worked on it before: back into the queue.
    assert.equal((await state(opened.__id))._state, LineSessionState.Waiting);
  });

  // ---- channels last: they act on "the first active channel" of a broad search.

  it('inactive channels: "const inactiveChannels = await System.lines. channels.search() .where((f, g) => g.and( f.__deletedAt. eq(null), f._state.neq(LineChannelState.active), )) . all();"', async () => {
    const off = await System.lines.channels.create({ _line: w.line.__id, _type: LineChannelType.whatsapp, __name: 'off' });
    await off.disconnect();

    const inactiveChannels = await System.lines.channels
      .search()
      .where((f, g) => g.and(f.__deletedAt.eq(null), f._state.neq(LineChannelState.active)))
      .all();

    assert.ok(inactiveChannels.some((c) => c.id === off.id));
    assert.ok(inactiveChannels.every((c) => c.data._state !== LineChannelState.active));
  });

  it('disconnect: "const channel = await System.lines.channels.search() .where((f, g) => g .and( f.__deletedAt.eq(null), f._state.eq(LineChannelState. active), )) .first(); await channel.disconnect();"', async () => {
    const activeBefore = await System.lines.channels
      .search()
      .where((f, g) => g.and(f.__deletedAt.eq(null), f._state.eq(LineChannelState.active)))
      .count();

    const channel = await System.lines.channels
      .search()
      .where((f, g) => g.and(f.__deletedAt.eq(null), f._state.eq(LineChannelState.active)))
      .first();
    await channel.disconnect();

    assert.equal(channel.data._state, LineChannelState.disconnected);
    assert.equal((await System.lines.channels.ref(channel.id).fetch()).data._state, LineChannelState.disconnected);
    const activeAfter = await System.lines.channels
      .search()
      .where((f, g) => g.and(f.__deletedAt.eq(null), f._state.eq(LineChannelState.active)))
      .count();
    assert.equal(activeAfter, activeBefore - 1);
  });

  it('reconnect: "// Search for disconnected channels of the types that can be activated const channels = await System.lines.channels.search()"', async () => {
    const bot = await System.lines.channels.create({ _line: w.line.__id, _type: LineChannelType.telegramBot, __name: 'bot' });
    const mail = await System.lines.channels.create({ _line: w.line.__id, _type: LineChannelType.inbox, __name: 'mail' });
    await bot.disconnect();
    await mail.disconnect();

    // Search for disconnected channels of the types that can be activated
    const channels = await System.lines.channels
      .search()
      .where((f, g) =>
        g.and(
          f.__deletedAt.eq(null),
          f._state.neq(LineChannelState.active),
          f._type.in([LineChannelType.inbox, LineChannelType.telegramBot, LineChannelType.viberbot, LineChannelType.livechat, LineChannelType.instagram]),
        ),
      )
      .size(100)
      .all();
    for (const channel of channels) {
      await channel.reconnect();
    }

    assert.deepEqual(channels.map((c) => c.id).sort(), [bot.id, mail.id].sort());
    for (const c of [bot, mail]) assert.equal((await c.fetch()).data._state, LineChannelState.active);
    // The other types stay disconnected (whatsapp cannot reconnect).
    const stillOff = await System.lines.channels
      .search()
      .where((f) => f._type.eq(LineChannelType.whatsapp))
      .first();
    assert.equal(stillOff.data._state, LineChannelState.disconnected);
    await assert.rejects(stillOff.reconnect(), { status: 409 });
  });
});

describe('beyond the seed: metrics (LineMetrics)', () => {
  it('reads a metric series of a line', async () => {
    const line = await System.lines.lines.ref(w.line.__id).fetch();
    const answer = await System.lines.metrics.get({ type: LineMetricType.processedSessions, line, granularity: 'day' });
    assert.equal(answer.line, w.line.__id);
    assert.deepEqual(
      answer.metrics.map((m) => m.type),
      [LineMetricType.processedSessions],
    );
  });
});

/** Keeps the import of the ref type used (the seed names it). */
export type SeedSessionRef = LineSessionItemRef;
