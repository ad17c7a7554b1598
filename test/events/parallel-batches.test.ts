/** The local poller's parallelization factor (infra/local/stream.ts `byPartitionKey`), as Lambda's: order per partition key. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { _Record as StreamRecord } from '@aws-sdk/client-dynamodb-streams';
import { byPartitionKey } from '../../infra/local/stream.ts';

const record = (pk: string, seq: number): StreamRecord => ({ dynamodb: { Keys: { pk: { S: pk }, sk: { S: `#${seq}` } }, SequenceNumber: String(seq) } });

describe('parallelization factor', () => {
  it('1: one batcher, the records as read', () => {
    const records = [record('SESSION#a', 1), record('SESSION#b', 2)];
    assert.deepEqual(byPartitionKey(records, 1), [records]);
    assert.deepEqual(byPartitionKey([], 4), []);
  });

  it('4: every partition key on one batcher, its records in stream order; nothing lost or repeated', () => {
    const records: StreamRecord[] = [];
    for (let i = 0; i < 400; i++) records.push(record(`SESSION#s${i % 37}`, i));
    const slots = byPartitionKey(records, 4);
    assert.ok(slots.length > 1 && slots.length <= 4, `${slots.length} batchers`);
    assert.equal(slots.flat().length, records.length);
    const home = new Map<string, number>();
    slots.forEach((slot, at) => {
      let last = -1;
      const lastOf = new Map<string, number>();
      for (const r of slot) {
        const pk = r.dynamodb!.Keys!.pk!.S!;
        assert.equal(home.get(pk) ?? at, at, `${pk} on one batcher`);
        home.set(pk, at);
        const seq = Number(r.dynamodb!.SequenceNumber);
        assert.ok(seq > last, 'stream order within a batcher');
        assert.ok(seq > (lastOf.get(pk) ?? -1));
        last = seq;
        lastOf.set(pk, seq);
      }
    });
  });
});
