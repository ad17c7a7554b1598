/**
 * Live push: commit → socket latency with 1, 100 and 500 sockets on the local host.
 * Each sample is one inbound message that opens a session (two events); latency = the frame's
 * arrival on a socket − the event's `time` (taken just before its transaction commits), for
 * every socket. The path measured: DynamoDB Local's stream → the local poller → the consumer →
 * the event log write → the push (infra/local/live.ts) → the socket.
 */
import WebSocket from 'ws';
import { startEventWorkers } from '../infra/local/events.ts';
import { type Env, log, quantile, round } from './support.ts';
import type { World } from './world.ts';

export interface LiveRow {
  sockets: number;
  samples: number;
  frames: number;
  p50: number;
  p99: number;
  max: number;
}
export interface LiveResult {
  rows: LiveRow[];
}

function socket(url: string, token: string, onEvent: (session: string, time: string) => void) {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/live?token=${token}`);
  ws.on('message', (data) => {
    const text = data.toString();
    if (!text.startsWith('{"id":')) return;
    const e = JSON.parse(text) as { session: string; time: string };
    onEvent(e.session, e.time);
  });
  return {
    ws,
    opened: new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    }),
  };
}

export async function benchLive(env: Env, w: World, quick: boolean): Promise<LiveResult> {
  const workers = await startEventWorkers({
    endpoint: env.endpoint,
    tableName: process.env.TABLE_NAME!,
    sweepEveryMs: 1_000,
    onError: () => undefined,
    fromNow: true,
  });
  const rows: LiveRow[] = [];
  try {
    await workers.poller.drain(30_000);
    // Warm-up (not measured): the first sessions pay for JIT, connections and DynamoDB Local's caches.
    for (let i = 0; i < 5; i++) await w.newSession();
    await workers.poller.drain(30_000);
    for (const n of [1, 100, 500]) {
      const lags: number[] = [];
      const pending = new Map<string, number>();
      const sockets: ReturnType<typeof socket>[] = [];
      for (let i = 0; i < n; i += 50) {
        const batch = Array.from({ length: Math.min(50, n - i) }, (_, j) =>
          socket(env.host.url, (i + j) % 2 ? w.supervisor : w.admin, (session, time) => {
            lags.push(Date.now() - Date.parse(time));
            pending.set(session, (pending.get(session) ?? n * 2) - 1);
          }),
        );
        await Promise.all(batch.map((s) => s.opened));
        sockets.push(...batch);
      }
      const samples = quick ? 10 : 30;
      for (let k = 0; k < samples; k++) {
        // Frames may arrive before the answer: each session starts at n × 2 expected frames.
        const before = lags.length;
        const { sessionId } = await w.newSession();
        if (!pending.has(sessionId)) pending.set(sessionId, n * 2);
        const deadline = Date.now() + 30_000;
        while ((pending.get(sessionId) ?? 0) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
        if (lags.length === before) throw new Error('no frames arrived');
      }
      for (const s of sockets) s.ws.terminate();
      rows.push({ sockets: n, samples, frames: lags.length, p50: round(quantile(lags, 0.5), 0), p99: round(quantile(lags, 0.99), 0), max: Math.max(...lags) });
      log(`  live: ${n} sockets: p50 ${quantile(lags, 0.5)} ms, p99 ${quantile(lags, 0.99)} ms (${lags.length} frames)`);
    }
  } finally {
    await workers.stop();
  }
  return { rows };
}

export function liveMarkdown(r: LiveResult, row: (cells: unknown[]) => string): string[] {
  return [
    '## Live push',
    '',
    "Commit → socket: one inbound message at a time (a new session: `session.created` + `message.created`), received on every socket (half admins, half supervisors of the line); latency = arrival − the event's `time`. Local host: DynamoDB Local's stream, the local poller, the consumer, the event-log write, the push.",
    '',
    row(['Sockets', 'Samples (frames)', 'p50', 'p99', 'max']),
    row(['---:', '---:', '---:', '---:', '---:']),
    ...r.rows.map((x) => row([x.sockets, `${x.samples} (${x.frames})`, `${x.p50} ms`, `${x.p99} ms`, `${x.max} ms`])),
    '',
  ];
}
