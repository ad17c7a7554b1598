/**
 * What the local host asks of DynamoDB Local, item by item. DynamoDB Local does its storage work
 * on one SQLite thread, and there every item a call touches costs about the same (a write reads
 * the old item, parses the table's definition twice, writes the item, its index rows and its
 * stream record; a read parses the definition once): so the items written and read per new
 * session, more than the calls, say how many sessions a second it can take. The routing step
 * tallies them from every call of the process (requests and background work alike:
 * infra/local/dynamodb-calls.ts `observeDynamo`); the stream poller's GetRecords are not among
 * them (another client).
 */
import type { DynamoObservation } from '../infra/local/dynamodb-calls.ts';

/** Item operations by kind (see {@link itemKind}), and the calls that carried them. */
export interface ItemWork {
  writes: Record<string, number>;
  reads: Record<string, number>;
  calls: number;
}

export const emptyItemWork = (): ItemWork => ({ writes: {}, reads: {}, calls: 0 });

/** What an item is, from its key (lib/adapters/dynamodb/keys.ts names every pattern). */
export function itemKind(key: { pk?: unknown; sk?: unknown } | undefined): string {
  const pk = String(key?.pk ?? '');
  const sk = String(key?.sk ?? '');
  const head = pk.split('#')[0]!;
  if (head === 'SESSION') return sk.startsWith('MSG#') ? 'message' : 'session';
  if (head === 'CHANNEL') {
    if (pk.includes('#ACCOUNT#')) return 'account guard';
    if (pk.includes('#EXT#')) return 'message id guard';
    return 'channel';
  }
  if (head === 'OPEN') return 'open-session guard';
  if (head === 'SPAM') return 'spam-session guard';
  if (head === 'USER') return 'operator';
  if (head === 'ONLINE') return 'online operators';
  if (head === 'EVENT') return 'live event log';
  if (head === 'STREAM') return 'stream checkpoint';
  if (head === 'DUE') return 'timer';
  return head.toLowerCase() || 'other';
}

const add = (into: Record<string, number>, kind: string, n = 1) => {
  into[kind] = (into[kind] ?? 0) + n;
};

type Key = { pk?: unknown; sk?: unknown };
type Input = {
  TransactItems?: Record<string, { Item?: Key; Key?: Key }>[];
  RequestItems?: Record<string, { Keys?: Key[] } | { PutRequest?: { Item: Key }; DeleteRequest?: { Key: Key } }[]>;
  Item?: Key;
  Key?: Key;
  IndexName?: string;
  ExpressionAttributeValues?: Record<string, unknown>;
};

/** Adds one observed call's items to `work`. A Query counts the items it returned, a cancelled transaction its items all the same. */
export function tallyCall(work: ItemWork, call: DynamoObservation): void {
  const input = call.input as Input;
  work.calls += 1;
  switch (call.command) {
    case 'TransactWriteItems':
      for (const entry of input.TransactItems ?? []) {
        const [op, body] = Object.entries(entry)[0]!;
        add(op === 'ConditionCheck' ? work.reads : work.writes, itemKind(body.Item ?? body.Key));
      }
      return;
    case 'BatchWriteItem':
      for (const requests of Object.values(input.RequestItems ?? {}) as { PutRequest?: { Item: Key }; DeleteRequest?: { Key: Key } }[][]) {
        for (const r of requests) add(work.writes, itemKind(r.PutRequest?.Item ?? r.DeleteRequest?.Key));
      }
      return;
    case 'BatchGetItem':
      for (const table of Object.values(input.RequestItems ?? {}) as { Keys?: Key[] }[]) for (const key of table.Keys ?? []) add(work.reads, itemKind(key));
      return;
    case 'GetItem':
      add(work.reads, itemKind(input.Key));
      return;
    case 'PutItem':
      add(work.writes, itemKind(input.Item));
      return;
    case 'UpdateItem':
    case 'DeleteItem':
      add(work.writes, itemKind(input.Key));
      return;
    case 'Query': {
      // What DynamoDB read, filtered out or not.
      const output = call.output as { Count?: number; ScannedCount?: number } | undefined;
      const count = output?.ScannedCount ?? output?.Count ?? 0;
      const values = input.ExpressionAttributeValues ?? {};
      const partition = values[':pk'] ?? Object.values(values)[0];
      if (count > 0) add(work.reads, input.IndexName ? `${input.IndexName} index rows` : itemKind({ pk: partition }), count);
      return;
    }
  }
}

/** The work divided by `sessions`, rounded to hundredths, each kind in descending order. */
export function perSession(work: ItemWork, sessions: number): ItemWork {
  const scale = (r: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(r)
        .map(([k, v]) => [k, Math.round((v / sessions) * 100) / 100] as const)
        .filter(([, v]) => v > 0)
        .sort((a, b) => b[1] - a[1]),
    );
  return { writes: scale(work.writes), reads: scale(work.reads), calls: Math.round((work.calls / sessions) * 100) / 100 };
}

export const totalOf = (r: Record<string, number>): number => Math.round(Object.values(r).reduce((a, b) => a + b, 0) * 100) / 100;

/** "11.3 item writes (6 arrival: …)"-style text: total, then each kind. */
export const describe = (r: Record<string, number>): string =>
  `${totalOf(r)} (${Object.entries(r)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')})`;
