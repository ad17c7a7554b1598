/**
 * The local host's event workers, as in AWS: the stream consumer and the live fan-out (each
 * through a stream poller of its own, as each has its own event source mapping),
 * the delivery worker (the SQS-fed function in AWS, here fed in process: the same handler gets
 * the same message shape) and the delivery sweeper on a timer (EventBridge Scheduler every
 * minute in AWS; here every second by default, so retries on the short test schedules happen on
 * time).
 */
import { randomUUID } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { handler as attemptDeliveries } from '../../functions/queue/attempt-deliveries.ts';
import { handler as retryDeliveries } from '../../functions/schedule/retry-deliveries.ts';
import { type DeliveryMessage, type DeliveryQueue, fifoMessage, localDeliveryQueue, useLocalDeliveryQueue } from '../../lib/app/webhooks/deliveries.ts';
import { asFunction } from './current-function.ts';
import { inBackground } from './dynamodb-calls.ts';
import { liveFanoutHandler } from './live.ts';
import { type StreamPoller, startStreamPoller } from './stream.ts';
import { LIVE_FANOUT_MAPPING } from './stream-mapping.ts';

export interface EventWorkers {
  /** The stream's two mappings together (the consumer's and the live fan-out's): drained and stopped as one. */
  poller: StreamPoller;
  /** Runs one delivery sweep now. */
  sweep(): Promise<void>;
  /** The in-process delivery queue's worker. */
  deliveries: DeliveryWorker;
  stop(): Promise<void>;
}

export interface DeliveryWorker extends DeliveryQueue {
  /** Resolves when nothing is queued or being attempted. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** Messages per handler call (the SQS mapping's batch size) and handler calls at once. */
const BATCH = 10;
const PARALLEL = 4;

/** How long SQS remembers a FIFO message's deduplication id. */
const DEDUPLICATION_MS = 5 * 60_000;

/**
 * The delivery queue of the local host, with the FIFO queue's semantics: `enqueue` returns at
 * once (as SendMessageBatch does) and drops a delivery queued again within five minutes (the
 * deduplication id); the worker hands the messages, ten per call, to the delivery function's
 * handler, and never two calls with the same target (message group) at once, so each target's
 * deliveries keep their order. Messages the handler reports failed are reported to `onError`.
 */
export function startDeliveryWorker(onError: (error: unknown) => void = () => undefined): DeliveryWorker {
  const queued: { message: DeliveryMessage; group: string }[] = [];
  /** Deduplication id → until when a repeat is dropped. */
  const seen = new Map<string, number>();
  const busyGroups = new Set<string>();
  let running = 0;
  let stopped = false;
  let idleWaiters: (() => void)[] = [];
  const settle = () => {
    if (queued.length > 0 || running > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };
  /** Up to ten messages in queue order, of groups no call has in flight. */
  const take = () => {
    const batch: typeof queued = [];
    const groups = new Set<string>();
    for (let i = 0; i < queued.length && batch.length < BATCH; ) {
      const q = queued[i]!;
      if (busyGroups.has(q.group)) {
        i++;
        continue;
      }
      batch.push(...queued.splice(i, 1));
      groups.add(q.group);
    }
    // A group taken here is skipped by later batches until this one ends, so its order holds.
    for (const g of groups) busyGroups.add(g);
    return { batch, groups };
  };
  const pump = () => {
    while (!stopped && running < PARALLEL && queued.length > 0) {
      const { batch, groups } = take();
      if (batch.length === 0) break;
      running++;
      const event = {
        Records: batch.map(({ message }) => ({ messageId: randomUUID(), body: JSON.stringify(message), eventSource: 'aws:sqs' }) as SQSRecord),
      } satisfies SQSEvent;
      void asFunction('attempt-deliveries', () => inBackground(() => attemptDeliveries(event)))
        .then((out) => {
          if (out.batchItemFailures.length > 0) onError(new Error(`${out.batchItemFailures.length} delivery messages failed`));
        })
        .catch(onError)
        .finally(() => {
          running--;
          for (const g of groups) busyGroups.delete(g);
          pump();
          settle();
        });
    }
    settle();
  };
  return {
    async enqueue(messages) {
      if (stopped) return;
      const now = Date.now();
      // Ids are kept in the order they came, so the expired ones are the oldest.
      for (const [once, until] of seen) {
        if (until > now) break;
        seen.delete(once);
      }
      for (const message of messages) {
        const { group, once } = fifoMessage(message);
        if ((seen.get(once) ?? 0) > now) continue;
        seen.set(once, now + DEDUPLICATION_MS);
        queued.push({ message, group });
      }
      pump();
    },
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settle();
      }),
    async stop() {
      stopped = true;
      queued.length = 0;
      await new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settle();
      });
    },
  };
}

export async function startEventWorkers(options: {
  endpoint: string;
  tableName: string;
  sweepEveryMs?: number;
  onError?: (error: unknown) => void;
  /** The poller starts after what the stream already holds (see StreamPollerOptions.fromNow). */
  fromNow?: boolean;
}): Promise<EventWorkers> {
  const deliveries = startDeliveryWorker(options.onError);
  useLocalDeliveryQueue(deliveries);
  const common = {
    endpoint: options.endpoint,
    tableName: options.tableName,
    ...(options.fromNow ? { fromNow: true } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  };
  const consumer = await startStreamPoller(common);
  // The live fan-out reads the stream through a mapping of its own, as in AWS: the consumer's
  // batches (routing, deliveries) never wait for the event log's writes, which DynamoDB Local
  // makes slow when the table is busy (it writes a BatchWriteItem's items one at a time, each
  // behind every transaction waiting), nor live push for the consumer.
  const live = await startStreamPoller({
    ...common,
    handler: liveFanoutHandler,
    functionName: 'live-fanout',
    mappingName: 'live-fanout',
    mapping: LIVE_FANOUT_MAPPING,
  });
  const poller: StreamPoller = {
    get delivered() {
      return consumer.delivered + live.delivered;
    },
    async drain(timeoutMs) {
      await Promise.all([consumer.drain(timeoutMs), live.drain(timeoutMs)]);
    },
    async stop() {
      await Promise.all([consumer.stop(), live.stop()]);
    },
  };
  let sweeping: Promise<unknown> = Promise.resolve();
  const sweep = async () => {
    sweeping = sweeping.then(() => asFunction('retry-deliveries', () => inBackground(retryDeliveries))).catch((error: unknown) => options.onError?.(error));
    await sweeping;
  };
  const timer = setInterval(() => void sweep(), options.sweepEveryMs ?? 1_000);
  timer.unref();
  return {
    poller,
    sweep,
    deliveries,
    async stop() {
      clearInterval(timer);
      await poller.stop();
      if (localDeliveryQueue() === deliveries) useLocalDeliveryQueue(undefined);
      await deliveries.stop();
      await sweeping;
    },
  };
}
