/**
 * The DynamoDB document client and the few primitives every repository uses: one place for
 * the table name, timeouts, paging and the mapping of DynamoDB failures to chatlines errors (a
 * lost condition → conflict, an unreachable database → unavailable). Every call asks for its
 * consumed capacity; whoever wants to count calls adds middleware to the client's stack
 * (infra/local/dynamodb-calls.ts does, for the tests and the benchmark).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  type GetCommandInput,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ChatlinesError } from '../../contract/errors.ts';
import { mapPool, sendAll } from '../concurrency.ts';
import { tracer } from '../observability.ts';
import { indexHoldsKeysOnly } from './table.ts';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
export type Item = Record<string, unknown>;

let documentClient: DynamoDBDocumentClient | undefined;

export function tableName(): string {
  const name = process.env.TABLE_NAME;
  if (!name) throw new Error('TABLE_NAME is not set');
  return name;
}

/**
 * The shared client. `DYNAMODB_ENDPOINT` points it at DynamoDB Local (or any other endpoint);
 * in Lambda it is unset and the SDK's defaults apply. Timeouts are short so that a request
 * never hangs on an unreachable database: it fails with 503 instead.
 */
export function db(): DynamoDBDocumentClient {
  if (documentClient) return documentClient;
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  const client = new DynamoDBClient({
    ...(endpoint
      ? {
          endpoint,
          region: process.env.AWS_REGION ?? 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : {}),
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 5_000 },
  });
  if (tracer?.isTracingEnabled()) tracer.captureAWSv3Client(client);
  documentClient = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return documentClient;
}

/** Replace the client (tests that point at a stopped database). */
export function resetClient(): void {
  documentClient = undefined;
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

/** Maps SDK failures that are not the caller's fault to 503 / 429; others pass through. */
function translateError(error: unknown): unknown {
  if (error instanceof ChatlinesError) return error;
  const e = error as { name?: string; code?: string; $metadata?: unknown; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code;
  if (
    (code && UNAVAILABLE_CODES.has(code)) ||
    e?.name === 'TimeoutError' ||
    e?.name === 'RequestTimeout' ||
    e?.name === 'ServiceUnavailable' ||
    e?.name === 'InternalServerError' ||
    e?.name === 'ResourceNotFoundException'
  ) {
    return new ChatlinesError('unavailable', 'the database is unreachable; nothing was written');
  }
  if (e?.name === 'ProvisionedThroughputExceededException' || e?.name === 'ThrottlingException' || e?.name === 'RequestLimitExceeded') {
    return new ChatlinesError('throttled', 'the database is throttling requests; retry later');
  }
  return error;
}

async function run<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw translateError(error);
  }
}

/** Strongly consistent GetItem. */
export async function getItem(key: { pk: string; sk: string }, consistent = true, tally?: { readCapacity: number }): Promise<Item | undefined> {
  return run(async () => {
    const input: GetCommandInput = {
      TableName: tableName(),
      Key: key,
      ConsistentRead: consistent,
      ReturnConsumedCapacity: 'TOTAL',
    };
    const out = await db().send(new GetCommand(input));
    if (tally) tally.readCapacity += out.ConsumedCapacity?.CapacityUnits ?? 0;
    return out.Item;
  });
}

/**
 * Several items by key in one strongly consistent BatchGetItem per 100 distinct keys (one round
 * trip for up to 100; unprocessed keys, which DynamoDB returns under load, are fetched again).
 * Results follow `keys`' order; a key named twice is read once.
 */
export async function getItems(keys: { pk: string; sk: string }[], tally?: { readCapacity: number }): Promise<(Item | undefined)[]> {
  if (keys.length === 0) return [];
  // BatchGetItem refuses a request that names one key twice: ask once, answer every position.
  const unique = [...new Map(keys.map((k) => [`${k.pk}\u0000${k.sk}`, k])).values()];
  if (unique.length === 1) {
    const item = await getItem(unique[0]!, true, tally);
    return keys.map(() => item);
  }
  return run(async () => {
    const found = new Map<string, Item>();
    // BatchGetItem takes at most 100 keys: one call per 100 (in order), each retrying what it left unprocessed.
    for (let start = 0; start < unique.length; start += BATCH_GET_MAX) await readBatch(unique.slice(start, start + BATCH_GET_MAX), found, tally);
    return keys.map((k) => found.get(`${k.pk}\u0000${k.sk}`));
  });
}

/** The most keys one BatchGetItem may name. */
const BATCH_GET_MAX = 100;

