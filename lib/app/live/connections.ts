/**
 * Live connections of the AWS WebSocket API (pattern 30 and 31 of lib/adapters/dynamodb/keys.ts): one item
 * per connection with the caller, and one per line it may receive events of (or one in the
 * admins' partition), each with a TTL of 2 h 10 min (API Gateway closes a connection after 2 h;
 * TTL sweeps what a lost `$disconnect` leaves). The fan-out reads one partition per line of a
 * batch plus the admins'.
 */

import { batchWrite, getItem, type Item, queryAll } from '../../adapters/dynamodb/db.ts';
import { liveConnectionKey, liveLineConnectionKey, liveLinePartition } from '../../adapters/dynamodb/keys.ts';
import { type Caller, hasRole } from '../../domain/auth/caller.ts';
import { linesOfCaller } from './visibility.ts';

export const CONNECTION_ENTITY = 'liveconnection';
const KEEP_SECONDS = 2 * 60 * 60 + 10 * 60;

export interface LiveConnection {
  id: string;
  caller: Caller;
}

/** Records a new connection for the lines its caller may receive events of. */
export async function saveConnection(id: string, caller: Caller, now = Date.now()): Promise<void> {
  const lines = hasRole(caller, 'admin') ? 'all' : await linesOfCaller(caller);
  const partitions: (string | 'admins')[] = lines === 'all' ? ['admins'] : lines.map((l) => l.__id);
  const common = { entity: CONNECTION_ENTITY, connection: id, caller: JSON.stringify(caller), expiresAt: Math.floor(now / 1000) + KEEP_SECONDS };
  const items: Item[] = [
    { ...liveConnectionKey(id), ...common, partitions, connectedAt: new Date(now).toISOString() },
    ...partitions.map((p) => ({ ...liveLineConnectionKey(p, id), ...common })),
  ];
  await batchWrite(items);
}

export async function findConnection(id: string): Promise<(LiveConnection & { partitions: string[]; greeted: boolean }) | undefined> {
  const item = await getItem(liveConnectionKey(id));
  if (!item) return undefined;
  return { id, caller: JSON.parse(String(item.caller)) as Caller, partitions: (item.partitions ?? []) as string[], greeted: item.greeted === true };
}

/** Removes a connection and its line entries (idempotent). */
export async function removeConnection(id: string, partitions?: readonly string[]): Promise<void> {
  const known = partitions ?? (await findConnection(id))?.partitions ?? [];
  await batchWrite([], [liveConnectionKey(id), ...known.map((p) => liveLineConnectionKey(p, id))]);
}

/** The connections that may receive events of these lines: each line's partition, and the admins'. */
export async function connectionsOfLines(lineIds: readonly string[]): Promise<LiveConnection[]> {
  const byId = new Map<string, LiveConnection>();
  await Promise.all(
    ['admins', ...new Set(lineIds)].map(async (line) => {
      const items = await queryAll({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': liveLinePartition(line) } });
      for (const item of items) {
        const id = String(item.connection);
        if (!byId.has(id)) byId.set(id, { id, caller: JSON.parse(String(item.caller)) as Caller });
      }
    }),
  );
  return [...byId.values()];
}
