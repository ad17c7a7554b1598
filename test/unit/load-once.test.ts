import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadOnce } from '../../lib/adapters/lazy.ts';

describe('loadOnce', () => {
  test('loads on the first call only, and every caller shares that load', async () => {
    let loads = 0;
    const get = loadOnce(async () => ++loads);
    assert.equal(loads, 0, 'nothing loaded before the first call');
    const [a, b] = await Promise.all([get(), get()]);
    assert.deepEqual([a, b, await get(), loads], [1, 1, 1, 1]);
  });

  test('a failed load is not kept: the next call tries again', async () => {
    let loads = 0;
    const get = loadOnce(async () => {
      loads++;
      if (loads === 1) throw new Error('not reachable');
      return 'sdk';
    });
    await assert.rejects(get(), /not reachable/);
    assert.equal(await get(), 'sdk');
    assert.equal(loads, 2);
  });
});
