/**
 * The timer sweeper: reads the due items that have come due — the minute buckets from its
 * watermark (minus a small overlap) up to now, each Query bounded by `sort key ≤ now` — and
 * fires each with one conditional transaction. It never reads a session whose clock is not due,
 * and never Scans: its cost follows the number of clocks due, not the number running.
 *
 * Guarantees (docs/timers.md):
 * - at most once: the firing transaction deletes the due item and is conditional on the
 *   session's clock attribute still naming that very due item (a clock restarted or stopped
 *   by a later change has another sort key, or none) — a rerun, a second sweeper or a stale item
 *   cannot fire it again;
 * - never for a session that has moved on: the same condition, plus the version that was read
 *   for effects that change the session (auto-close, return to queue);
 * - nothing lost: the watermark moves only past minutes whose due items are all gone; a sweep
 *   that dies half-way leaves it where it was, and the rerun reads the rest (what already fired
 *   is deleted, so it is not read twice).
 */

import { mapPool } from '../../adapters/concurrency.ts';
import { getItem, getItems, type Item, putItem, queryPages } from '../../adapters/dynamodb/db.ts';
import { dueBucketPartition, dueUpTo, minuteBucket, sessionKey, timerShards, timerWatermarkKey } from '../../adapters/dynamodb/keys.ts';
import type { TimerPolicy } from '../../domain/timers/state.ts';
import { type FireOutcome, fireTimer } from './fire.ts';

export interface SweepOptions {
  /** The sweep's "now" (epoch ms): what is due by then fires. Injectable so tests need no sleeps. */
  now?: number;
  /** Timers fired in parallel (default 16). */
  concurrency?: number;
  /** Minutes re-read before the watermark (default 2): a due item written late into a past minute is still found. */
  overlapMinutes?: number;
  /** Minutes read back on the first sweep of a table (no watermark yet; default 15). */
  lookbackMinutes?: number;
  /** Epoch ms after which no further timer is taken (the rest stay for the next sweep; the watermark waits for them). */
  deadline?: number;
  /**
   * Stops the sweep: no further timer is taken, those in flight settle, then the sweep throws the
   * signal's reason and the watermark stays (the next sweep takes the rest).
   */
  signal?: AbortSignal;
}

export interface SweepReport {
  /** First and last minute bucket read. */
  from: string;
  to: string;
  /** Query calls made on due buckets (one per bucket shard and page). */
  queries: number;
  /** Due items read. */
  due: number;
  /** Timers fired (their effect written). */
  fired: number;
  /** Due items dropped: their clock was restarted or stopped since (the session moved on). */
  stale: number;
  /** Due items left for the next sweep (a concurrent change won the race). */
  retried: number;
  /** Firings that failed with an error other than a lost race (left for the next sweep). */
  errors: string[];
  /** Per fired timer: how late it fired, ms after its due time. */
  lateness: number[];
  byPolicy: Partial<Record<TimerPolicy, number>>;
  /** The watermark after the sweep. */
  watermark: string;
  ms: number;
}

const MINUTE = 60_000;
const minuteStart = (minute: string) => Date.parse(`${minute}:00.000Z`);
const minuteOf = (ms: number) => minuteBucket(new Date(ms).toISOString());

/** Every minute bucket from `from` to `to` (inclusive). */
function minutesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = minuteStart(from); t <= minuteStart(to); t += MINUTE) out.push(minuteOf(t));
  return out;
}

/** The due items of one bucket shard, due by `upTo` (all pages). */
async function readBucket(minute: string, shard: number, upTo: string, counter: { queries: number }): Promise<Item[]> {
  const items: Item[] = [];
  const pages = queryPages({
    KeyConditionExpression: 'pk = :pk AND sk <= :upTo',
    ExpressionAttributeValues: { ':pk': dueBucketPartition(minute, shard), ':upTo': upTo },
    ConsistentRead: true,
  });
  for await (const page of pages) {
    counter.queries += 1;
    items.push(...page.items);
  }
  return items;
}

