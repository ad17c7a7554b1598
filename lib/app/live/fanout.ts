/**
 * Live push, the part both hosts share: each batch of events is pushed to the host's pushers —
 * the local WebSocket server (infra/local/live.ts) or API Gateway's connections (aws-pusher.ts) —
 * while it is written to the event log (so that a socket can resume after it). The log is off
 * the push's critical path: a frame reaches its socket without waiting for the log write.
 */

import { retry } from '../../adapters/concurrency.ts';
import { logEvents } from '../../adapters/dynamodb/live.ts';
import type { ChangeRecord } from '../../adapters/dynamodb/stream.ts';
import type { ChatlinesEvent } from '../../contract/events.ts';
import type { Line } from '../../contract/schemas.ts';
import { type Failures, indicesOf, perRecord } from '../events/batch.ts';
import { eventsPerRecord } from '../events/consumer.ts';
import { linesOfEvents } from './visibility.ts';

export interface LivePusher {
  /** Sends each event to the sockets that may see it (`maySee`), in the given order. */
  push(events: readonly ChatlinesEvent[], lines: ReadonlyMap<string, Line>): Promise<void>;
}

/** The log writes still running in this instance (a local resume waits for them). */
const logging = new Set<Promise<unknown>>();

/** Resolves when the log writes started before the call have ended (failed or not). */
export async function logWritesSettled(): Promise<void> {
  await Promise.allSettled([...logging]);
}

/**
 * Push and log at once: the push does not wait for the log write. A socket that drops right
 * after a frame and resumes before that frame's log write ended gets `complete: false` (in AWS;
 * the local host's resume waits for the writes in flight). Throws when the log write or a push
 * fails, after both ended (the batch is retried; clients drop repeated pushes by id).
 */
export async function publishLive(events: readonly ChatlinesEvent[], pushers: Iterable<LivePusher>): Promise<void> {
  if (events.length === 0) return;
  const list = [...pushers];
  // The frames are out already when a log write fails: it is retried here first, so that a
  // passing failure does not fail the batch and push every frame of it again.
  const write = retry(() => logEvents(events), { attempts: 4, baseMs: 100, capMs: 1_000 });
  logging.add(write);
  const logged = write.finally(() => logging.delete(write));
  logged.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
  const pushed = list.length
    ? linesOfEvents(events.map((e) => e.line)).then((lines) => Promise.all(list.map((p) => p.push(events, lines))))
    : Promise.resolve([]);
  const [log, push] = await Promise.allSettled([logged, pushed]);
  if (log.status === 'rejected') throw log.reason;
  if (push.status === 'rejected') throw push.reason;
}

/**
 * One batch of the live fan-out's own stream mapping (both hosts: functions/stream/live-fanout.ts
 * in AWS, a second poller on the local host): the records' events, pushed and logged. Returns the
 * records whose push or log write failed. Its own mapping, not a sink of the stream consumer: the
 * consumer's batches (routing) never wait for the event log's writes, nor the log for routing.
 */
export async function fanOutRecords(records: readonly ChangeRecord[], pushers: Iterable<LivePusher>): Promise<Failures> {
  const failures: Failures = new Map();
  const events = await eventsPerRecord(records, failures);
  const withEvents = indicesOf(records.length).filter((i) => events[i]!.length > 0);
  await perRecord(withEvents, failures, (indices) =>
    publishLive(
      indices.flatMap((i) => events[i]!),
      pushers,
    ),
  );
  return failures;
}
