/**
 * A page of a channel's clients in the default order stops early (gsi2 `CHANNEL#ch#CLIENTS`,
 * `<createdAt>#<id>`): the items read do not depend on how many clients the channel holds.
 * Two channels of the same line, 30 and 300 clients, against DynamoDB Local.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { putNew, transact } from '../../lib/adapters/dynamodb/db.ts';
import { channelItem, clientItem, lineItem } from '../../lib/adapters/dynamodb/items.ts';
import type { Channel, Client, Line } from '../../lib/contract/schemas.ts';
import { startTestHost, type TestHost } from '../support/host.ts';

let host: TestHost;
let admin: string;

const uuid = (n: number, kind: number) => `${String(kind).padStart(8, '0')}-0000-4000-8000-${String(n).padStart(12, '0')}`;
/** Few distinct instants, so `__id` has to break ties. */
const at = (minutes: number) => new Date(Date.UTC(2025, 0, 1, 9, 0) + minutes * 60_000).toISOString();
const base = (id: string, createdAt: string, name: string) => ({
  __id: id,
  __name: name,
  __createdAt: createdAt,
  __createdBy: 'seed',
  __updatedAt: createdAt,
  __updatedBy: 'seed',
  __deletedAt: null,
});

const line: Line = {
  ...base(uuid(1, 1), at(0), 'L'),
  _operatorGroups: ['g1'],
  _supervisorGroups: [],
  _botId: null,
  _accountApp: null,
  _sessionApps: [],
  _routing: { mode: 'manual', capacity: null, botFirst: false },
};
const small: Channel = { ...base(uuid(1, 2), at(0), 'small'), _line: line.__id, _type: 'telegram', _state: 'active', _deliveryUrl: null };
const large: Channel = { ...base(uuid(2, 2), at(0), 'large'), _line: line.__id, _type: 'telegram', _state: 'active', _deliveryUrl: null };
const clients: Client[] = [];

function makeClients(channel: Channel, count: number, offset: number) {
  for (let i = 0; i < count; i++) {
    clients.push({
      ...base(uuid(offset + i, 3), at(i % 40), `client-${offset + i}`),
      _line: channel._line,
      _channel: channel.__id,
      // Usernames run against creation order, so username order (gsi1) is not the page's order.
      _username: `user-${String(count - i).padStart(4, '0')}`,
      _applicationItem: null,
      _extraData: {},
      _blockedStatus: 'none',
    });
  }
}

before(async () => {
  host = await startTestHost();
  admin = await host.token({ sub: 'admin-1', roles: ['admin'], groups: [] });
  makeClients(small, 30, 1);
  makeClients(large, 300, 1001);
  const items = [lineItem(line), channelItem(small), channelItem(large), ...clients.map(clientItem)].map(putNew);
  for (let i = 0; i < items.length; i += 25) await transact(items.slice(i, i + 25), 'seed clients');
});
after(() => host.close());

/** The default order by hand: newest first, ties by id descending. */
const newestFirst = (channel: Channel) =>
  clients
    .filter((c) => c._channel === channel.__id)
    .sort((a, b) => (a.__createdAt === b.__createdAt ? (a.__id < b.__id ? 1 : -1) : a.__createdAt < b.__createdAt ? 1 : -1))
    .map((c) => c.__id);

async function page(channel: Channel, body: Record<string, unknown> = {}) {
  const r = await host.call('POST', '/v1/clients/search', { token: admin, body: { where: { eq: ['_channel', channel.__id] }, ...body } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body as { items: Client[]; total?: number; plan: { type: string; index: string; queries: number; itemsRead: number } };
}

describe("a page of a channel's clients", () => {
  it('reads about a page, whether the channel has 30 or 300 clients', async () => {
    const fromSmall = await page(small);
    const fromLarge = await page(large);
    assert.deepEqual(
      fromSmall.items.map((c) => c.__id),
      newestFirst(small).slice(0, 10),
    );
    assert.deepEqual(
      fromLarge.items.map((c) => c.__id),
      newestFirst(large).slice(0, 10),
    );
    for (const r of [fromSmall, fromLarge]) {
      assert.equal(r.plan.index, 'gsi2', JSON.stringify(r.plan));
      assert.equal(r.plan.queries, 1, JSON.stringify(r.plan));
    }
    assert.ok(fromLarge.plan.itemsRead <= 12, JSON.stringify(fromLarge.plan));
    assert.equal(fromLarge.plan.itemsRead, fromSmall.plan.itemsRead, JSON.stringify([fromSmall.plan, fromLarge.plan]));
  });

  it('a deeper page and the ascending order stop early too', async () => {
    const deep = await page(large, { from: 20, size: 10 });
    assert.deepEqual(
      deep.items.map((c) => c.__id),
      newestFirst(large).slice(20, 30),
    );
    assert.ok(deep.plan.itemsRead < 60, JSON.stringify(deep.plan));
    const oldest = await page(large, { sort: [{ field: '__createdAt', ascending: true }] });
    assert.deepEqual(
      oldest.items.map((c) => c.__id),
      newestFirst(large).reverse().slice(0, 10),
    );
    assert.ok(oldest.plan.itemsRead <= 12, JSON.stringify(oldest.plan));
  });

  it('a total still reads the whole channel (the bound above is the early stop, not a short partition)', async () => {
    const counted = await page(large, { count: true });
    assert.equal(counted.total, 300);
    assert.deepEqual(
      counted.items.map((c) => c.__id),
      newestFirst(large).slice(0, 10),
    );
    assert.ok(counted.plan.itemsRead >= 300, JSON.stringify(counted.plan));
  });
});
