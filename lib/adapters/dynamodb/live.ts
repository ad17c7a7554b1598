/**
 * The live push repository: the connections of the AWS WebSocket API and the event log that
 * `resume` re-reads.
 *
 * Connections (patterns 30 and 31 of keys.ts): one item per connection with its caller, and one
 * per line it may receive events of (or one in the admins' partition), each with a TTL of
 * 2 h 10 min (API Gateway closes a connection after 2 h; TTL sweeps what a lost `$disconnect`
 * leaves). The fan-out reads one partition per line of a batch plus the admins'. Every item
 * carries the expiry of the connection's token, so the fan-out reads it with the caller.
 *
 * The log: every event the stream consumer sees is written once more as its own item
 * (`EVENT#<id>`), indexed per line and hour in time order on gsi1 (`EVENTS#<line>#<hour>` /
 * `<time>#<session>#<seq>`), with a TTL of 70 minutes. Its entity is `liveevent`, so the stream
 * filter keeps these writes from making events of their own. At least once: the item of an event
 * is keyed by its id and its content is a function of the event, so writing it again (a retried
 * batch) leaves the same item: the writes are plain BatchWriteItem puts (25 per call).
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { ChatlinesEvent } from '../../contract/events.ts';
import { batchWrite, getItem, type Item, queryAll, updateItem } from './db.ts';
import { eventLogIndexKeys, eventLogKey, INDEX, liveConnectionKey, liveLineConnectionKey, liveLinePartition } from './keys.ts';

// ------------------------------------------------------------------------- connections

const CONNECTION_ENTITY = 'liveconnection';
const KEEP_CONNECTION_SECONDS = 2 * 60 * 60 + 10 * 60;

/** A connection and the caller it was opened by (as the caller was given, read back from JSON). */
export interface LiveConnection<C = unknown> {
  id: string;
  caller: C;
  /** When the token the connection was opened with expires (epoch seconds); undefined: it never does. */
  tokenExpiresAt?: number | undefined;
}

const expiryOf = (item: Item) => (typeof item.tokenExpiresAt === 'number' ? item.tokenExpiresAt : undefined);

/**
 * Records a new connection in the partitions of the lines it may receive events of (`admins`:
 * every line), with the expiry of its token (`exp`, epoch seconds) on every item.
 */
export async function saveConnection(id: string, caller: object, partitions: readonly string[], now = Date.now(), tokenExpiresAt?: number): Promise<void> {
  const common = {
    entity: CONNECTION_ENTITY,
    connection: id,
    caller: JSON.stringify(caller),
    expiresAt: Math.floor(now / 1000) + KEEP_CONNECTION_SECONDS,
    ...(tokenExpiresAt !== undefined ? { tokenExpiresAt } : {}),
  };
  const items: Item[] = [
    { ...liveConnectionKey(id), ...common, partitions: [...partitions], connectedAt: new Date(now).toISOString() },
    ...partitions.map((p) => ({ ...liveLineConnectionKey(p, id), ...common })),
  ];
  await batchWrite(items);
}

export async function findConnection<C>(id: string): Promise<(LiveConnection<C> & { partitions: string[]; greeted: boolean }) | undefined> {
  const item = await getItem(liveConnectionKey(id));
  if (!item) return undefined;
  return {
    id,
    caller: JSON.parse(String(item.caller)) as C,
    tokenExpiresAt: expiryOf(item),
    partitions: (item.partitions ?? []) as string[],
    greeted: item.greeted === true,
  };
}

/** Marks a connection greeted; true only for the first call (the one that should send `ready`). */
export async function markGreeted(id: string): Promise<boolean> {
  const updated = await updateItem({
    Key: liveConnectionKey(id),
    UpdateExpression: 'SET greeted = :t',
    ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(greeted)',
    ExpressionAttributeValues: { ':t': true },
  });
  return updated !== undefined;
}

