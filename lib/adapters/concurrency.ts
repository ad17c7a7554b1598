/**
 * Concurrency plumbing, written once: a bounded pool of workers, and retries with jittered
 * exponential backoff (for lost races, and for what AWS left unprocessed in a batch).
 */
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * `work` over `items` with at most `limit` running at once; the results in input order. The
 * first failure rejects; the other workers still finish the items (each item's work is its own).
 */
export async function mapPool<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return out;
}

export interface Backoff {
  /** The wait before the first retry, ms (doubled for each retry after it). */
  baseMs: number;
  /** The longest wait, ms. */
  capMs: number;
}

/** The wait before retry `n` (1 = the first retry): between half and all of base·2ⁿ⁻¹, capped; the jitter parts racers. */
export function backoffMs(n: number, { baseMs, capMs }: Backoff): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** (n - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

export interface RetryOptions extends Backoff {
  /** Attempts in all, the first one included. */
  attempts: number;
  /** Whether a failure is worth another attempt (default: every failure). */
  retryOn?: (error: unknown) => boolean;
}

/** Runs `work` until it succeeds, a failure is not worth retrying, or the attempts are spent (then its last failure is thrown). */
export async function retry<T>(work: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work(attempt);
    } catch (error) {
      if (attempt + 1 >= options.attempts || !(options.retryOn?.(error) ?? true)) throw error;
      await sleep(backoffMs(attempt + 1, options));
    }
  }
}

const LEFT_OVER = Symbol('left over');

/**
 * A batch call that may leave part of its input unprocessed (BatchGetItem, BatchWriteItem,
 * PutEvents): `send` takes what is pending and answers what it left; the rest is sent again
 * with backoff until nothing is left. When the attempts are spent, `exhausted(left)` is thrown.
 */
export async function sendAll<T>(
  items: readonly T[],
  send: (pending: T[]) => Promise<T[]>,
  options: Omit<RetryOptions, 'retryOn'> & { exhausted: (left: T[]) => Error },
): Promise<void> {
  let pending = [...items];
  if (pending.length === 0) return;
  try {
    await retry(
      async () => {
        pending = await send(pending);
        if (pending.length > 0) throw LEFT_OVER;
      },
      { ...options, retryOn: (error) => error === LEFT_OVER },
    );
  } catch (error) {
    throw error === LEFT_OVER ? options.exhausted(pending) : error;
  }
}
