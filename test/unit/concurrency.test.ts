/** The concurrency plumbing every caller shares: the bounded pool, retry with backoff, batch leftovers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffMs, mapPool, retry, sendAll } from '../../lib/adapters/concurrency.ts';

const FAST = { baseMs: 1, capMs: 2 };

describe('mapPool', () => {
  it('keeps input order and never runs more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const out = await mapPool([5, 1, 4, 2, 3, 0], 2, async (n, i) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => setImmediate(resolve));
      running -= 1;
      return `${i}:${n}`;
    });
    assert.deepEqual(out, ['0:5', '1:1', '2:4', '3:2', '4:3', '5:0']);
    assert.equal(most, 2);
    assert.deepEqual(await mapPool([], 4, async () => 1), []);
  });

  it('rejects with the first failure', async () => {
    await assert.rejects(
      mapPool([1, 2, 3], 2, async (n) => {
        if (n === 2) throw new Error('two');
        return n;
      }),
      /two/,
    );
  });
});

describe('retry', () => {
  it('retries what retryOn admits, up to the attempts, then throws the last failure', async () => {
    let calls = 0;
    const value = await retry(
      async (attempt) => {
        calls += 1;
        if (attempt < 2) throw new Error('again');
        return attempt;
      },
      { ...FAST, attempts: 5 },
    );
    assert.deepEqual([value, calls], [2, 3]);

    calls = 0;
    await assert.rejects(
      retry(
        async (attempt) => {
          calls += 1;
          throw new Error(`failure ${attempt}`);
        },
        { ...FAST, attempts: 3 },
      ),
      /failure 2/,
    );
    assert.equal(calls, 3);

    calls = 0;
    await assert.rejects(
      retry(
        async () => {
          calls += 1;
          throw new Error('final');
        },
        { ...FAST, attempts: 9, retryOn: () => false },
      ),
      /final/,
    );
    assert.equal(calls, 1);
  });

  it('backs off between half and all of base·2ⁿ⁻¹, capped', () => {
    for (let n = 1; n <= 10; n++) {
      const ceiling = Math.min(1_000, 50 * 2 ** (n - 1));
      const wait = backoffMs(n, { baseMs: 50, capMs: 1_000 });
      assert.ok(wait >= ceiling / 2 - 1 && wait <= ceiling, `retry ${n}: ${wait}`);
    }
  });
});

describe('sendAll', () => {
  it('sends what was left until nothing is; throws exhausted(left) when the attempts are spent', async () => {
    const sent: number[][] = [];
    await sendAll(
      [1, 2, 3, 4],
      async (pending) => {
        sent.push(pending);
        return pending.slice(2);
      },
      { ...FAST, attempts: 5, exhausted: () => new Error('never') },
    );
    assert.deepEqual(sent, [
      [1, 2, 3, 4],
      [3, 4],
    ]);

    await assert.rejects(
      sendAll([1, 2], async (pending) => pending, { ...FAST, attempts: 3, exhausted: (left) => new Error(`left ${left.length}`) }),
      /left 2/,
    );
  });
});
