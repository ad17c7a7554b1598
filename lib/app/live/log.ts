/**
 * The live event log: what `resume` re-sends. Every event the stream consumer sees is written
 * once more as its own item (`EVENT#<id>`), indexed per line and hour in time order on gsi1
 * (`EVENTS#<line>#<hour>` / `<time>#<session>#<seq>`), with a TTL of 70 minutes. Its entity is
 * `liveevent`, so the stream filter keeps these writes from making events of their own.
 *
 * At least once: the item of an event is keyed by its id and its content is a function of the
 * event, so writing it again (a retried batch) leaves the same item: the writes are plain
 * BatchWriteItem puts (25 per call) rather than one conditional put per event.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { batchWrite, getItem, type Item, queryAll } from '../../adapters/dynamodb/db.ts';
import { eventLogIndexKeys, eventLogKey, eventLogPartitions, eventLogSortKey, hourBucket, INDEX } from '../../adapters/dynamodb/keys.ts';
import { allLines } from '../../adapters/dynamodb/lines.ts';
import type { ChatlinesEvent } from '../../contract/events.ts';
import type { Line } from '../../contract/schemas.ts';
import type { Caller } from '../../domain/auth/caller.ts';
import { maySee } from './visibility.ts';

/** How far back `resume` reaches (the contract: the last hour). */
export const RESUME_WINDOW_MS = 60 * 60 * 1000;
/** The log keeps events a little longer than the window; DynamoDB's TTL deletes them later still. */
const KEEP_SECONDS = 70 * 60;

export const LOG_ENTITY = 'liveevent';

/**
 * A logged event: its JSON deflated into a binary attribute (`eventZ`): an event with its
 * session is 1–2 KB of JSON and about a third of that deflated, so most log writes cost one
 * write unit instead of two.
 */
export function logItem(event: ChatlinesEvent): Item {
  return {
    ...eventLogKey(event.id),
    ...eventLogIndexKeys(event),
    entity: LOG_ENTITY,
    line: event.line,
    time: event.time,
    eventZ: deflateRawSync(JSON.stringify(event)),
    expiresAt: Math.floor(Date.parse(event.time) / 1000) + KEEP_SECONDS,
  };
}

/** The event of a log item (kept deflated in `eventZ`). */
export function loggedEvent(item: Item): ChatlinesEvent {
  return JSON.parse(inflateRawSync(item.eventZ as Uint8Array).toString('utf8')) as ChatlinesEvent;
}

/** Writes the events to the log (idempotent). */
export async function logEvents(events: readonly ChatlinesEvent[]): Promise<void> {
  const unique = new Map(events.map((e) => [e.id, e]));
  await batchWrite([...unique.values()].map(logItem));
}

const hoursBetween = (fromMs: number, toMs: number): string[] => {
  const out: string[] = [];
  const hour = 3_600_000;
  for (let t = Math.floor(fromMs / hour) * hour; t <= toMs; t += hour) out.push(hourBucket(new Date(t).toISOString()));
  return out;
};

async function readPartition(partition: string, afterSortKey: string): Promise<{ sk: string; event: ChatlinesEvent }[]> {
  const items = await queryAll({
    IndexName: INDEX.eventLog,
    KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk > :after',
    ExpressionAttributeValues: { ':pk': partition, ':after': afterSortKey },
  });
  return items.map((item) => ({ sk: String(item.gsi1sk), event: loggedEvent(item) }));
}

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
  const found = await getItem(eventLogKey(after), false);
  const foundTime = found ? Date.parse(String(found.time)) : NaN;
  const complete = found !== undefined && foundTime >= windowStart;
  const afterSortKey = complete
    ? String(found!.gsi1sk)
    : eventLogSortKey({ time: new Date(windowStart).toISOString(), session: null, channel: '', sequence: 0 });
  const fromMs = complete ? foundTime : windowStart;
  const targetLines = lines === 'all' ? await allLines() : lines;
  const hours = hoursBetween(fromMs, now + 60_000);
  const parts = await Promise.all(
    targetLines.flatMap((line) =>
      hours.flatMap((hour) => eventLogPartitions(line.__id, hour).map(async (partition) => ({ line, rows: await readPartition(partition, afterSortKey) }))),
    ),
  );
  const rows: { sk: string; event: ChatlinesEvent }[] = [];
  for (const { line, rows: found } of parts) for (const row of found) if (maySee(caller, line, row.event)) rows.push(row);
  rows.sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));
  const seen = new Set<string>();
  const events = rows.filter((r) => !seen.has(r.event.id) && seen.add(r.event.id)).map((r) => r.event);
  return { events, complete };
}
