/**
 * The live event log's reader: what `resume` re-sends (the log itself, and its writes, are in
 * lib/adapters/dynamodb/live.ts).
 */
import { eventLogPartitions, eventLogSortKey, hourBucket } from '../../adapters/dynamodb/keys.ts';
import { allLines } from '../../adapters/dynamodb/lines.ts';
import { logPosition, readLogPartition } from '../../adapters/dynamodb/live.ts';
import type { Caller } from '../../contract/caller.ts';
import type { ChatlinesEvent } from '../../contract/events.ts';
import type { Line } from '../../contract/schemas.ts';
import { maySee } from './visibility.ts';

/** How far back `resume` reaches (the contract: the last hour). */
const RESUME_WINDOW_MS = 60 * 60 * 1000;

const hoursBetween = (fromMs: number, toMs: number): string[] => {
  const out: string[] = [];
  const hour = 3_600_000;
  for (let t = Math.floor(fromMs / hour) * hour; t <= toMs; t += hour) out.push(hourBucket(new Date(t).toISOString()));
  return out;
};

export interface Replay {
  events: ChatlinesEvent[];
  /** False when `after` was not found in the window: everything of the last hour was read. */
  complete: boolean;
}

/**
 * The events after `after` (an event id) that the caller may see, oldest first, from the last
 * hour: one GetItem for where to start, then one Query per line, hour bucket (two buckets
 * at most) and shard of the log. `lines`: the caller's lines (`'all'` for an admin).
 */
export async function eventsAfter(caller: Caller, after: string, lines: 'all' | readonly Line[], now = Date.now()): Promise<Replay> {
  const windowStart = now - RESUME_WINDOW_MS;
  const found = await logPosition(after);
  const foundTime = found ? Date.parse(found.time) : NaN;
  const complete = found !== undefined && foundTime >= windowStart;
  const afterSortKey = complete ? found!.sortKey : eventLogSortKey({ time: new Date(windowStart).toISOString(), session: null, channel: '', sequence: 0 });
  const fromMs = complete ? foundTime : windowStart;
  const targetLines = lines === 'all' ? await allLines() : lines;
  const hours = hoursBetween(fromMs, now + 60_000);
  const parts = await Promise.all(
    targetLines.flatMap((line) =>
      hours.flatMap((hour) => eventLogPartitions(line.__id, hour).map(async (partition) => ({ line, rows: await readLogPartition(partition, afterSortKey) }))),
    ),
  );
  const rows: { sk: string; event: ChatlinesEvent }[] = [];
  for (const { line, rows: found } of parts) for (const row of found) if (maySee(caller, line, row.event)) rows.push(row);
  rows.sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));
  const seen = new Set<string>();
  const events = rows.filter((r) => !seen.has(r.event.id) && seen.add(r.event.id)).map((r) => r.event);
  return { events, complete };
}