/**
 * Claims a connection's typing slot for a session: true when its last typing frame for that
 * session went out at least `intervalMs` ago (one conditional UpdateItem on the connection item;
 * only the throttle's clock is kept, never what was typed).
 */
export async function claimTypingSlot(id: string, session: string, now: number, intervalMs: number): Promise<boolean> {
  const updated = await updateItem({
    Key: liveConnectionKey(id),
    UpdateExpression: 'SET typingAt = :now, typingSession = :s',
    ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(typingAt) OR typingAt <= :cutoff OR typingSession <> :s)',
    ExpressionAttributeValues: { ':now': now, ':s': session, ':cutoff': now - intervalMs },
  });
  return updated !== undefined;
}

/** Removes a connection and its line entries (idempotent). */
export async function removeConnection(id: string, partitions?: readonly string[]): Promise<void> {
  const known = partitions ?? (await findConnection(id))?.partitions ?? [];
  await batchWrite([], [liveConnectionKey(id), ...known.map((p) => liveLineConnectionKey(p, id))]);
}

/** The connections that may receive events of these lines: each line's partition, and the admins'. */
export async function connectionsOfLines<C>(lineIds: readonly string[]): Promise<LiveConnection<C>[]> {
  const byId = new Map<string, LiveConnection<C>>();
  await Promise.all(
    ['admins', ...new Set(lineIds)].map(async (line) => {
      const items = await queryAll({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': liveLinePartition(line) } });
      for (const item of items) {
        const id = String(item.connection);
        if (!byId.has(id)) byId.set(id, { id, caller: JSON.parse(String(item.caller)) as C, tokenExpiresAt: expiryOf(item) });
      }
    }),
  );
  return [...byId.values()];
}

// ----------------------------------------------------------------------------- the log

const LOG_ENTITY = 'liveevent';
/** The log keeps events a little longer than `resume`'s window (an hour); DynamoDB's TTL deletes them later still. */
const KEEP_LOG_SECONDS = 70 * 60;

/**
 * A logged event: its JSON deflated into a binary attribute (`eventZ`): an event with its
 * session is 1–2 KB of JSON and about a third of that deflated, so most log writes cost one
 * write unit instead of two.
 */
function logItem(event: ChatlinesEvent): Item {
  return {
    ...eventLogKey(event.id),
    ...eventLogIndexKeys(event),
    entity: LOG_ENTITY,
    line: event.line,
    time: event.time,
    eventZ: deflateRawSync(JSON.stringify(event)),
    expiresAt: Math.floor(Date.parse(event.time) / 1000) + KEEP_LOG_SECONDS,
  };
}

/** The event of a log item (kept deflated in `eventZ`). */
const loggedEvent = (item: Item): ChatlinesEvent => JSON.parse(inflateRawSync(item.eventZ as Uint8Array).toString('utf8')) as ChatlinesEvent;

/** Writes the events to the log (idempotent). */
export async function logEvents(events: readonly ChatlinesEvent[]): Promise<void> {
  const unique = new Map(events.map((e) => [e.id, e]));
  await batchWrite([...unique.values()].map(logItem));
}

/** Where a logged event stands: its time and its sort key in the log's index (eventually consistent read). */
export async function logPosition(eventId: string): Promise<{ time: string; sortKey: string } | undefined> {
  const found = await getItem(eventLogKey(eventId), false);
  return found && { time: String(found.time), sortKey: String(found.gsi1sk) };
}

/** The logged events of one log partition after a sort key, with their sort keys, in order. */
export async function readLogPartition(partition: string, afterSortKey: string): Promise<{ sk: string; event: ChatlinesEvent }[]> {
  const items = await queryAll({
    IndexName: INDEX.eventLog,
    KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk > :after',
    ExpressionAttributeValues: { ':pk': partition, ':after': afterSortKey },
  });
  return items.map((item) => ({ sk: String(item.gsi1sk), event: loggedEvent(item) }));
}
