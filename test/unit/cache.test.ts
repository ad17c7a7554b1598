/** The per-instance TTL cache behind the hot reads (lib/adapters/cache.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TtlCache } from '../../lib/adapters/cache.ts';

describe('TtlCache', () => {
  it('answers within the TTL, forgets after it', () => {
    const c = new TtlCache<string>(1_000);
    c.set('a', 'x', 0);
    assert.deepEqual(c.get('a', 999), { value: 'x' });
    assert.equal(c.get('a', 1_000), undefined);
    assert.equal(c.get('a', 10), undefined, 'an expired entry is dropped, not revived');
  });

  it('keeps an undefined value as an entry (a target known to have no endpoint)', () => {
    const c = new TtlCache<string | undefined>(1_000);
    c.set('gone', undefined, 0);
    assert.deepEqual(c.get('gone', 1), { value: undefined });
    assert.equal(c.get('never', 1), undefined);
  });

  it('drops the oldest written entry beyond its size; delete and clear forget', () => {
    const c = new TtlCache<number>(60_000, 2);
    c.set('a', 1, 0);
    c.set('b', 2, 0);
    c.set('a', 3, 1);
    c.set('c', 4, 2);
    assert.equal(c.get('b', 3), undefined, 'b was the oldest written');
    assert.deepEqual(c.get('a', 3), { value: 3 });
    c.delete('a');
    assert.equal(c.get('a', 3), undefined);
    c.clear();
    assert.equal(c.get('c', 3), undefined);
  });
});