/** How unprocessed keys and items of a batch are sent again. */
const BATCH_RETRY = { baseMs: 50, capMs: 1_000 };

async function readBatch(keys: { pk: string; sk: string }[], found: Map<string, Item>, tally?: { readCapacity: number }): Promise<void> {
  await sendAll<Record<string, unknown>>(
    keys,
    async (pending) => {
      const input = { RequestItems: { [tableName()]: { Keys: pending, ConsistentRead: true } }, ReturnConsumedCapacity: 'TOTAL' as const };
      const out = await db().send(new BatchGetCommand(input));
      if (tally) for (const c of out.ConsumedCapacity ?? []) tally.readCapacity += c.CapacityUnits ?? 0;
      for (const item of out.Responses?.[tableName()] ?? []) found.set(`${String(item.pk)}\u0000${String(item.sk)}`, item as Item);
      return (out.UnprocessedKeys?.[tableName()]?.Keys ?? []) as Record<string, unknown>[];
    },
    { ...BATCH_RETRY, attempts: 6, exhausted: () => new ChatlinesError('throttled', 'the database is throttling requests; retry later') },
  );
}

export interface QueryPage {
  items: Item[];
  lastKey: Record<string, unknown> | undefined;
  consumedRead: number;
}

/**
 * One Query call (one page). On a keys-only index (lib/adapters/dynamodb/table.ts) the page's items are then
 * read from the table in one strongly consistent BatchGetItem per 100 keys, in the index's
 * order; an item deleted in between is left out. Readers that only need the keys say
 * `keysOnly`. The items are the table's current ones: a reader that relies on the index's
 * partition (a state, an operator) checks the item itself, as search's filter does.
 */
export async function queryPage(input: Omit<QueryCommandInput, 'TableName'> & { keysOnly?: boolean }): Promise<QueryPage> {
  const { keysOnly = false, ...query } = input;
  const page = await run(async () => {
    const full: QueryCommandInput = { TableName: tableName(), ReturnConsumedCapacity: 'TOTAL', ...query };
    const out = await db().send(new QueryCommand(full));
    return {
      items: (out.Items ?? []) as Item[],
      lastKey: out.LastEvaluatedKey,
      consumedRead: out.ConsumedCapacity?.CapacityUnits ?? 0,
    };
  });
  if (keysOnly || !query.IndexName || query.Select === 'COUNT' || !indexHoldsKeysOnly(query.IndexName) || page.items.length === 0) return page;
  const tally = { readCapacity: 0 };
  const items = await getItems(
    page.items.map((i) => ({ pk: String(i.pk), sk: String(i.sk) })),
    tally,
  );
  return { ...page, items: items.filter((i) => i !== undefined), consumedRead: page.consumedRead + tally.readCapacity };
}

export type QueryInput = Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'> & { keysOnly?: boolean };

/**
 * Every page of a Query, in order: one {@link queryPage} per page, from the first until
 * DynamoDB has no more. A reader that has enough stops early (`break`): no further page is read.
 * `limit`, when given, sets each page's `Limit` as the page is asked for (what is still wanted).
 */
export async function* queryPages(input: QueryInput, limit?: () => number): AsyncGenerator<QueryPage> {
  let lastKey: Record<string, unknown> | undefined;
  do {
    const page = await queryPage({ ...input, ...(limit ? { Limit: limit() } : {}), ...(lastKey ? { ExclusiveStartKey: lastKey } : {}) });
    yield page;
    lastKey = page.lastKey;
  } while (lastKey);
}

/** The items of every page of a Query, in order; with `max`, no page is read once `max` items are in hand. */
export async function queryAll(input: QueryInput, max = Infinity): Promise<Item[]> {
  const out: Item[] = [];
  for await (const page of queryPages(input)) {
    out.push(...page.items);
    if (out.length >= max) break;
  }
  return out;
}

/**
 * Why a transaction was cancelled: one entry per item, `ConditionalCheckFailed` where a
 * condition did not hold (see `conditionFailedAt`). Undefined when the error was no cancellation.
 */
function cancellationReasons(error: unknown): (string | undefined)[] | undefined {
  const e = error as { name?: string; CancellationReasons?: { Code?: string }[] };
  if (e?.name !== 'TransactionCanceledException') return undefined;
  return (e.CancellationReasons ?? []).map((r) => (r.Code === 'None' ? undefined : r.Code));
}

/** Whether item `index` of a cancelled transaction is one whose condition did not hold. */
export const conditionFailedAt = (reasons: readonly (string | undefined)[], index: number): boolean => reasons[index] === 'ConditionalCheckFailed';

