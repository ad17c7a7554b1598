/**
 * The line, channel and client repository: configuration items and the accounts of clients, with
 * the per-instance caches that keep the hottest of them (a line, a channel) off the table.
 * Changes are conditional on the item as it was read (`__updatedAt`, a channel's `_state`).
 */

import { notFound } from '../../contract/errors.ts';
import type { Channel, Client, Line, Operator } from '../../contract/schemas.ts';
import { TtlCache } from '../cache.ts';
import { getItem, getItems, type Item, putNew, type QueryPage, queryPages, type TransactItem, tableName, transact } from './db.ts';
import { channelItem, clientItem, lineItem, readChannel, readClient, readLine, readOperator } from './items.ts';
import { accountGuardKey, channelKey, clientKey, INDEX, LINES_PARTITION, lineKey, operatorKey } from './keys.ts';
import { keyAttributesOf } from './table.ts';

// ------------------------------------------------------------------------------- lines

export async function findLine(id: string): Promise<Line | undefined> {
  const item = await getItem(lineKey(id));
  return item && readLine(item);
}
export async function getLine(id: string): Promise<Line> {
  const line = await findLine(id);
  if (!line) throw notFound('line', id);
  return line;
}

/**
 * How long an instance trusts a line it has read (lines change rarely; admins only): session
 * reads then cost one GetItem (the session) instead of two.
 */
const LINE_CACHE_MS = 60_000;
/** The one cache of lines of an instance; a line found missing is kept too (`undefined`). */
const lineCache = new TtlCache<Line | undefined>(LINE_CACHE_MS);

/** A line, from this instance's cache when read in the last minute. A missing line is 404. */
export async function getLineCached(id: string): Promise<Line> {
  const hit = lineCache.get(id)?.value;
  if (hit) return hit;
  const line = await getLine(id);
  lineCache.set(id, line);
  return line;
}

/**
 * Lines by id, read together (one BatchGetItem for those not in the cache), from the same cache
 * as {@link getLineCached} but trusting only entries younger than `maxAgeMs`: a reader that must
 * see a change of a line's groups soon asks for a shorter age. Missing lines are left out.
 */
export async function linesById(ids: readonly string[], maxAgeMs = LINE_CACHE_MS): Promise<Map<string, Line>> {
  const known = new Map<string, Line | undefined>();
  const missing: string[] = [];
  for (const id of new Set(ids)) {
    const hit = lineCache.get(id, Date.now(), maxAgeMs);
    if (hit) known.set(id, hit.value);
    else missing.push(id);
  }
  const items = await getItems(missing.map((id) => lineKey(id)));
  missing.forEach((id, j) => {
    const line = items[j] ? readLine(items[j]!) : undefined;
    lineCache.set(id, line);
    known.set(id, line);
  });
  const out = new Map<string, Line>();
  for (const id of ids) {
    const line = known.get(id);
    if (line) out.set(id, line);
  }
  return out;
}

/** Drops a line from this instance's cache (after this instance changed it). */
function forgetLine(id: string): void {
  lineCache.delete(id);
}

/** Every line (gsi1 `LINES`; lines are configuration, a short partition). `onPage` sees each page read. */
export async function allLines(onPage?: (page: QueryPage) => void): Promise<Line[]> {
  const index = INDEX.linesByName;
  const pages = queryPages({
    IndexName: index,
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': keyAttributesOf(index).pk },
    ExpressionAttributeValues: { ':pk': LINES_PARTITION },
  });
  const out: Line[] = [];
  for await (const page of pages) {
    onPage?.(page);
    for (const item of page.items) if (item.entity === 'line') out.push(readLine(item));
  }
  return out;
}

export async function insertLine(line: Line, extra: TransactItem[] = []): Promise<void> {
  await transact([putNew(lineItem(line)), ...extra], 'the line already exists');
}

/** A Put that replaces an item only while it is as it was read (its `__updatedAt`): optimistic concurrency for objects without a version. */
function putUnchangedSince(item: Item, updatedAt: string): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: item,
      ConditionExpression: '#u = :u',
      ExpressionAttributeNames: { '#u': '__updatedAt' },
      ExpressionAttributeValues: { ':u': updatedAt },
    },
  };
}

/** Replaces a line at the `__updatedAt` it was read at (a concurrent change: 409). */
export async function replaceLine(before: Line, after: Line, extra: TransactItem[] = []): Promise<void> {
  await transact([putUnchangedSince(lineItem(after), before.__updatedAt), ...extra], 'the line was changed concurrently; read it again');
  forgetLine(after.__id);
}

// ---------------------------------------------------------------------------- channels

export async function findChannel(id: string): Promise<Channel | undefined> {
  const item = await getItem(channelKey(id));
  return item && readChannel(item);
}
/** A channel read fresh (a command's read) with other items, in one BatchGetItem; 404 when it is missing. The items follow `keys`' order. */
export async function getChannelFreshWith(id: string, keys: { pk: string; sk: string }[]): Promise<{ channel: Channel; items: (Item | undefined)[] }> {
  const [item, ...items] = await getItems([channelKey(id), ...keys]);
  if (!item) throw notFound('channel', id);
  return { channel: readChannel(item), items };
}
export async function getChannel(id: string): Promise<Channel> {
  const channel = await findChannel(id);
  if (!channel) throw notFound('channel', id);
  return channel;
}

