/**
 * Live push, the part both hosts share: each batch of events is first written to the event log
 * (so that a socket that saw an event can resume after it), then handed to the host's pushers —
 * the local WebSocket server (infra/local/live.ts) or API Gateway's connections (aws.ts).
 */

import { logEvents } from '../../adapters/dynamodb/live.ts';
import type { ChatlinesEvent } from '../../contract/events.ts';
import type { Line } from '../../contract/schemas.ts';
import { linesOfEvents } from './visibility.ts';

export interface LivePusher {
  /** Sends each event to the sockets that may see it (`maySee`), in the given order. */
  push(events: readonly ChatlinesEvent[], lines: ReadonlyMap<string, Line>): Promise<void>;
}

/** Events per step of the log → push pipeline. */
const CHUNK = 100;

/**
 * Log, then push — per chunk of 100 events, in order, the next chunk's log write running while
 * the current one is pushed (so a large batch starts reaching sockets after one chunk's write,
 * not after all of them). Throws when a log write fails (the batch is retried; clients drop
 * repeated pushes by id).
 */
export async function publishLive(events: readonly ChatlinesEvent[], pushers: Iterable<LivePusher>): Promise<void> {
  if (events.length === 0) return;
  const list = [...pushers];
  const chunks: ChatlinesEvent[][] = [];
  for (let i = 0; i < events.length; i += CHUNK) chunks.push(events.slice(i, i + CHUNK));
  const lines = list.length ? linesOfEvents(events.map((e) => e.line)) : undefined;
  lines?.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
  let logging: Promise<void> = logEvents(chunks[0]!);
  for (let i = 0; i < chunks.length; i++) {
    await logging;
    if (i + 1 < chunks.length) {
      logging = logEvents(chunks[i + 1]!);
      logging.catch(() => undefined); // awaited on the next round
    }
    if (lines) {
      const byId = await lines;
      await Promise.all(list.map((p) => p.push(chunks[i]!, byId)));
    }
  }
}