/**
 * One TransactWriteItems call: all of it or none of it. A failed condition becomes a
 * conflict with `conflictDetail` unless `onCancel` explains it better.
 */
export async function transact(
  items: TransactItem[],
  conflictDetail: string,
  onCancel?: (reasons: (string | undefined)[]) => Error | undefined,
): Promise<void> {
  const input: TransactWriteCommandInput = { TransactItems: items, ReturnConsumedCapacity: 'TOTAL' };
  try {
    await db().send(new TransactWriteCommand(input));
  } catch (error) {
    const reasons = cancellationReasons(error);
    if (reasons) {
      const explained = onCancel?.(reasons);
      if (explained) throw explained;
      if (reasons.includes('TransactionConflict')) throw new ChatlinesError('conflict', `${conflictDetail} (a concurrent change won)`);
      if (reasons.includes('ConditionalCheckFailed')) throw new ChatlinesError('conflict', conflictDetail);
      if (reasons.includes('ThrottlingError') || reasons.includes('ProvisionedThroughputExceeded')) {
        throw new ChatlinesError('throttled', 'the database is throttling requests; retry later');
      }
    }
    if ((error as { name?: string })?.name === 'TransactionConflictException') {
      throw new ChatlinesError('conflict', `${conflictDetail} (a concurrent change won)`);
    }
    throw translateError(error);
  }
}

/** A Put that must not overwrite anything. */
export function putNew(item: Item): TransactItem {
  return { Put: { TableName: tableName(), Item: item, ConditionExpression: 'attribute_not_exists(pk)' } };
}

const conditionFailed = (error: unknown) => (error as { name?: string })?.name === 'ConditionalCheckFailedException';

/**
 * One PutItem, optionally conditional. Returns false when the condition did not hold (the
 * item was there already: the effect happened before), true when written.
 */
export async function putItem(item: Item, condition?: Omit<PutCommandInput, 'TableName' | 'Item'>): Promise<boolean> {
  const input: PutCommandInput = { TableName: tableName(), Item: item, ReturnConsumedCapacity: 'TOTAL', ...condition };
  try {
    await db().send(new PutCommand(input));
    return true;
  } catch (error) {
    if (conditionFailed(error)) return false;
    throw translateError(error);
  }
}

/** One UpdateItem; returns the new item, or undefined when its condition did not hold. */
export async function updateItem(update: Omit<UpdateCommandInput, 'TableName'>): Promise<Item | undefined> {
  const input: UpdateCommandInput = { TableName: tableName(), ReturnConsumedCapacity: 'TOTAL', ReturnValues: 'ALL_NEW', ...update };
  try {
    const out = await db().send(new UpdateCommand(input));
    return (out.Attributes ?? {}) as Item;
  } catch (error) {
    if (conditionFailed(error)) return undefined;
    throw translateError(error);
  }
}

/**
 * Unconditional puts and deletes in BatchWriteItem calls of 25 (`parallel` at a time),
 * unprocessed items sent again with a short backoff. Only for writes that are idempotent as they stand (the same item written again,
 * a delete of what may be gone already).
 */
export async function batchWrite(puts: readonly Item[], deletes: readonly { pk: string; sk: string }[] = [], parallel = 8): Promise<void> {
  type Request = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: { pk: string; sk: string } } };
  const requests: Request[] = [...puts.map((Item) => ({ PutRequest: { Item } })), ...deletes.map((Key) => ({ DeleteRequest: { Key } }))];
  const chunks: Request[][] = [];
  for (let i = 0; i < requests.length; i += 25) chunks.push(requests.slice(i, i + 25));
  const writeChunk = (chunk: Request[]) =>
    sendAll(
      chunk,
      async (pending) => {
        const input = { RequestItems: { [tableName()]: pending as never }, ReturnConsumedCapacity: 'TOTAL' as const };
        const out = await run(() => db().send(new BatchWriteCommand(input)));
        return (out.UnprocessedItems?.[tableName()] ?? []) as Request[];
      },
      { ...BATCH_RETRY, attempts: 9, exhausted: () => new ChatlinesError('throttled', 'the database did not take a batch of writes; retry later') },
    );
  await mapPool(chunks, parallel, writeChunk);
}

/**
 * Writes only the given items (a command that changes nothing still records its idempotency
 * record, so a repeat answers the same). No-op without items.
 */
export async function writeOnly(items: TransactItem[]): Promise<void> {
  if (items.length > 0) await transact(items, 'a concurrent request with the same Idempotency-Key won');
}
