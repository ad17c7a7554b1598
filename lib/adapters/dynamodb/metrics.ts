/**
 * The metrics repository: which sessions changed (the change index, gsi5), each session's stored
 * contribution, the rollup items the contributions add up to, and the aggregation's watermark.
 * What the cells hold is decided by lib/domain/metrics/definitions.ts; this module reads and
 * writes them as it is given them.
 */
import { isConflict } from '../../contract/errors.ts';
import { getItem, getItems, type Item, queryAll, queryPages, type TransactItem, tableName, transact } from './db.ts';
import {
  changedAtOfSortKey,
  changeShards,
  changesFrom,
  changesPartition,
  hourBucket,
  INDEX,
  metricContributionKey,
  metricRollupKey,
  metricWatermarkKey,
} from './keys.ts';
import { keyAttributesOf } from './table.ts';

/** Field → amount, per cell id (`<line>|<dimension>|<bucket>`). */
type Cells = Record<string, Record<string, number>>;

/** A session the change index lists. */
export interface ChangedSession {
  id: string;
  line: string;
  channel: string;
  /** The session's last change as the index showed it. */
  changedAt?: string;
}

/** Hour buckets from the one holding `from` to the one holding `to`, inclusive. */
function hoursBetween(from: Date, to: Date): string[] {
  const out: string[] = [];
  const start = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate(), from.getUTCHours());
  for (let t = start; t <= to.getTime(); t += 3_600_000) out.push(hourBucket(new Date(t).toISOString()));
  return out;
}

/** Sessions whose last change is at or after `from`, oldest change first: hour partitions × shards of gsi5. */
export async function changedSince(from: Date, to: Date, counter: { itemsRead: number }): Promise<ChangedSession[]> {
  const found = new Map<string, ChangedSession>();
  // The index keeps the minute of a change: read from the minute `from` falls in.
  const fromKey = changesFrom(from.toISOString());
  const shards = changeShards();
  const changeKeys = keyAttributesOf(INDEX.changes);
  for (const hour of hoursBetween(from, to)) {
    for (let shard = 0; shard < shards; shard++) {
      const pages = queryPages({
        IndexName: INDEX.changes,
        KeyConditionExpression: '#pk = :pk AND #sk >= :from',
        ExpressionAttributeValues: { ':pk': changesPartition(hour, shard), ':from': fromKey },
        ProjectionExpression: '#id, #line, #channel, #sk',
        ExpressionAttributeNames: { '#id': '__id', '#line': '_line', '#channel': '_channel', '#pk': changeKeys.pk, '#sk': changeKeys.sk },
      });
      for await (const page of pages) {
        counter.itemsRead += page.items.length;
        for (const item of page.items) {
          const id = String(item.__id);
          const changedAt = changedAtOfSortKey(String(item[changeKeys.sk]));
          found.set(id, { id, line: String(item._line), channel: String(item._channel), changedAt });
        }
      }
    }
  }
  // Oldest change first, so that a run cut short by its deadline leaves a clean boundary.
  return [...found.values()].sort((a, b) => (a.changedAt ?? '').localeCompare(b.changedAt ?? ''));
}

/** A session's stored contribution: the cells it added to the rollups, at a version. */
export interface Contribution {
  version: number;
  cells: Cells;
}

const contributionOf = (item: Item | undefined): Contribution | undefined =>
  item ? { version: Number(item.version), cells: (item.cells ?? {}) as Cells } : undefined;

export async function readContribution(sessionId: string): Promise<Contribution | undefined> {
  return contributionOf(await getItem(metricContributionKey(sessionId)));
}

/** The contributions of several sessions in one BatchGetItem per 100, in `sessionIds`' order. */
export async function readContributions(sessionIds: readonly string[]): Promise<(Contribution | undefined)[]> {
  return (await getItems(sessionIds.map((id) => metricContributionKey(id)))).map(contributionOf);
}

/** A session's contribution written at the version read (none read: must not exist yet). */
export function contributionPut(session: ChangedSession, cells: Cells, readVersion: number | undefined, at: string): TransactItem {
  const item: Item = {
    ...metricContributionKey(session.id),
    entity: 'metricContribution',
    session: session.id,
    line: session.line,
    version: (readVersion ?? 0) + 1,
    cells,
    computedAt: at,
  };
  return {
    Put: {
      TableName: tableName(),
      Item: item,
      ...(readVersion === undefined
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : {
            ConditionExpression: '#v = :v',
            ExpressionAttributeNames: { '#v': 'version' },
            ExpressionAttributeValues: { ':v': readVersion },
          }),
    },
  };
}

/** A rollup item's fields moved by `delta` (ADD), the item made if new. */
export function rollupUpdate(address: { line: string; dimension: string; bucket: string }, delta: Record<string, number>): TransactItem {
  const names: Record<string, string> = { '#e': 'entity' };
  const values: Record<string, unknown> = { ':e': 'metricRollup' };
  const adds: string[] = [];
  Object.entries(delta).forEach(([field, value], i) => {
    names[`#f${i}`] = field;
    values[`:d${i}`] = value;
    adds.push(`#f${i} :d${i}`);
  });
  return {
    Update: {
      TableName: tableName(),
      Key: metricRollupKey(address.line, address.dimension, address.bucket),
      UpdateExpression: `SET #e = :e ADD ${adds.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

/** The rollup items of a series whose bucket lies between two buckets (inclusive), in bucket order, with their bucket. */
export async function rollupsBetween(line: string, series: string, fromBucket: string, toBucket: string): Promise<{ bucket: string; item: Item }[]> {
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
    ExpressionAttributeValues: { ':pk': metricRollupKey(line, series, '').pk, ':a': fromBucket, ':b': toBucket },
  });
  return items.map((item) => ({ bucket: String(item.sk), item }));
}

/** One rollup item (eventually consistent read). */
export const readRollup = (line: string, series: string, bucket: string): Promise<Item | undefined> => getItem(metricRollupKey(line, series, bucket), false);

/** The last successful run's start, if any. */
export async function readWatermark(): Promise<string | undefined> {
  const item = await getItem(metricWatermarkKey());
  return item?.at as string | undefined;
}

/** Moves the watermark to `at` with the run's report; false when a later run already moved it further. */
export async function advanceWatermark(at: string, lastRun: object): Promise<boolean> {
  try {
    await transact(
      [
        {
          Put: {
            TableName: tableName(),
            Item: { ...metricWatermarkKey(), entity: 'metricWatermark', at, lastRun },
            ConditionExpression: 'attribute_not_exists(pk) OR #at < :at',
            ExpressionAttributeNames: { '#at': 'at' },
            ExpressionAttributeValues: { ':at': at },
          },
        },
      ],
      'a later run already advanced the watermark',
    );
    return true;
  } catch (error) {
    if (isConflict(error)) return false;
    throw error;
  }
}
