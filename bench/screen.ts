/**
 * Message to screen: what a person waits for after the other side sends. Two rows, each p50 and
 * p99 through the local host: an operator's reply → the visitor's widget (its live socket, a
 * visitor token) and a client's message (the visitor writes) → the operator console (its live
 * socket). Latency = the frame's arrival on the socket − the moment the sending request left
 * (the HTTP request, the commit, DynamoDB Local's stream and the local poller, the consumer, the
 * push). One message at a time, on a quiet host.
 *
 *   npm run bench -- --only=screen [--quick]
 */
import WebSocket from 'ws';
import { startEventWorkers } from '../infra/local/events.ts';
import { type Env, log, quantile, round } from './support.ts';
import { expectOk, type World } from './world.ts';

export interface ScreenRow {
  path: 'reply → widget' | 'client message → console';
  samples: number;
  p50: number;
  p99: number;
  max: number;
  /** The sending request's own time (p50), and the arrival after its answer (p50; negative: before it). */
  requestP50: number;
  afterAnswerP50: number;
}
export interface ScreenResult {
  rows: ScreenRow[];
}

/** Budgets: p99 at most 500 ms (live for visitors) and 300 ms (message to screen). */
export const SCREEN_BUDGETS_MS = [500, 300] as const;

/** A socket that resolves waiters on the frames whose message body matches. */
function socket(url: string, token: string) {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/live?token=${encodeURIComponent(token)}`);
  const waiting = new Map<string, (at: number) => void>();
  ws.on('message', (data) => {
    const at = Date.now();
    const frame = JSON.parse(data.toString()) as { type: string; data?: { message?: { body?: string } } };
    if (frame.type !== 'message.created') return;
    const body = frame.data?.message?.body;
    const resolve = body ? waiting.get(body) : undefined;
    if (resolve) {
      waiting.delete(body!);
      resolve(at);
    }
  });
  return {
    ws,
    ready: new Promise<void>((resolve, reject) => {
      ws.on('message', (data) => {
        if (data.toString().includes('"type":"ready"')) resolve();
      });
      ws.once('error', reject);
    }),
    arrival(body: string, timeoutMs = 30_000): Promise<number> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no frame for "${body}"`)), timeoutMs);
        waiting.set(body, (at) => {
          clearTimeout(timer);
          resolve(at);
        });
      });
    },
  };
}

export async function benchScreen(env: Env, w: World, quick: boolean): Promise<ScreenResult> {
  const workers = await startEventWorkers({
    endpoint: env.endpoint,
    tableName: process.env.TABLE_NAME!,
    sweepEveryMs: 1_000,
    onError: () => undefined,
    fromNow: true,
  });
  try {
    await workers.poller.drain(30_000);
    const v = await env.call('POST', '/v1/visitors', { body: { channel: w.livechatChannelId } });
    expectOk('visitor', v);
    const visitorToken = v.body.token as string;
    const first = await env.call('POST', '/v1/visitors/messages', { token: visitorToken, body: { body: 'hello' } });
    expectOk('visitor message', first);
    const session = first.body.session.id as string;
    expectOk('assign', await env.call('POST', `/v1/sessions/${session}/assign`, { token: w.operator, body: { operator: w.operatorId } }));
    await workers.poller.drain(30_000);
    const widget = socket(env.host.url, visitorToken);
    const console = socket(env.host.url, w.operator);
    await Promise.all([widget.ready, console.ready]);

    type Sample = { total: number; request: number; afterAnswer: number };
    const timed = async (arrival: Promise<number>, send: () => Promise<{ status: number; body: unknown }>): Promise<Sample> => {
      const sent = Date.now();
      const answer = await send();
      const answered = Date.now();
      expectOk('send', answer);
      const at = await arrival;
      return { total: at - sent, request: answered - sent, afterAnswer: at - answered };
    };
    const reply = (body: string) =>
      timed(widget.arrival(body), () => env.call('POST', `/v1/sessions/${session}/messages`, { token: w.operator, body: { type: 'text', body } }));
    const write = (body: string) => timed(console.arrival(body), () => env.call('POST', '/v1/visitors/messages', { token: visitorToken, body: { body } }));
    // Warm-up (not measured): JIT, connections, caches.
    for (let i = 0; i < 5; i++) {
      await reply(`warm reply ${i}`);
      await write(`warm message ${i}`);
    }
    const samples = quick ? 20 : 60;
    const replies: Sample[] = [];
    const messages: Sample[] = [];
    for (let i = 0; i < samples; i++) {
      replies.push(await reply(`reply ${i}`));
      messages.push(await write(`message ${i}`));
    }
    widget.ws.terminate();
    console.ws.terminate();
    const rowOf = (path: ScreenRow['path'], samples: Sample[]): ScreenRow => {
      const lags = samples.map((x) => x.total);
      return {
        path,
        samples: lags.length,
        p50: round(quantile(lags, 0.5), 0),
        p99: round(quantile(lags, 0.99), 0),
        max: Math.max(...lags),
        requestP50: round(
          quantile(
            samples.map((x) => x.request),
            0.5,
          ),
          0,
        ),
        afterAnswerP50: round(
          quantile(
            samples.map((x) => x.afterAnswer),
            0.5,
          ),
          0,
        ),
      };
    };
    const rows = [rowOf('reply → widget', replies), rowOf('client message → console', messages)];
    for (const r of rows)
      log(
        `  screen: ${r.path}: p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms (${r.samples}); request p50 ${r.requestP50} ms, then p50 ${r.afterAnswerP50} ms`,
      );
    return { rows };
  } finally {
    await workers.stop();
  }
}

export function screenMarkdown(r: ScreenResult, row: (cells: unknown[]) => string): string[] {
  return [
    '## Message to screen',
    '',
    "Send → the other side's socket, one message at a time through the local host: an operator's reply to the visitor's widget (a visitor token's socket), a visitor's message to the operator console (an operator's socket). Latency = the frame's arrival − the moment the sending request left: the HTTP request and its commit, DynamoDB Local's stream and the local poller, the consumer, the push (the event log is written beside the push, not before it). `npm run bench -- --only=screen`.",
    '',
    row(['Path', 'Samples', 'p50', 'p99', 'max', 'the request (p50)', 'after its answer (p50)']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...r.rows.map((x) => row([x.path, x.samples, `${x.p50} ms`, `${x.p99} ms`, `${x.max} ms`, `${x.requestP50} ms`, `${x.afterAnswerP50} ms`])),
    '',
  ];
}
