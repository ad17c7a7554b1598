/**
 * Live push, the part both hosts share: each batch of events is first written to the event log
 * (so that a socket that saw an event can resume after it), then handed to the host's pushers —
 * the local WebSocket server (infra/local/live.ts) or API Gateway's connections (aws.ts).
 */
import type { ChatlinesEvent } from '../events/schema.ts';
import type { Line } from '../model/schemas.ts';
import { logEvents } from './log.ts';
import { linesById } from './visibility.ts';

export interface LivePusher {
  /** Sends each event to the sockets that may see it (`maySee`), in the given order. */
  push(events: readonly ChatlinesEvent[], lines: ReadonlyMap<string, Line>): Promise<void>;
}

/** Log, then push. Throws when the log write fails (the batch is retried; pushes are de-duplicated by id by clients). */
export async function publishLive(events: readonly ChatlinesEvent[], pushers: Iterable<LivePusher>): Promise<void> {
  if (events.length === 0) return;
  await logEvents(events);
  const list = [...pushers];
  if (list.length === 0) return;
  const lines = await linesById(events.map((e) => e.line));
  await Promise.all(list.map((p) => p.push(events, lines)));
}
