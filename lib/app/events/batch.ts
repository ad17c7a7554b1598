/**
 * Batches with failures pinned on records. A stream batch is worked in steps that each serve
 * every record at once (one BatchGetItem for the messages, one PutEvents list, one routing
 * pass): cheap, but a batched call that fails says nothing about which record's share failed.
 * `perRecord` keeps the batched call for the common case and, only when it fails, runs the
 * step again record by record, so that the records whose share succeeds take effect and the
 * failure is reported for the records that really failed. Every step must be idempotent by
 * event id: a share may run twice (batched, then alone).
 */

import { mapPool } from '../../adapters/concurrency.ts';

/** Failures of a batch so far: record index → the error. */
export type Failures = Map<number, unknown>;

/** How many records of a failed batched step are run again at once. */
const ALONE_PARALLELISM = 8;

/**
 * Runs `step` for the records `indices` (those that have not failed yet) in one call; if that
 * call throws, runs it for each record alone and records the records whose own call throws.
 */
export async function perRecord(indices: readonly number[], failures: Failures, step: (indices: readonly number[]) => Promise<void>): Promise<void> {
  const live = indices.filter((i) => !failures.has(i));
  if (live.length === 0) return;
  try {
    await step(live);
  } catch (error) {
    if (live.length === 1) {
      failures.set(live[0]!, error);
      return;
    }
    await mapPool(live, ALONE_PARALLELISM, async (i) => {
      try {
        await step([i]);
      } catch (alone) {
        failures.set(i, alone);
      }
    });
  }
}

/** The indices 0..n-1. */
export const indicesOf = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
