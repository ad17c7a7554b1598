/**
 * The DynamoDB calls of this process, counted and watched from outside the code that makes them:
 * a middleware on the shared client's stack (lib/adapters/dynamodb/db.ts) sees every call, its
 * input and its answer. The local host books its background work (the stream consumer, the
 * sweepers) apart from requests, so that a request's cost stays measurable while the consumer
 * runs in the same process; the tests and the benchmark read the counts and watch the calls.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { db } from '../../lib/adapters/dynamodb/db.ts';

/** Round trips and consumed capacity. */
export interface Usage {
  calls: number;
  readCapacity: number;
  writeCapacity: number;
}

/** Round trips and consumed capacity of requests since the last reset. */
export const usage: Usage = { calls: 0, readCapacity: 0, writeCapacity: 0 };
/** The same, for work done in the background (the stream consumer, sweepers): see {@link inBackground}. */
export const backgroundUsage: Usage = { calls: 0, readCapacity: 0, writeCapacity: 0 };

export function resetUsage(): void {
  watchDynamo();
  for (const u of [usage, backgroundUsage]) {
    u.calls = 0;
    u.readCapacity = 0;
    u.writeCapacity = 0;
  }
}

interface Scope {
  background: boolean;
  /** Further tallies the calls of this scope count in (see {@link measure}). */
  tallies: readonly Usage[];
}
const scope = new AsyncLocalStorage<Scope>();

/**
 * Runs `work` as background work: its round trips count in {@link backgroundUsage}, not in
 * {@link usage}.
 */
export function inBackground<T>(work: () => Promise<T>): Promise<T> {
  watchDynamo();
  return scope.run({ background: true, tallies: scope.getStore()?.tallies ?? [] }, work);
}

/** Runs `work` with its round trips counted in `tally` too (beside usage or background usage). */
export function measure<T>(tally: Usage, work: () => Promise<T>): Promise<T> {
  watchDynamo();
  const outer = scope.getStore();
  return scope.run({ background: outer?.background ?? false, tallies: [...(outer?.tallies ?? []), tally] }, work);
}

/** One DynamoDB call: its command, its input and what came back. */
export interface DynamoObservation {
  command: 'GetItem' | 'BatchGetItem' | 'Query' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'TransactWriteItems' | 'BatchWriteItem';
  input: object;
  /** The answer; absent when a condition did not hold or the transaction was cancelled (`conditionFailed`): nothing written, capacity still spent. */
  output?: object;
  conditionFailed?: true;
}
let observer: ((call: DynamoObservation) => void) | undefined;
/**
 * Watches every DynamoDB call of this process (the benchmark's partition simulation reads the
 * keys and the consumed capacity from it); `undefined` stops watching.
 */
export function observeDynamo(fn: ((call: DynamoObservation) => void) | undefined): void {
  watchDynamo();
  observer = fn;
}

const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan']);

const requestWriteListeners = new Set<() => void>();
/**
 * Calls `listener` after every write a request (not background work) made: the local stream
 * poller reads the stream at once then, instead of after its idle pause (message to screen).
 * Returns the unsubscribe.
 */
export function onRequestWrite(listener: () => void): () => void {
  watchDynamo();
  requestWriteListeners.add(listener);
  return () => requestWriteListeners.delete(listener);
}
/** Failures that still made a round trip that DynamoDB answered: a condition that did not hold. */
const CONDITION_FAILED = new Set(['ConditionalCheckFailedException', 'TransactionCanceledException']);

/**
 * Counts one round trip and its consumed capacity. DynamoDB often reports only a total
 * (`CapacityUnits`); `kind` says whether that total was spent reading or writing.
 */
function account(consumed: unknown, kind: 'read' | 'write'): void {
  const store = scope.getStore();
  for (const u of [store?.background ? backgroundUsage : usage, ...(store?.tallies ?? [])]) {
    u.calls += 1;
    const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
    for (const c of list as { ReadCapacityUnits?: number; WriteCapacityUnits?: number; CapacityUnits?: number }[]) {
      u.readCapacity += c.ReadCapacityUnits ?? 0;
      u.writeCapacity += c.WriteCapacityUnits ?? 0;
      if (c.ReadCapacityUnits === undefined && c.WriteCapacityUnits === undefined) {
        if (kind === 'read') u.readCapacity += c.CapacityUnits ?? 0;
        else u.writeCapacity += c.CapacityUnits ?? 0;
      }
    }
  }
}

const watched = new WeakSet<DynamoDBDocumentClient>();
/**
 * Adds the counting middleware to the shared client, once per client (a client replaced with
 * `resetClient()` gets it on the next call here). Every function of this module calls it.
 */
export function watchDynamo(client: DynamoDBDocumentClient = db()): void {
  if (watched.has(client)) return;
  watched.add(client);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName).replace(/Command$/, '') as DynamoObservation['command'];
      const input = args.input as object;
      try {
        const out = await next(args);
        const output = out.output as { ConsumedCapacity?: unknown };
        account(output.ConsumedCapacity, READS.has(command) ? 'read' : 'write');
        observer?.({ command, input, output });
        if (!READS.has(command) && !scope.getStore()?.background) for (const listener of requestWriteListeners) listener();
        return out;
      } catch (error) {
        if (CONDITION_FAILED.has((error as { name?: string })?.name ?? '')) {
          account(undefined, 'write');
          observer?.({ command, input, conditionFailed: true });
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'chatlinesCallCounter' },
  );
}
