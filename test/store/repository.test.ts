/**
 * The store layer against DynamoDB Local, without HTTP: guards, optimistic versions,
 * all-or-nothing transactions, message order and the round-trip counters.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { ensureTable } from '../../infra/local/dynamodb.ts';
import { resetUsage, usage } from '../../infra/local/dynamodb-calls.ts';
import { configureLocalEnvironment } from '../../infra/local/env.ts';
import { getItem, getItems, putNew, transact } from '../../lib/adapters/dynamodb/db.ts';
import { openSessionGuardKey } from '../../lib/adapters/dynamodb/keys.ts';
import { clientIdByAccount } from '../../lib/adapters/dynamodb/lines.ts';
import {
  appendMessages,
  commitSessionChange,
  findSession,
  insertSession,
  lastMessage,
  listMessages,
  OpenSessionRace,
  openSessionId,
  releaseOpenGuard,
  sessionUpdate,
  timersOf,
} from '../../lib/adapters/dynamodb/sessions.ts';
import { ChatlinesError } from '../../lib/contract/errors.ts';
import type { Client, Session } from '../../lib/contract/schemas.ts';
import { outboxFor } from '../../lib/domain/events/outbox.ts';
import { nowIso } from '../../lib/domain/ids.ts';
import { changed, historyMessage, newMessage, openSession } from '../../lib/domain/sessions/session.ts';

const LINE = randomUUID();
const CHANNEL = randomUUID();

before(async () => {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('run with npm test');
  const table = `test-store-${randomUUID()}`;
  await ensureTable(endpoint, table);
  configureLocalEnvironment(table, endpoint);
});

function client(account: string): Client {
  const now = nowIso();
  return {
    __id: randomUUID(),
    __name: account,
    __createdAt: now,
    __createdBy: 'test',
    __updatedAt: now,
    __updatedBy: 'test',
    __deletedAt: null,
    _line: LINE,
    _channel: CHANNEL,
    _username: account,
    _applicationItem: null,
    _extraData: {},
    _blockedStatus: 'none',
  };
}

async function open(account: string, existing?: Client): Promise<{ session: Session; client: Client }> {
  const c = existing ?? client(account);
  const session = openSession({ line: LINE, channel: CHANNEL, client: c.__id, state: 'Waiting', by: 'test', now: nowIso() });
  const messages = [historyMessage(null, session, 'create', 'test')];
  await insertSession({ session, ...(existing ? {} : { newClient: c }), guard: 'exclusive', messages, outbox: outboxFor(messages) });
  return { session, client: c };
}

describe('opening sessions', () => {
  it('writes the client, its account guard, the open-session guard, the session and its history together', async () => {
    const { session, client: c } = await open('alice');
    assert.equal(await clientIdByAccount(CHANNEL, 'alice'), c.__id);
    assert.equal(await openSessionId(CHANNEL, c.__id), session.__id);
    assert.equal((await findSession(session.__id))?._state, 'Waiting');
    assert.equal((await listMessages(session.__id, 0, 10)).length, 1);
  });

  it('refuses a second open session for the same client and channel, and writes none of it', async () => {
    const { client: c } = await open('bob');
    const second = openSession({ line: LINE, channel: CHANNEL, client: c.__id, state: 'Waiting', by: 'test', now: nowIso() });
    await assert.rejects(
      insertSession({ session: second, guard: 'exclusive', messages: [historyMessage(null, second, 'create', 'test')], outbox: [] }),
      (e: unknown) => e instanceof OpenSessionRace && e.guardTaken,
    );
    assert.equal(await findSession(second.__id), undefined, 'no half-written session');
    assert.deepEqual(await listMessages(second.__id, 0, 10), [], 'no orphan history');
  });

  it('refuses a second client for the same account (the account guard)', async () => {
    await open('carol');
    await assert.rejects(open('carol'), (e: unknown) => e instanceof OpenSessionRace && e.clientTaken);
  });
});

describe('changing sessions', () => {
  it('commits at the version it read; a stale version is a conflict and writes nothing', async () => {
    const { session } = await open('dave');
    const now = nowIso();
    const a = changed(session, { _priority: 'High' }, 'op-a', now);
    const b = changed(session, { _priority: 'Low' }, 'op-b', now);
    const won = historyMessage(session, a, 'setPriority', 'op-a');
    await commitSessionChange({ before: session, after: a, messages: [won], outbox: outboxFor([won]) });
    const loser = historyMessage(session, b, 'setPriority', 'op-b');
    await assert.rejects(
      commitSessionChange({ before: session, after: b, messages: [loser], outbox: outboxFor([loser]) }),
      (e: unknown) => e instanceof ChatlinesError && e.kind === 'conflict',
    );
    const stored = await findSession(session.__id);
    assert.equal(stored?._priority, 'High');
    assert.equal(stored?._version, 2);
    const history = await listMessages(session.__id, 0, 10);
    assert.equal(history.length, 2, 'the loser left no history message');
    assert.ok(!history.some((m) => m.__id === loser.__id));
  });

  it('closing releases the guard in the same transaction; appending to a closed session is refused', async () => {
    const { session, client: c } = await open('erin');
    const closed = changed(session, { _state: 'Closed', _closedAt: nowIso() }, 'op', nowIso());
    const history = [historyMessage(session, closed, 'close', 'op')];
    await commitSessionChange({ before: session, after: closed, messages: history, guardItems: [releaseOpenGuard(session)], outbox: outboxFor(history) });
    assert.equal(await getItem(openSessionGuardKey(CHANNEL, c.__id)), undefined);
    const message = newMessage({ session: session.__id, type: 'text', author: 'client', body: 'late', client: c.__id, now: nowIso() });
    await assert.rejects(
      appendMessages(closed, [message], ['Waiting', 'AssignedToBot', 'AssignedToOperator'], { outbox: outboxFor([message]) }),
      (e: unknown) => e instanceof ChatlinesError && e.kind === 'conflict',
    );
  });

  it('an extra item whose condition fails cancels the whole change', async () => {
    const { session } = await open('frank');
    const taken = { pk: `TEST#${randomUUID()}`, sk: '#X' };
    await commitSessionChange({ before: session, after: changed(session, {}, 'x', nowIso()), messages: [], extra: [putNew(taken)], outbox: [] });
    const after = (await findSession(session.__id))!;
    const next = changed(after, { __name: 'renamed' }, 'x', nowIso());
    await assert.rejects(commitSessionChange({ before: after, after: next, messages: [], extra: [putNew(taken)], outbox: [] }));
    assert.notEqual((await findSession(session.__id))?.__name, 'renamed');
  });
});

describe('messages', () => {
  it('come back in order, with from/size, and the last one by one Query', async () => {
    const { session, client: c } = await open('gina');
    for (let i = 0; i < 12; i++) {
      const message = newMessage({ session: session.__id, type: 'text', author: 'client', body: `m${i}`, client: c.__id, now: nowIso() });
      await appendMessages(session, [message], ['Waiting'], { outbox: outboxFor([message]) });
    }
    const all = await listMessages(session.__id, 0, 100);
    assert.deepEqual(
      all.slice(1).map((m) => m.body),
      Array.from({ length: 12 }, (_, i) => `m${i}`),
    );
    assert.deepEqual(
      (await listMessages(session.__id, 3, 4)).map((m) => m.body),
      ['m2', 'm3', 'm4', 'm5'],
    );
    resetUsage();
    assert.equal((await lastMessage(session.__id))?.body, 'm11');
    assert.equal(usage.calls, 1);
  });
});

describe('batch reads', () => {
  it('a key named twice is read once and answered at both positions (BatchGetItem refuses duplicates)', async () => {
    const a = { pk: `DUP#${randomUUID()}`, sk: '#A' };
    const b = { pk: `DUP#${randomUUID()}`, sk: '#B' };
    await transact([putNew({ ...a, entity: 'test', n: 1 }), putNew({ ...b, entity: 'test', n: 2 })], 'test items');
    const items = await getItems([a, b, a, { pk: 'DUP#none', sk: '#X' }]);
    assert.deepEqual(
      items.map((i) => i?.n),
      [1, 2, 1, undefined],
    );
    const same = await getItems([b, b]);
    assert.deepEqual(
      same.map((i) => i?.n),
      [2, 2],
    );
  });
});

describe('timer state', () => {
  it('travels with the session read, in a copy too; a clock condition guards the clock it names', async () => {
    const { session } = await open('hank');
    const none = { firstReplyAt: null, lastReplyAt: null, waitingSince: null, clientAt: null, heldSince: null, clocks: {}, fired: {} };
    const at = nowIso();
    const timers = { ...none, waitingSince: at, clientAt: at, clocks: { resolution: `${at}#clock` } };
    const after = changed(session, {}, 'x', nowIso());
    await commitSessionChange({ before: session, after, messages: [], outbox: [], timers: { before: none, after: timers } });
    const read = (await findSession(session.__id))!;
    assert.deepEqual(timersOf({ ...read, __name: 'a copy' }), timers);
    await assert.rejects(
      transact([sessionUpdate(session.__id).clockIs('resolution', 'another clock').stopClock('resolution').item()], 'the clock was restarted'),
      (e: unknown) => e instanceof ChatlinesError && e.kind === 'conflict',
    );
    await transact([sessionUpdate(session.__id).clockIs('resolution', `${at}#clock`).stopClock('resolution').item()], 'the clock was restarted');
    assert.deepEqual(timersOf(await findSession(session.__id)), { ...timers, clocks: {} });
  });
});
