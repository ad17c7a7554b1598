/**
 * Routing: the delay from a session becoming Waiting (its creation by an inbound
 * message) to its routed assignment (`_acceptedAt`), at 1, 10 and 100 new sessions per second on
 * one line in `auto` mode, and what routing costs in DynamoDB per routed session. Open loop: the
 * arrivals are sent on schedule whatever the answers take. The stream poller (infra/local/stream.ts)
 * runs the same consumer as in AWS; the routing sink's own calls are counted apart (routingUsage).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { backgroundUsage, measure, observeDynamo, usage } from '../infra/local/dynamodb-calls.ts';
import { startEventWorkers } from '../infra/local/events.ts';
import { getItems } from '../lib/adapters/dynamodb/db.ts';
import { sessionKey } from '../lib/adapters/dynamodb/keys.ts';
import { readSession } from '../lib/adapters/dynamodb/sessions.ts';
import { routingSink } from '../lib/app/routing/sink.ts';
import { describe, emptyItemWork, type ItemWork, perSession, tallyCall } from './item-work.ts';
import { type Env, log, quantile, round } from './support.ts';

export interface RoutingRateResult {
  rate: number;
  sessions: number;
  routed: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Routing's DynamoDB calls, read and write capacity units per routed session. */
  callsPerSession: number;
  rcuPerSession: number;
  wcuPerSession: number;
  /** Time the routing sink itself spent, per routed session (the rest of the delay is the stream and the consumer's other work). */
  routingMsPerSession: number;
  /** Answers 503 or 429 to an arrival (each retried by the sender, as a messenger would). */
  refused: number;
  /** All DynamoDB calls per arrival: of the requests (inbound messages), and of the background work (stream consumer with every sink, delivery worker, checkpoints). */
  requestCallsPerSession?: number;
  backgroundCallsPerSession?: number;
  /** How long the arrivals' own requests took to be answered (the inbound message's write). */
  answerP50Ms?: number;
  answerP99Ms?: number;
  /**
   * At the budget's rate: the items every DynamoDB call of the host wrote and read, per new
   * session, from the first arrival until the stream was drained (bench/item-work.ts).
   */
  itemWork?: ItemWork;
}

/**
 * What the local host accepts at most: arrivals sent closed loop (each sender sends its next
 * when the last is answered), with the same workers and operators as the rates. Below the
 * budget's rate, no routing can keep up: the arrivals' own writes queue in DynamoDB Local.
 */
export interface HostCeiling {
  arrivalsPerSecond: number;
  concurrency: number;
  seconds: number;
  answerP50Ms: number;
  answerP99Ms: number;
  /** Answers 503 or 429 (each retried by its sender). */
  refused: number;
  /** Routing at 80 % of `arrivalsPerSecond`, when that is below the budget's rate. */
  withinRate?: RoutingRateResult;
}

export interface RoutingResult {
  operators: number;
  capacity: string;
  rates: RoutingRateResult[];
  ceiling?: HostCeiling;
  note: string;
}

const TABLE = 'bench-routing';
/** The budget: the local host keeps up with this many new sessions per second… */
export const ROUTING_RATE = 100;
/** …with at most this routing delay at p99, and no arrival refused. */
export const ROUTING_P99_MS = 2_000;

/** What routing has cost in this process: the routing sink's DynamoDB calls and its time. */
const routingUsage = { calls: 0, readCapacity: 0, writeCapacity: 0, ms: 0 };
/** Counts the routing sink's calls and time in `routingUsage` (the consumer calls the sink it registered, this object). */
function countRouting(): () => void {
  const handle = routingSink.handle;
  routingSink.handle = async (events, records) => {
    const started = performance.now();
    try {
      await measure(routingUsage, () => handle.call(routingSink, events, records));
    } finally {
      routingUsage.ms += performance.now() - started;
    }
  };
  return () => {
    routingSink.handle = handle;
  };
}

async function arrive(
  env: Env,
  channel: string,
  token: string,
  account: string,
  refused: { count: number },
): Promise<{ id: string; createdAt: string; ms: number } | undefined> {
  const started = performance.now();
  for (let attempt = 0; attempt < 6; attempt++) {
    const r = await env.call('POST', `/v1/channels/${channel}/inbound`, { token, body: { account, body: 'hello' } });
    if (r.status === 201 || r.status === 200) {
      const s = (r.body as { session: { __id: string; __createdAt: string } }).session;
      return { id: s.__id, createdAt: s.__createdAt, ms: performance.now() - started };
    }
    if (r.status !== 503 && r.status !== 429) return undefined;
    refused.count++;
    await sleep(100 * 2 ** attempt);
  }
  return undefined;
}