/** One sweep: fires every timer due by `now`. */
export async function sweepTimers(options: SweepOptions = {}): Promise<SweepReport> {
  const started = Date.now();
  const now = options.now ?? started;
  const nowIso = new Date(now).toISOString();
  const current = minuteOf(now);
  const mark = await getItem(timerWatermarkKey());
  const stored = typeof mark?.minute === 'string' ? mark.minute : undefined;
  // From the watermark minus the overlap (or, the first time, the lookback) — and never later
  // than the overlap before this sweep's own now (a sweeper whose clock runs behind still reads
  // what is due by its now).
  const overlap = (options.overlapMinutes ?? 2) * MINUTE;
  const fromMs = stored ? Math.min(minuteStart(stored), minuteStart(current)) - overlap : now - (options.lookbackMinutes ?? 15) * MINUTE;
  const from = minuteOf(fromMs);
  const minutes = minutesBetween(from, current);

  const counter = { queries: 0 };
  const upTo = dueUpTo(nowIso);
  const buckets = minutes.flatMap((minute) => Array.from({ length: timerShards() }, (_, shard) => ({ minute, shard })));
  const found: Item[][] = [];
  await mapPool(buckets, 8, async (b) => {
    found.push(await readBucket(b.minute, b.shard, upTo, counter));
  });
  const due = found.flat().sort((a, b) => String(a.sk).localeCompare(String(b.sk)));

  const report: SweepReport = {
    from: minutes[0]!,
    to: current,
    queries: counter.queries,
    due: due.length,
    fired: 0,
    stale: 0,
    retried: 0,
    errors: [],
    lateness: [],
    byPolicy: {},
    watermark: stored ?? from,
    ms: 0,
  };
  /** The earliest minute that still holds a due item after this sweep. */
  let unfinished: string | undefined;
  // The due sessions, 100 keys per BatchGetItem (strongly consistent), read as their turn comes.
  const sessions = new Map<string, Promise<(Item | undefined)[]>>();
  const sessionOf = async (index: number): Promise<Item | null> => {
    const chunk = Math.floor(index / 100);
    if (!sessions.has(String(chunk))) {
      const keys = due.slice(chunk * 100, chunk * 100 + 100).map((d) => sessionKey(String(d.session)));
      sessions.set(String(chunk), getItems(keys));
    }
    return (await sessions.get(String(chunk))!)[index % 100] ?? null;
  };
  const positions = new Map(due.map((d, i) => [d, i]));

  await mapPool(due, options.concurrency ?? 16, async (item) => {
    if (options.signal?.aborted) return;
    let outcome: FireOutcome = { kind: 'retry' };
    if (options.deadline === undefined || Date.now() <= options.deadline) {
      try {
        outcome = await fireTimer(item, await sessionOf(positions.get(item)!));
      } catch (error) {
        // Left for the next sweep (the watermark waits for it).
        report.errors.push(`${String(item.sk)}: ${(error as Error).message}`);
      }
    }
    if (outcome.kind === 'fired') {
      report.fired += 1;
      report.lateness.push(Date.parse(outcome.at) - Date.parse(String(item.dueAt)));
      const policy = item.policy as TimerPolicy;
      report.byPolicy[policy] = (report.byPolicy[policy] ?? 0) + 1;
    } else if (outcome.kind === 'stale') report.stale += 1;
    else {
      report.retried += 1;
      const minute = minuteBucket(String(item.dueAt));
      if (!unfinished || minute < unfinished) unfinished = minute;
    }
  });

  options.signal?.throwIfAborted();

  // The watermark: the current minute (it may still gain items), or the first minute with an item left.
  const next = unfinished && unfinished < current ? unfinished : current;
  if (!stored || next > stored) {
    await putItem(
      { ...timerWatermarkKey(), entity: 'timer', minute: next, at: nowIso },
      { ConditionExpression: 'attribute_not_exists(pk) OR #m < :m', ExpressionAttributeNames: { '#m': 'minute' }, ExpressionAttributeValues: { ':m': next } },
    );
    report.watermark = next;
  }
  report.ms = Date.now() - started;
  return report;
}

/** The shard of a session's due items (exported for tests). */
export { timerShardOf } from '../../adapters/dynamodb/keys.ts';
