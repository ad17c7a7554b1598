/**
 * Events out: how long from a change to its webhook's receipt, how many events a
 * second the local host carries, and what each event costs the table. The consumer is the same
 * one the tests and `npm start` run (the local stream poller + functions/stream/stream-consumer.ts).
 */

import { backgroundUsage, resetUsage } from '../infra/local/dynamodb-calls.ts';
import { startEventWorkers } from '../infra/local/events.ts';
import { mapPool } from '../lib/adapters/concurrency.ts';
import { startReceiver } from '../test/support/receiver.ts';
import { type Env, log, quantile, round } from './support.ts';
import type { World } from './world.ts';

export interface EventsResult {
  /** Commit → webhook receipt (ms), from the event's own timestamp to the receiver's clock. */
  lag: { samples: number; p50: number; p99: number; max: number };
  burst: { sessions: number; events: number; seconds: number; eventsPerSecond: number; p50: number; p99: number };
  /** Per event, what the consumer spent (reads and writes of the table; stream reads are free for Lambda triggers). */
  perEvent: { calls: number; rcu: number; wcu: number; deliveriesPerEvent: number };
}

export async function benchEvents(env: Env, w: World, quick: boolean): Promise<EventsResult> {
  const tableName = process.env.TABLE_NAME!;
  const workers = await startEventWorkers({ endpoint: env.endpoint, tableName, sweepEveryMs: 1_000, onError: () => undefined, fromNow: true });
  const receiver = await startReceiver();
  try {
    const hook = await env.call('POST', '/v1/webhooks', { token: w.admin, body: { url: receiver.url, events: ['*'], line: w.lineId } });
    if (hook.status !== 201) throw new Error(`webhook: ${hook.status} ${JSON.stringify(hook.body)}`);
    await workers.poller.drain(30_000);
    await workers.deliveries.idle();
    const arrivals = new Map<string, number>();
    const before = receiver.received.length;
    const seen = () => {
      for (const r of receiver.received.slice(before)) if (!arrivals.has(r.id)) arrivals.set(r.id, Date.now());
    };
    const timer = setInterval(seen, 2);

    // 1. Lag, one change at a time: each inbound message makes 2 events (created + message).
    const sequential = quick ? 20 : 60;
    const lags: number[] = [];
    for (let i = 0; i < sequential; i++) {
      const mark = receiver.received.length;
      const { sessionId } = await w.newSession();
      await receiver.waitFor((r) => r.slice(mark).filter((x) => x.event?.session === sessionId).length >= 2, 10_000, 'lag events');
      for (const r of receiver.received.slice(mark).filter((x) => x.event?.session === sessionId)) {
        lags.push((arrivals.get(r.id) ?? Date.now()) - Date.parse(r.event.time));
      }
    }

    // 2. A burst: many sessions at once, each walked through assign + reply (4 events).
    const sessions = quick ? 40 : 150;
    resetUsage();
    const mark = receiver.received.length;
    const started = Date.now();
    const ids = await mapPool(
      Array.from({ length: sessions }, (_, i) => i),
      16,
      async () => {
        const { sessionId } = await w.assignedSession();
        await env.call('POST', `/v1/sessions/${sessionId}/messages`, { token: w.operator, body: { type: 'text', body: 'hi' } });
        return sessionId;
      },
    );
    const wanted = new Set(ids);
    let expected = 0;
    await receiver.waitFor(
      (r) => {
        const mine = r.slice(mark).filter((x) => wanted.has(x.event?.session));
        expected = mine.length;
        return mine.length >= sessions * 4;
      },
      120_000,
      'burst events',
    );
    const seconds = (Date.now() - started) / 1000;
    await workers.poller.drain(30_000);
    await workers.deliveries.idle();
    seen();
    clearInterval(timer);
    const burstLags = receiver.received
      .slice(mark)
      .filter((x) => wanted.has(x.event?.session))
      .map((x) => (arrivals.get(x.id) ?? Date.now()) - Date.parse(x.event.time));
    const events = expected;
    const perEvent = {
      calls: round(backgroundUsage.calls / events, 2),
      rcu: round(backgroundUsage.readCapacity / events, 2),
      wcu: round(backgroundUsage.writeCapacity / events, 2),
      deliveriesPerEvent: 1,
    };
    log(`  events: lag p50 ${quantile(lags, 0.5)} ms, p99 ${quantile(lags, 0.99)} ms; burst ${events} events in ${seconds.toFixed(1)} s`);
    return {
      lag: { samples: lags.length, p50: round(quantile(lags, 0.5), 0), p99: round(quantile(lags, 0.99), 0), max: Math.max(...lags) },
      burst: {
        sessions,
        events,
        seconds: round(seconds, 1),
        eventsPerSecond: round(events / seconds, 0),
        p50: round(quantile(burstLags, 0.5), 0),
        p99: round(quantile(burstLags, 0.99), 0),
      },
      perEvent,
    };
  } finally {
    await receiver.close();
    await workers.stop();
  }
}

/** The report's section. */
export function eventsMarkdown(e: EventsResult, row: (cells: unknown[]) => string): string[] {
  return [
    '## Events out',
    '',
    "One webhook subscription (`*`) on a loopback receiver; the local stream poller + functions/stream/stream-consumer.ts, as `npm start` runs them. Lag = receipt − the event's `time` (set just before its transaction commits).",
    '',
    row(['Measure', 'Result']),
    row(['---', '---']),
    row(['lag, one change at a time', `p50 ${e.lag.p50} ms · p99 ${e.lag.p99} ms · max ${e.lag.max} ms (${e.lag.samples} events)`]),
    row([
      `burst: ${e.burst.sessions} sessions × (created, message, assigned, reply)`,
      `${e.burst.events} events in ${e.burst.seconds} s = ${e.burst.eventsPerSecond} events/s; lag p50 ${e.burst.p50} ms · p99 ${e.burst.p99} ms`,
    ]),
    row([
      'table cost per event (consumer)',
      `${e.perEvent.calls} round trips, ${e.perEvent.rcu} RCU, ${e.perEvent.wcu} WCU (one webhook delivery per event: recorded by the consumer, then claimed and its outcome written by the delivery worker; plus the live event log)`,
    ]),
    row([
      'stream reads',
      'GetRecords by the Lambda event source mapping: no charge for DynamoDB Streams read by Lambda triggers; locally one poll per 50 ms when idle',
    ]),
    row(['writes per event at commit', "none extra: the outbox rides in the change's own transaction (evSeq/evOut on the session item)"]),
    '',
  ];
}