export async function benchRouting(env: Env, quick: boolean): Promise<RoutingResult> {
  await env.useTable(TABLE);
  const workers = await startEventWorkers({ endpoint: env.endpoint, tableName: TABLE, sweepEveryMs: 600_000, onError: () => undefined });
  const operators = 10;
  const plan = quick
    ? [
        { rate: 1, seconds: 5 },
        { rate: 10, seconds: 3 },
        { rate: ROUTING_RATE, seconds: 3 },
      ]
    : [
        { rate: 1, seconds: 30 },
        { rate: 10, seconds: 15 },
        { rate: ROUTING_RATE, seconds: 10 },
      ];
  const rates: RoutingRateResult[] = [];
  let ceiling: HostCeiling | undefined;
  const uncount = countRouting();
  try {
    const admin = await env.token({ sub: 'bench-admin', roles: ['admin'] });
    /** A line of its own in `auto` mode with `operators` online, and a channel to write to. */
    const setUp = async (name: string) => {
      const group = `route-${name}`;
      const line = await env.call('POST', '/v1/lines', {
        token: admin,
        body: { __name: `Routing ${name}${/^\d+$/.test(name) ? '/s' : ''}`, _operatorGroups: [group], _routing: { mode: 'auto', capacity: null } },
      });
      const lineId = (line.body as { __id: string }).__id;
      const channel = await env.call('POST', '/v1/channels', { token: admin, body: { _line: lineId, _type: 'telegram', __name: 'tg' } });
      const channelId = (channel.body as { __id: string }).__id;
      const integration = await env.token({ sub: `bench-integration-${name}`, roles: ['integration'], channels: [channelId] });
      for (let i = 0; i < operators; i++) {
        const token = await env.token({ sub: `bench-router-${name}-${i}`, roles: ['operator'], groups: [group] });
        await env.call('PUT', '/v1/operators/me/status', { token, body: { status: 'online' } });
      }
      await workers.poller.drain(120_000);
      return { channelId, integration };
    };
    const runRate = async (rate: number, seconds: number, name = String(rate)): Promise<RoutingRateResult> => {
      const { channelId, integration } = await setUp(name);
      const before = { ...routingUsage };
      const callsBefore = { requests: usage.calls, background: backgroundUsage.calls };
      const total = rate * seconds;
      const started = performance.now();
      const pending: Promise<{ id: string; createdAt: string; ms: number } | undefined>[] = [];
      const refused = { count: 0 };
      // At the budget's rate, every item the host writes and reads until the stream is drained.
      const work = rate === ROUTING_RATE ? emptyItemWork() : undefined;
      if (work) observeDynamo((call) => tallyCall(work, call));
      for (let i = 0; i < total; i++) {
        const due = started + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        pending.push(arrive(env, channelId, integration, `bench-${rate}-${i}`, refused));
      }
      const arrived = (await Promise.all(pending)).filter((x) => x !== undefined);
      // The requests' calls end here: the polling below is the bench's own.
      const requestCalls = usage.calls - callsBefore.requests;
      // Wait until every arrival is routed (or two minutes pass): first until the stream workers
      // have consumed every record (routing happens there), then read the sessions. Reading them
      // while the consumer works would put the bench's own reads (a BatchGetItem of every open
      // arrival, four times a second) on the store it measures.
      // A stream not drained in two minutes is a finding, not a failed step: what is not routed by
      // then is reported as such below.
      const drained = await workers.poller.drain(120_000).then(
        () => true,
        () => false,
      );
      if (work) observeDynamo(undefined);
      const deadline = Date.now() + (drained ? 30_000 : 5_000);
      const delays = new Map<string, number>();
      while (delays.size < arrived.length && Date.now() < deadline) {
        const open = arrived.filter((a) => !delays.has(a.id));
        const items = await getItems(open.map((a) => sessionKey(a.id)));
        for (const item of items) {
          const s = item && readSession(item);
          if (s?._acceptedAt) delays.set(s.__id, Date.parse(s._acceptedAt) - Date.parse(s.__createdAt));
        }
        if (delays.size < arrived.length) await sleep(1_000);
      }
      const routed = delays.size;
      const d = [...delays.values()];
      const per = (n: number) => (routed ? round(n / routed, 2) : NaN);
      const result: RoutingRateResult = {
        rate,
        sessions: arrived.length,
        routed,
        p50Ms: Math.round(quantile(d, 0.5)),
        p99Ms: Math.round(quantile(d, 0.99)),
        maxMs: Math.round(Math.max(...d)),
        callsPerSession: per(routingUsage.calls - before.calls),
        rcuPerSession: per(routingUsage.readCapacity - before.readCapacity),
        wcuPerSession: per(routingUsage.writeCapacity - before.writeCapacity),
        routingMsPerSession: per(routingUsage.ms - before.ms),
        refused: refused.count,
        requestCallsPerSession: arrived.length ? round(requestCalls / arrived.length, 2) : NaN,
        answerP50Ms: Math.round(
          quantile(
            arrived.map((a) => a.ms),
            0.5,
          ),
        ),
        answerP99Ms: Math.round(
          quantile(
            arrived.map((a) => a.ms),
            0.99,
          ),
        ),
        backgroundCallsPerSession: arrived.length ? round((backgroundUsage.calls - callsBefore.background) / arrived.length, 2) : NaN,
        ...(work && arrived.length ? { itemWork: perSession(work, arrived.length) } : {}),
      };
      log(
        `  ${rate}/s: ${routed}/${arrived.length} routed, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms; per session ${result.callsPerSession} calls, ${result.routingMsPerSession} ms of routing, ${result.rcuPerSession} RCU, ${result.wcuPerSession} WCU; ${result.refused} arrivals refused (503/429); all calls per arrival: ${result.requestCallsPerSession} by requests, ${result.backgroundCallsPerSession} in the background; arrivals answered in p50 ${result.answerP50Ms} ms, p99 ${result.answerP99Ms} ms`,
      );
      if (result.itemWork) {
        log(
          `    per new session: item writes ${describe(result.itemWork.writes)}; item reads ${describe(result.itemWork.reads)}; ${result.itemWork.calls} calls`,
        );
      }
      return result;
    };
    for (const { rate, seconds } of plan) rates.push(await runRate(rate, seconds));
    // What follows explains the budget's row; it must not cost the rows measured above.
    try {
      const measured = await measureCeiling(env, await setUp('ceiling'), quick ? 4 : 8);
      ceiling = measured;
      await workers.poller.drain(120_000);
      // When the host itself is the bound: routing at 80 % of what it accepts, to show what routing adds there.
      const within = Math.floor(measured.arrivalsPerSecond * 0.8);
      if (measured.arrivalsPerSecond < ROUTING_RATE && within >= 10) {
        measured.withinRate = await runRate(within, quick ? 3 : 10, `${within}-ceiling`);
      }
    } catch (error) {
      log(`  the host's ceiling could not be measured: ${(error as Error).message}`);
    }
  } finally {
    observeDynamo(undefined);
    uncount();
    await workers.stop();
  }
  return {
    operators,
    capacity: 'no limit (every session can be routed at once)',
    rates,
    ...(ceiling ? { ceiling } : {}),
    note: "Delay = _acceptedAt − __createdAt of each session (both stamped by this process). Includes the local poller (GetRecords polls of DynamoDB Local's stream) and the consumer's other work on the same batches (events, webhook lookups). Cost = the routing sink's own DynamoDB calls and consumed capacity (ReturnConsumedCapacity) divided by the sessions it routed.",
  };
}