/**
 * How long an instance trusts a channel it has read for an inbound message. Every message of a
 * channel reads it; cached, a busy channel's item is read once per instance per 10 s instead of
 * once per message. What may be stale: a channel disconnected or moved through another instance
 * keeps taking messages here for up to 10 s (commands on the channel itself always read it).
 */
const CHANNEL_CACHE_MS = 10_000;
const channelCache = new TtlCache<Channel>(CHANNEL_CACHE_MS);
/** Drops a channel from this instance's cache (after this instance changed it). */
const forgetChannel = (id: string) => channelCache.delete(id);

/** The channel from the cache, or its key to read with the rest; then the channel from what was read. */
function cachedChannel(channelId: string): { keys: { pk: string; sk: string }[]; take(item: Item | undefined): Channel } {
  const hit = channelCache.get(channelId)?.value;
  if (hit) return { keys: [], take: () => hit };
  return {
    keys: [channelKey(channelId)],
    take(item) {
      if (!item) throw notFound('channel', channelId);
      const channel = readChannel(item);
      channelCache.set(channelId, channel);
      return channel;
    },
  };
}

/**
 * A channel (from this instance's cache when read in the last 10 s) and other items, in one
 * BatchGetItem: what a channel's integration posts needs both. A missing channel is 404; the
 * items follow `keys`' order.
 */
export async function getChannelWith(channelId: string, keys: { pk: string; sk: string }[]): Promise<{ channel: Channel; items: (Item | undefined)[] }> {
  const ch = cachedChannel(channelId);
  const items = await getItems([...ch.keys, ...keys]);
  return { channel: ch.take(items[0]), items: items.slice(ch.keys.length) };
}

/**
 * A channel, the client registered for an account on it and (optionally) an operator's record,
 * in one BatchGetItem: every key is known from the request. A missing channel is 404. The
 * channel comes from this instance's cache when it was read in the last 10 s.
 */
export async function getChannelAndAccount(
  channelId: string,
  username: string,
  operatorId?: string,
): Promise<{ channel: Channel; clientId: string | undefined; operator: Operator | undefined }> {
  const { channel, items } = await getChannelWith(channelId, [accountGuardKey(channelId, username), ...(operatorId ? [operatorKey(operatorId)] : [])]);
  const [guard, operator] = items;
  return {
    channel,
    clientId: guard?.clientId as string | undefined,
    operator: operator ? readOperator(operator) : undefined,
  };
}

/** The types of channels an instance has read: a channel's type never changes. */
const channelTypeCache = new TtlCache<Channel['_type']>(Infinity, 10_000);
/**
 * The type of a channel. Types never change, so an instance reads each channel once: the
 * spam rule and the guard mode of close/spam/unspam then cost no read of their own.
 */
export async function channelTypeCached(id: string): Promise<Channel['_type']> {
  const hit = channelTypeCache.get(id);
  if (hit) return hit.value;
  const channel = await getChannel(id);
  channelTypeCache.set(id, channel._type);
  return channel._type;
}

export async function insertChannel(channel: Channel, extra: TransactItem[] = []): Promise<void> {
  await transact(
    [
      {
        ConditionCheck: {
          TableName: tableName(),
          Key: lineKey(channel._line),
          ConditionExpression: 'attribute_exists(pk) AND attribute_type(#d, :null)',
          ExpressionAttributeNames: { '#d': '__deletedAt' },
          ExpressionAttributeValues: { ':null': 'NULL' },
        },
      },
      putNew(channelItem(channel)),
      ...extra,
    ],
    'the channel could not be created',
    (reasons) => (reasons[0] ? notFound('line', channel._line) : undefined),
  );
}

export async function updateChannel(before: Channel, after: Channel, extra: TransactItem[] = []): Promise<void> {
  await transact(
    [
      {
        Put: {
          TableName: tableName(),
          Item: channelItem(after),
          ConditionExpression: '#s = :s AND #u = :u',
          ExpressionAttributeNames: { '#s': '_state', '#u': '__updatedAt' },
          ExpressionAttributeValues: { ':s': before._state, ':u': before.__updatedAt },
        },
      },
      ...extra,
    ],
    'the channel was changed concurrently',
  );
  forgetChannel(after.__id);
}

// ----------------------------------------------------------------------------- clients

/** A client and (optionally) an operator's record in one BatchGetItem; a missing client is 404. */
export async function getClientWithOperator(id: string, operatorId: string | undefined): Promise<{ client: Client; operator: Operator | undefined }> {
  const [client, operator] = await getItems([clientKey(id), ...(operatorId ? [operatorKey(operatorId)] : [])]);
  if (!client) throw notFound('client', id);
  return { client: readClient(client), operator: operator ? readOperator(operator) : undefined };
}

/** A client by id (erased ones too: `__deletedAt` set), undefined when there is none. */
export async function findClient(id: string): Promise<Client | undefined> {
  const item = await getItem(clientKey(id));
  return item && readClient(item);
}

/** The client id registered for an account on a channel, if any. */
export async function clientIdByAccount(channelId: string, username: string): Promise<string | undefined> {
  const guard = await getItem(accountGuardKey(channelId, username));
  return guard?.clientId as string | undefined;
}

export async function updateClient(before: Client, after: Client, extra: TransactItem[] = []): Promise<void> {
  await transact([putUnchangedSince(clientItem(after), before.__updatedAt), ...extra], 'the client was changed concurrently');
}
