/**
 * The accounting of the busiest-partition simulation (bench/partitions-model.ts): item sizes,
 * where each write lands and what it costs there, by DynamoDB's rules, with concrete numbers;
 * then the same writes made on DynamoDB Local with ReturnConsumedCapacity INDEXES, whose
 * per-table and per-index figures the model must reproduce (KEYS_ONLY, INCLUDE and ALL).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  type ConsumedCapacity,
  CreateTableCommand,
  DeleteItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  accountWrites,
  batchGetReads,
  changeWrites,
  type Image,
  itemSize,
  localTransactionUnits,
  normalizePartition,
  numberSize,
  type PartitionUnits,
  partitionPattern,
  projectionOf,
  queryPartition,
  type StreamChange,
  shardOf,
  singleRead,
  type TableSpec,
  tableSpecOf,
  toImage,
  unitsPerSecond,
  type WriteOp,
  withDefinedProjections,
} from '../../bench/partitions-model.ts';
import { localClient } from '../../infra/local/dynamodb.ts';
import { createTableInput } from '../../lib/adapters/dynamodb/table.ts';

const spec = (projection: TableSpec['indexes'][number]['projection']): TableSpec => ({
  pk: 'pk',
  sk: 'sk',
  indexes: [{ name: 'gsi1', pk: 'gsi1pk', sk: 'gsi1sk', projection }],
});
const KEYS_ONLY = spec({ type: 'KEYS_ONLY' });
const ALL = spec({ type: 'ALL' });
const INCLUDE = spec({ type: 'INCLUDE', attributes: ['state'] });
const item = (extra: Record<string, unknown> = {}) =>
  toImage({ pk: 'SESSION#1', sk: '#META', gsi1pk: 'LINE#l#STATE#Waiting', gsi1sk: 't#1', state: 'Waiting', ...extra });
const byTarget = (writes: PartitionUnits[]) => {
  const out: Record<string, number> = {};
  for (const w of writes) out[w.target] = (out[w.target] ?? 0) + w.units;
  return out;
};
const KB3 = 'x'.repeat(3 * 1024 - 200);

describe('item size', () => {
  it('counts names and values by DynamoDB rules', () => {
    assert.equal(itemSize(toImage({ pk: 'SESSION#1' })), 2 + 9);
    assert.equal(itemSize(toImage({ n: 123.45 })), 1 + 1 + 3); // 5 significant digits → 1 + 3
    assert.equal(numberSize('0.0012300'), 1 + 2); // 123
    assert.equal(numberSize('-1e+21'), 1 + 1);
    assert.equal(itemSize(toImage({ l: ['ab', true] })), 1 + 3 + (1 + 2) + (1 + 1));
    assert.equal(itemSize(toImage({ m: { a: 'x' } })), 1 + 3 + (1 + 1 + 1));
    assert.equal(itemSize(toImage({ z: null, b: false })), 1 + 1 + 1 + 1);
    assert.equal(itemSize(toImage({ é: 'é' })), 2 + 2);
  });
});

describe('the table definition', () => {
  it('takes each index and its projection from the CreateTable input, a projection the definition names first', () => {
    const input = createTableInput('t');
    const spec = tableSpecOf(input);
    assert.equal(spec.pk, 'pk');
    assert.equal(spec.indexes.length, input.GlobalSecondaryIndexes.length);
    assert.deepEqual(spec.indexes[0], { name: 'gsi1', pk: 'gsi1pk', sk: 'gsi1sk', projection: projectionOf(input.GlobalSecondaryIndexes[0]!.Projection) });
    const definitions: { indexName: string; projection: unknown }[] = [
      { indexName: 'gsi1', projection: { type: 'KEYS_ONLY' } },
      { indexName: 'gsi2', projection: { type: 'INCLUDE', attributes: ['_state'] } },
    ];
    const defined = withDefinedProjections(spec, definitions);
    assert.deepEqual(defined.indexes[0]!.projection, { type: 'KEYS_ONLY' });
    assert.deepEqual(defined.indexes[1]!.projection, { type: 'INCLUDE', attributes: ['_state'] });
    assert.deepEqual(projectionOf({ ProjectionType: 'INCLUDE', NonKeyAttributes: ['a'] }), { type: 'INCLUDE', attributes: ['a'] });
    assert.equal(projectionOf(undefined), undefined);
  });
});

describe('write accounting', () => {
  it('KEYS_ONLY: a write that keeps the index key costs the index nothing', () => {
    const writes = changeWrites({ old: item(), new: item({ note: 'changed' }), transactional: false }, KEYS_ONLY);
    assert.deepEqual(writes, [{ target: 'table', partition: 'SESSION#1', units: 1 }]);
  });
  it('a key move costs 2 partitions × 1: a delete on the old one, a put on the new one', () => {
    const writes = changeWrites({ old: item(), new: item({ gsi1pk: 'LINE#l#STATE#Assigned', state: 'Assigned' }), transactional: false }, KEYS_ONLY);
    assert.deepEqual(writes, [
      { target: 'table', partition: 'SESSION#1', units: 1 },
      { target: 'gsi1', partition: 'LINE#l#STATE#Waiting', units: 1 },
      { target: 'gsi1', partition: 'LINE#l#STATE#Assigned', units: 1 },
    ]);
  });
  it('a transactional 3 KB put costs 6 on the table; on the index 6 with ALL, 2 with KEYS_ONLY', () => {
    const big = item({ body: KB3 });
    assert.ok(itemSize(big) > 2048 && itemSize(big) <= 3072);
    assert.deepEqual(byTarget(changeWrites({ old: undefined, new: big, transactional: true }, ALL)), { table: 6, gsi1: 6 });
    assert.deepEqual(byTarget(changeWrites({ old: undefined, new: big, transactional: true }, KEYS_ONLY)), { table: 6, gsi1: 2 });
    assert.deepEqual(byTarget(changeWrites({ old: undefined, new: big, transactional: false }, KEYS_ONLY)), { table: 3, gsi1: 1 });
  });
  it('INCLUDE writes the index only when an included attribute changes; ALL when anything does', () => {
    assert.deepEqual(byTarget(changeWrites({ old: item(), new: item({ note: 'x' }), transactional: false }, INCLUDE)), { table: 1 });
    assert.deepEqual(byTarget(changeWrites({ old: item(), new: item({ state: 'Open' }), transactional: false }, INCLUDE)), { table: 1, gsi1: 1 });
    assert.deepEqual(byTarget(changeWrites({ old: item(), new: item({ note: 'x' }), transactional: false }, ALL)), { table: 1, gsi1: 1 });
    assert.deepEqual(byTarget(changeWrites({ old: item(), new: item(), transactional: false }, ALL)), { table: 1 });
  });
  it('an item that leaves an index costs one delete there; a delete is sized by the old item', () => {
    const { gsi1pk: _gone, ...rest } = item({ body: KB3 });
    assert.deepEqual(changeWrites({ old: item({ body: KB3 }), new: rest, transactional: false }, ALL), [
      { target: 'table', partition: 'SESSION#1', units: 3 },
      { target: 'gsi1', partition: 'LINE#l#STATE#Waiting', units: 3 },
    ]);
    assert.deepEqual(byTarget(changeWrites({ old: item({ body: KB3 }), new: undefined, transactional: false }, ALL)), { table: 3, gsi1: 3 });
  });
  it('pairs calls with stream records: unchanged writes cost their table write, transactions double', () => {
    const key = { pk: 'SESSION#1', sk: '#META' };
    const a = item();
    const b = item({ state: 'Open', gsi1pk: 'LINE#l#STATE#Open' });
    const op = (kind: WriteOp['kind'], extra: Partial<WriteOp> = {}): WriteOp => ({
      call: 0,
      phase: 'p',
      key,
      kind,
      transactional: false,
      failed: false,
      ...extra,
    });
    const ops = [
      op('put', { after: a }),
      op('put', { after: a, call: 1 }), // the same item again: no stream record
      op('update', { transactional: true, call: 2 }),
      op('put', { after: a, failed: true, call: 3 }), // condition failed
      op('delete', { call: 4 }),
      op('delete', { call: 5 }), // nothing left to delete
    ];
    const records: StreamChange[] = [
      { key, old: undefined, new: a, phase: 'p' },
      { key, old: a, new: b, phase: 'p' },
      { key, old: b, new: undefined, phase: 'p' },
    ];
    const out = accountWrites(ops, records, KEYS_ONLY);
    assert.deepEqual(
      out.map((w) => [w.call, w.kind, byTarget(w.writes)]),
      [
        [0, 'change', { table: 1, gsi1: 1 }],
        [1, 'unchanged', { table: 1 }],
        [2, 'change', { table: 2, gsi1: 4 }],
        [3, 'unchanged', { table: 1 }],
        [4, 'change', { table: 1, gsi1: 1 }],
        [5, 'unchanged', { table: 1 }],
      ],
    );
  });
});

describe('read accounting', () => {
  const table: TableSpec = { ...ALL, indexes: [...ALL.indexes, { name: 'gsi5', pk: 'gsi5pk', sk: 'gsi5sk', projection: { type: 'KEYS_ONLY' } }] };
  it('finds the partition a key condition binds, aliased or not', () => {
    assert.deepEqual(
      queryPartition(
        {
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk > :after',
          ExpressionAttributeValues: { ':pk': 'EVENTS#l#2026-05-04T13', ':after': 'x' },
        },
        table,
      ),
      { target: 'gsi1', partition: 'EVENTS#l#2026-05-04T13' },
    );
    assert.deepEqual(
      queryPartition(
        {
          IndexName: 'gsi5',
          KeyConditionExpression: '#s BETWEEN :a AND :b AND :p = #p',
          ExpressionAttributeNames: { '#p': 'gsi5pk', '#s': 'gsi5sk' },
          ExpressionAttributeValues: { ':p': 'CHANGES#2026-05-04T13#2', ':a': '1', ':b': '2' },
        },
        table,
      ),
      { target: 'gsi5', partition: 'CHANGES#2026-05-04T13#2' },
    );
    assert.deepEqual(
      queryPartition({ KeyConditionExpression: 'pk = :pk AND begins_with(sk, :m)', ExpressionAttributeValues: { ':pk': 'SESSION#1', ':m': 'MSG#' } }, table),
      { target: 'table', partition: 'SESSION#1' },
    );
  });
  it('charges an empty read its minimum', () => {
    assert.equal(singleRead(0, false), 0.5);
    assert.equal(singleRead(undefined, true), 1);
    assert.equal(singleRead(3.5, false), 3.5);
  });
  it('splits a BatchGetItem by item size, scaled up to what DynamoDB reported', () => {
    const big = toImage({ pk: 'SESSION#2', sk: '#META', body: 'y'.repeat(5000) });
    const reads = batchGetReads(
      [
        { pk: 'SESSION#1', sk: '#META' },
        { pk: 'SESSION#2', sk: '#META' },
        { pk: 'SESSION#3', sk: '#META' },
      ],
      [item(), big],
      true,
      4,
      table,
    );
    assert.deepEqual(
      reads.map((r) => [r.partition, r.units]),
      [
        ['SESSION#1', 1],
        ['SESSION#2', 2],
        ['SESSION#3', 1],
      ],
    );
  });
});

describe('partition names and rates', () => {
  it('replaces time buckets, keeps ids', () => {
    assert.equal(normalizePartition('CHANGES#2026-05-04T13#2'), 'CHANGES#<hour>#2');
    assert.equal(normalizePartition('DUE#2026-05-04T13:05#1'), 'DUE#<minute>#1');
    assert.equal(normalizePartition('EVENTS#abc#2026-05-04T13'), 'EVENTS#abc#<hour>');
    assert.equal(normalizePartition('METRIC#l#day#2026-05-04'), 'METRIC#l#day#<day>');
    const session = `SESSION#${randomUUID()}`;
    assert.equal(normalizePartition(session), session);
  });
  it('names the access pattern and who shares it', () => {
    const line = randomUUID();
    const known = { [line]: 'line', 'op-1234abcd': 'operator' };
    assert.deepEqual(partitionPattern(`LINE#${line}#STATE#Waiting`, known), { pattern: 'LINE#<line>#STATE#Waiting', kind: 'line' });
    assert.deepEqual(partitionPattern('USER#op-1234abcd', known), { pattern: 'USER#<operator>', kind: 'operator' });
    assert.deepEqual(partitionPattern(`SESSION#${randomUUID()}`, known), { pattern: 'SESSION#<id>', kind: 'entity' });
    assert.deepEqual(partitionPattern(`EVENT#${randomUUID()}.12`, known), { pattern: 'EVENT#<id>.<seq>', kind: 'entity' });
    assert.deepEqual(partitionPattern('MESSAGE#1760000000000-0001-0a1b2c3d', known), { pattern: 'MESSAGE#<msg>', kind: 'entity' });
    assert.deepEqual(partitionPattern('CHANGES#<hour>#2', known), { pattern: 'CHANGES#<hour>#2', kind: 'line' });
  });
  it('reads a trailing #<n> of a line partition as a shard', () => {
    assert.deepEqual(shardOf('CHANGES#<hour>#2'), { group: 'CHANGES#<hour>#<shard>', shard: 2 });
    assert.deepEqual(shardOf('LINE#<line>#STATE#Waiting#11'), { group: 'LINE#<line>#STATE#Waiting#<shard>', shard: 11 });
    assert.equal(shardOf('LINE#<line>#STATE#Waiting'), undefined);
  });
  it('scales line partitions by the rate of new sessions; a session’s own partition is one life', () => {
    assert.equal(unitsPerSecond('line', 30, 10, 10), 3_000); // 3 units a session × 1,000 sessions/s
    assert.equal(unitsPerSecond('operator', 30, 10, 10), 3); // 3 units a session × 1 session/s
    assert.equal(unitsPerSecond('entity', 30, 10, 10), 30);
  });
});

describe('the model against DynamoDB Local (ReturnConsumedCapacity INDEXES)', { skip: !process.env.DYNAMODB_ENDPOINT && 'no DYNAMODB_ENDPOINT' }, () => {
  it('Local adds up a transaction by its distinct item figures (the bench replays it to compare)', async () => {
    const client = localClient(process.env.DYNAMODB_ENDPOINT!);
    const name = `partitions-model-tx-${randomUUID().slice(0, 8)}`;
    await client.send(new CreateTableCommand(createTableInput(name)));
    try {
      const small = (pk: string, extra: Record<string, unknown> = {}) => toImage({ pk, sk: '#META', ...extra });
      const items = [small('A#1'), small('A#2', { note: 'longer' }), small('A#3'), small('B#1', { body: KB3 })];
      const out = await client.send(
        new TransactWriteItemsCommand({ TransactItems: items.map((Item) => ({ Put: { TableName: name, Item } })), ReturnConsumedCapacity: 'TOTAL' }),
      );
      const writes = items.map((i) => changeWrites({ old: undefined, new: i, transactional: true }, tableSpecOf(createTableInput(name))));
      assert.equal(
        writes.flat().reduce((n, w) => n + w.units, 0),
        2 + 2 + 2 + 6,
      ); // as DynamoDB bills it
      const local = (out.ConsumedCapacity ?? []).reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
      assert.equal(local, 2 + 6); // the three 1 KB items counted once
      assert.equal(localTransactionUnits(writes), local);
    } finally {
      client.destroy();
    }
  });

  const projections = {
    ALL: { ProjectionType: 'ALL' },
    KEYS_ONLY: { ProjectionType: 'KEYS_ONLY' },
    INCLUDE: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['_state'] },
  } as const;
  for (const [label, projection] of Object.entries(projections)) {
    it(`agrees write by write with ${label} projections on every index`, async () => {
      const client = localClient(process.env.DYNAMODB_ENDPOINT!);
      const name = `partitions-model-${label}-${randomUUID().slice(0, 8)}`;
      const base = createTableInput(name);
      const input = { ...base, GlobalSecondaryIndexes: base.GlobalSecondaryIndexes.map((g) => ({ ...g, Projection: projection })) };
      await client.send(new CreateTableCommand(input as never));
      const table = tableSpecOf(input);
      let current: Image | undefined;
      const reported = (c: ConsumedCapacity | ConsumedCapacity[] | undefined) => {
        const list = Array.isArray(c) ? c : c ? [c] : [];
        const out: Record<string, number> = {};
        for (const x of list) {
          if (x.Table?.CapacityUnits) out.table = (out.table ?? 0) + x.Table.CapacityUnits;
          for (const [index, u] of Object.entries(x.GlobalSecondaryIndexes ?? {})) if (u.CapacityUnits) out[index] = (out[index] ?? 0) + u.CapacityUnits;
        }
        return out;
      };
      const check = (what: string, next: Image | undefined, consumed: ConsumedCapacity | ConsumedCapacity[] | undefined, transactional = false) => {
        const model = byTarget(changeWrites({ old: current, new: next, transactional }, table));
        assert.deepEqual(model, reported(consumed), `${label}: ${what}`);
        current = next;
      };
      const session = (extra: Record<string, unknown>) =>
        toImage({
          pk: 'SESSION#s1',
          sk: '#META',
          entity: 'session',
          gsi1pk: 'LINE#l1#STATE#Waiting',
          gsi1sk: '2026-05-04T13:00:00.000Z#s1',
          gsi4pk: 'CHANNEL#c1#SESSIONS',
          gsi4sk: '2026-05-04T13:00:00.000Z#s1',
          gsi5pk: 'CHANGES#2026-05-04T13#1',
          gsi5sk: '2026-05-04T13:00:00.000Z#s1',
          _state: 'Waiting',
          _priority: null,
          _version: 1,
          _clients: ['c1'],
          ...extra,
        });
      try {
        const first = session({});
        let out = await client.send(new PutItemCommand({ TableName: name, Item: first, ReturnConsumedCapacity: 'INDEXES' }));
        check('a new session', first, out.ConsumedCapacity);

        const assigned = session({ _state: 'Assigned', gsi1pk: 'LINE#l1#STATE#Assigned', gsi2pk: 'USER#u1', gsi2sk: 'Assigned#s1', _version: 2 });
        out = await client.send(new PutItemCommand({ TableName: name, Item: assigned, ReturnConsumedCapacity: 'INDEXES' }));
        check('assigned: a key move on gsi1, a new entry on gsi2', assigned, out.ConsumedCapacity);

        const updated = await client.send(
          new UpdateItemCommand({
            TableName: name,
            Key: { pk: { S: 'SESSION#s1' }, sk: { S: '#META' } },
            UpdateExpression: 'SET #n = :n',
            ExpressionAttributeNames: { '#n': '_note' },
            ExpressionAttributeValues: { ':n': { S: 'a note' } },
            ReturnConsumedCapacity: 'INDEXES',
          }),
        );
        check('an attribute no index holds as a key', { ...assigned, _note: { S: 'a note' } }, updated.ConsumedCapacity);

        const big = { ...current!, body: { S: KB3 } } as Image;
        const tx = await client.send(
          new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: name, Item: big } }], ReturnConsumedCapacity: 'INDEXES' }),
        );
        check('a transactional 3 KB put', big, tx.ConsumedCapacity, true);

        const closed = { ...big, _state: { S: 'Closed' }, gsi1pk: { S: 'LINE#l1#STATE#Closed' } } as Image;
        const tx2 = await client.send(
          new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: name, Item: closed } }], ReturnConsumedCapacity: 'INDEXES' }),
        );
        check('a transactional close (key move, included attribute changed)', closed, tx2.ConsumedCapacity, true);

        const del = await client.send(
          new DeleteItemCommand({ TableName: name, Key: { pk: { S: 'SESSION#s1' }, sk: { S: '#META' } }, ReturnConsumedCapacity: 'INDEXES' }),
        );
        check('a delete', undefined, del.ConsumedCapacity);
      } finally {
        client.destroy();
      }
    });
  }
});