/**
 * Closed loop: `concurrency` senders, each sending its next arrival when the last is answered, for
 * `seconds`. 48: the host's functions share one DynamoDB client of 50 sockets (one process), so
 * more senders only queue for a socket.
 */
async function measureCeiling(env: Env, target: { channelId: string; integration: string }, seconds: number): Promise<HostCeiling> {
  const concurrency = 48;
  const refused = { count: 0 };
  const answers: number[] = [];
  const started = performance.now();
  const until = started + seconds * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const a = await arrive(env, target.channelId, target.integration, `bench-ceiling-${n++}`, refused);
        if (a) answers.push(a.ms);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const ceiling: HostCeiling = {
    arrivalsPerSecond: round(answers.length / elapsed, 0),
    concurrency,
    seconds: round(elapsed, 1),
    answerP50Ms: Math.round(quantile(answers, 0.5)),
    answerP99Ms: Math.round(quantile(answers, 0.99)),
    refused: refused.count,
  };
  log(
    `  ceiling: ${ceiling.arrivalsPerSecond} arrivals/s accepted closed loop (${concurrency} at once, ${ceiling.seconds} s), answered in p50 ${ceiling.answerP50Ms} ms, p99 ${ceiling.answerP99Ms} ms; ${ceiling.refused} refused`,
  );
  return ceiling;
}
