/**
 * A line whose hot partitions are sharded (LINE_SHARDS = 4): sessions spread over the
 * shards, and every reader — search (queue, open sessions, a channel's sessions, paging in
 * order), the queue position, routing's queue — merges them into the same answers an unsharded
 * line gives; a channel's clients likewise. Real HTTP through the local host over DynamoDB Local.
 */
process.env.LINE_SHARDS = '4';

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getItem } from '../../lib/adapters/dynamodb/db.ts';
import { clientKey, lineSessionsByStatePartition, lineUnclosedPartition, sessionKey, sharded } from '../../lib/adapters/dynamodb/keys.ts';
import { world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';

let host: TestHost;
let w: Awaited<ReturnType<typeof world>>;
let alice: string;
const ids: string[] = [];
const byState = new Map<string, Set<string>>();

const search = async (where: unknown, extra: Record<string, unknown> = {}) => {
  const r = await host.call('POST', '/v1/sessions/search', { token: w.admin, body: { where, size: 100, ...extra } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body as { items: { __id: string; _state: string; __createdAt: string }[]; total?: number; plan: { queries: number; index: string } };
};

before(async () => {
  host = await startTestHost();
  w = await world(host);
  alice = await w.operator('alice');
  for (let i = 0; i < 24; i++) ids.push((await w.openSession(`sharded-${i}`)).session.__id);
  // 8 taken by alice, 4 of those closed; the rest wait.
  for (const id of ids.slice(0, 8))
    assert.equal((await host.call('POST', `/v1/sessions/${id}/assign`, { token: alice, body: { operator: 'alice' } })).status, 200);
  for (const id of ids.slice(0, 4)) assert.equal((await host.call('POST', `/v1/sessions/${id}/close`, { token: alice })).status, 200);
  byState.set('Closed', new Set(ids.slice(0, 4)));
  byState.set('AssignedToOperator', new Set(ids.slice(4, 8)));
  byState.set('Waiting', new Set(ids.slice(8)));
});
after(() => host?.close());

describe('a sharded line (LINE_SHARDS = 4)', () => {
  it('spreads its sessions over the shards of each hot partition', async () => {
    const shards = new Set<string>();
    for (const id of byState.get('Waiting')!) {
      const item = (await getItem(sessionKey(id)))!;
      shards.add(String(item.gsi1pk));
      assert.ok([0, 1, 2, 3].map((n) => sharded(lineSessionsByStatePartition(w.line.__id, 'Waiting'), n)).includes(String(item.gsi1pk)), String(item.gsi1pk));
      assert.ok([0, 1, 2, 3].map((n) => sharded(lineUnclosedPartition(w.line.__id), n)).includes(String(item.gsi6pk)));
    }
    assert.ok(shards.size > 1, `16 waiting sessions in ${shards.size} shard(s)`);
  });

  it('answers the queue, the open sessions, a channel and an operator exactly, reading every shard', async () => {
    const ofLine = { eq: ['_line', w.line.__id] };
    const queue = await search({ and: [ofLine, { eq: ['_state', 'Waiting'] }] });
    assert.deepEqual(new Set(queue.items.map((s) => s.__id)), byState.get('Waiting'));
    assert.equal(queue.plan.queries >= 4, true, 'one Query per shard');
    const open = await search({ and: [ofLine, { eq: ['__deletedAt', null] }, { neq: ['_state', 'Closed'] }] });
    assert.deepEqual(new Set(open.items.map((s) => s.__id)), new Set([...byState.get('Waiting')!, ...byState.get('AssignedToOperator')!]));
    assert.equal(open.plan.index, 'gsi6');
    const channel = await search({ eq: ['_channel', w.channel.__id] }, { count: true });
    assert.equal(channel.total, 24);
    assert.deepEqual(new Set(channel.items.map((s) => s.__id)), new Set(ids));
    const mine = await search({ eq: ['_userId', 'alice'] });
    assert.deepEqual(new Set(mine.items.map((s) => s.__id)), new Set(ids.slice(0, 8)));
  });

  it('pages through the merged shards in order, newest first, without gaps or repeats', async () => {
    const seen: { __id: string; __createdAt: string }[] = [];
    for (let from = 0; from < 30; from += 5) {
      const r = await host.call('POST', '/v1/sessions/search', { token: w.admin, body: { where: { eq: ['_channel', w.channel.__id] }, from, size: 5 } });
      assert.equal(r.status, 200);
      seen.push(...r.body.items);
    }
    assert.equal(seen.length, 24);
    assert.equal(new Set(seen.map((s) => s.__id)).size, 24);
    const order = seen.map((s) => `${s.__createdAt}#${s.__id}`);
    assert.deepEqual(order, [...order].sort().reverse());
  });

  it("spreads a channel's clients over the shards and merges them: default order, by username, paging", async () => {
    const clients = async (where: unknown, extra: Record<string, unknown> = {}) => {
      const r = await host.call('POST', '/v1/clients/search', { token: w.admin, body: { where, size: 100, ...extra } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body as { items: { __id: string; _username: string; __createdAt: string }[]; total?: number; plan: { queries: number; index: string } };
    };
    const ofChannel = { eq: ['_channel', w.channel.__id] };
    const all = await clients(ofChannel);
    assert.equal(all.items.length, 24);
    assert.equal(all.plan.index, 'gsi2');
    assert.ok(all.plan.queries >= 4, 'one Query per shard');
    const order = all.items.map((c) => `${c.__createdAt}#${c.__id}`);
    assert.deepEqual(order, [...order].sort().reverse(), 'newest first across the shards');
    const shards = new Set(await Promise.all(all.items.map(async (c) => String((await getItem(clientKey(c.__id)))?.gsi1pk))));
    assert.ok(shards.size > 1, `24 clients in ${shards.size} shard(s)`);
    const bob = await clients({ and: [ofChannel, { eq: ['_username', 'sharded-7'] }] });
    assert.deepEqual(
      bob.items.map((c) => c._username),
      ['sharded-7'],
    );
    const paged: string[] = [];
    for (let from = 0; from < 30; from += 7) {
      const r = await host.call('POST', '/v1/clients/search', { token: w.admin, body: { where: ofChannel, from, size: 7 } });
      assert.equal(r.status, 200);
      paged.push(...r.body.items.map((c: { __id: string }) => c.__id));
    }
    assert.deepEqual(
      paged,
      all.items.map((c) => c.__id),
    );
  });

  it('places every waiting session in the queue once: positions 1..n across shards', async () => {
    const positions: number[] = [];
    for (const id of byState.get('Waiting')!) {
      const r = await host.call('GET', `/v1/sessions/${id}/queue`, { token: w.admin });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      positions.push(r.body.position);
    }
    assert.deepEqual(
      positions.sort((a, b) => a - b),
      Array.from({ length: 16 }, (_, i) => i + 1),
    );
  });
});
