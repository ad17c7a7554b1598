/**
 * What a session costs: a realistic conversation walked through the API
 * — a client writes 4 times, an operator takes it, replies 4 times, adds a note, sets its
 * priority and closes it — with its events (one webhook subscription, the messenger endpoint
 * of the channel), and its share of the metrics aggregation. Measured in DynamoDB read and
 * write units (ReturnConsumedCapacity, as DynamoDB Local reports it), Lambda invocations and
 * GB-seconds, API Gateway requests and EventBridge events, then priced at on-demand list prices
 * (table below, with its date). Beside it: the same conversation on Amazon Connect chat.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { backgroundUsage, resetUsage, usage } from '../infra/local/dynamodb-calls.ts';
import { startEventWorkers } from '../infra/local/events.ts';
import { aggregateMetrics } from '../lib/app/metrics/aggregate.ts';
import { type Env, round } from './support.ts';
import { EVENTS_PER_SESSION, type EventTargets, openEventTargets, walkCaller, walkSession } from './walk.ts';
import type { World } from './world.ts';

/** On-demand list prices, us-east-1, as published on the date below (USD). */
export const PRICES = {
  date: '2026-12-01',
  region: 'us-east-1',
  dynamoWriteUnitPerMillion: 0.625,
  dynamoReadUnitPerMillion: 0.125,
  lambdaRequestPerMillion: 0.2,
  lambdaArmGbSecond: 0.0000133334,
  httpApiRequestPerMillion: 1.0,
  eventBridgeCustomEventPerMillion: 1.0,
  /** DynamoDB Streams read by a Lambda trigger: no charge. */
  streamReadsByLambda: 0,
  /** Amazon Connect chat: per message, inbound or outbound. */
  connectChatPerMessage: 0.004,
} as const;

const MEMORY_GB = 0.5;

export interface CostResult {
  sessions: number;
  perSession: {
    apiRequests: number;
    requestRcu: number;
    requestWcu: number;
    consumerRcu: number;
    consumerWcu: number;
    aggregationRcu: number;
    aggregationWcu: number;
    lambdaInvocations: number;
    lambdaGbSeconds: number;
    events: number;
  };
  dollarsPer1000: { dynamodb: number; lambda: number; apiGateway: number; eventBridge: number; total: number };
  connectChatPer1000: number;
  prices: typeof PRICES;
}

/** The same walk measured on main before the hot-partition work (every index projecting ALL), kept as the reference. */
export interface CostBaseline {
  commit: string;
  measured: string;
  how: string;
  cost: Pick<CostResult, 'sessions' | 'perSession' | 'dollarsPer1000'>;
}
export const BASELINE_FILE = join(import.meta.dirname, 'baseline', 'cost-before-issue-18.json');
export function costBaseline(): CostBaseline {
  return JSON.parse(readFileSync(BASELINE_FILE, 'utf8')) as CostBaseline;
}

export async function benchCost(env: Env, w: World, quick: boolean): Promise<CostResult> {
  const sessions = quick ? 10 : 40;
  const tableName = process.env.TABLE_NAME!;
  const workers = await startEventWorkers({ endpoint: env.endpoint, tableName, sweepEveryMs: 1_000, onError: () => undefined });
  let targets: EventTargets | undefined;
  try {
    targets = await openEventTargets(env, w);
    // Earlier steps may leave a backlog of stream records: let the consumer catch up first.
    await workers.poller.drain(180_000);
    await aggregateMetrics();
    resetUsage();
    const { call, requests: requestCount, handlerMs: handlerTime } = walkCaller(env);
    const delivered = targets.expectWalks(sessions);
    for (let i = 0; i < sessions; i++) await walkSession(call, w, `cost-${Date.now()}-${i}`);
    const requests = requestCount();
    const handlerMs = handlerTime();
    const requestRcu = usage.readCapacity;
    const requestWcu = usage.writeCapacity;
    const events = sessions * EVENTS_PER_SESSION;
    await delivered();
    await workers.poller.drain(30_000);
    // A receipt comes before the attempt's outcome is written: wait for the delivery worker too.
    await workers.deliveries.idle();
    const consumerRcu = backgroundUsage.readCapacity;
    const consumerWcu = backgroundUsage.writeCapacity;
    resetUsage();
    await aggregateMetrics();
    const aggregationRcu = usage.readCapacity + backgroundUsage.readCapacity;
    const aggregationWcu = usage.writeCapacity + backgroundUsage.writeCapacity;

    const per = (n: number) => round(n / sessions, 2);
    // Lambda: one invocation per API request; the stream consumer batches (at most one per
    // change here: an upper bound); the aggregation and sweeps are shared across all sessions.
    const commits = requests; // every request of this walk is one commit
    const invocations = requests + commits;
    const gbSeconds = ((handlerMs / 1000) * MEMORY_GB + commits * 0.05 * MEMORY_GB) / sessions;
    const perSession = {
      apiRequests: per(requests),
      requestRcu: per(requestRcu),
      requestWcu: per(requestWcu),
      consumerRcu: per(consumerRcu),
      consumerWcu: per(consumerWcu),
      aggregationRcu: per(aggregationRcu),
      aggregationWcu: per(aggregationWcu),
      lambdaInvocations: per(invocations),
      lambdaGbSeconds: round(gbSeconds, 3),
      events: per(events),
    };
    const k = 1000;
    const dynamodb =
      (k * (perSession.requestWcu + perSession.consumerWcu + perSession.aggregationWcu) * PRICES.dynamoWriteUnitPerMillion) / 1e6 +
      (k * (perSession.requestRcu + perSession.consumerRcu + perSession.aggregationRcu) * PRICES.dynamoReadUnitPerMillion) / 1e6;
    const lambda = (k * perSession.lambdaInvocations * PRICES.lambdaRequestPerMillion) / 1e6 + k * perSession.lambdaGbSeconds * PRICES.lambdaArmGbSecond;
    const apiGateway = (k * perSession.apiRequests * PRICES.httpApiRequestPerMillion) / 1e6;
    const eventBridge = (k * perSession.events * PRICES.eventBridgeCustomEventPerMillion) / 1e6;
    const r4 = (n: number) => round(n, 4);
    return {
      sessions,
      perSession,
      dollarsPer1000: {
        dynamodb: r4(dynamodb),
        lambda: r4(lambda),
        apiGateway: r4(apiGateway),
        eventBridge: r4(eventBridge),
        total: r4(dynamodb + lambda + apiGateway + eventBridge),
      },
      // 4 client messages + 4 replies (notes and history are not chat messages).
      connectChatPer1000: round(k * 8 * PRICES.connectChatPerMessage, 2),
      prices: PRICES,
    };
  } finally {
    await targets?.close();
    await workers.stop();
  }
}

export function costMarkdown(c: CostResult, row: (cells: unknown[]) => string): string[] {
  const p = c.perSession;
  const b = costBaseline();
  const bp = b.cost.perSession;
  return [
    '## Cost of a session',
    '',
    `${c.sessions} sessions, each: 4 client messages, a take, 4 replies, a note, a priority change, a close (${p.apiRequests} API requests), with their ${p.events} events to one webhook subscription and the 4 replies to the messenger endpoint, and their share of a metrics aggregation run. Units as DynamoDB Local reports ReturnConsumedCapacity (a transactional write counts 2 units per KB and item, GSI writes included). Lambda GB-s: 512 MB × the local handler time per request, plus 50 ms per stream batch (an upper bound: one batch per commit).`,
    '',
    row(['Per session', 'Read units', 'Write units', `Before (${b.commit}): read`, 'Before: write']),
    row(['---', '---:', '---:', '---:', '---:']),
    row(['API requests', p.requestRcu, p.requestWcu, bp.requestRcu, bp.requestWcu]),
    row(['stream consumer (events, deliveries)', p.consumerRcu, p.consumerWcu, bp.consumerRcu, bp.consumerWcu]),
    row(['metrics aggregation (share)', p.aggregationRcu, p.aggregationWcu, bp.aggregationRcu, bp.aggregationWcu]),
    '',
    `Before and after (the budget: at most half). Before = the same walk on main at ${b.commit}, every index projecting ALL (\`bench/baseline/\`, measured ${b.measured.slice(0, 10)} on this machine kind); after = this run.`,
    '',
    row(['Per 1,000 sessions (USD)', 'Before', 'After', 'After ÷ before']),
    row(['---', '---:', '---:', '---:']),
    row(['DynamoDB', b.cost.dollarsPer1000.dynamodb, c.dollarsPer1000.dynamodb, round(c.dollarsPer1000.dynamodb / b.cost.dollarsPer1000.dynamodb, 2)]),
    row(['total', b.cost.dollarsPer1000.total, c.dollarsPer1000.total, round(c.dollarsPer1000.total / b.cost.dollarsPer1000.total, 2)]),
    '',
    row(['Per 1,000 sessions (USD)', 'DynamoDB', 'Lambda', 'API Gateway', 'EventBridge', 'Total', 'Amazon Connect chat, same conversation']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:']),
    row([
      'on-demand list prices',
      c.dollarsPer1000.dynamodb,
      c.dollarsPer1000.lambda,
      c.dollarsPer1000.apiGateway,
      c.dollarsPer1000.eventBridge,
      c.dollarsPer1000.total,
      `${c.connectChatPer1000} (8 messages × $${c.prices.connectChatPerMessage})`,
    ]),
    '',
    `Prices (${c.prices.region}, ${c.prices.date}): DynamoDB on-demand $${c.prices.dynamoWriteUnitPerMillion}/M write units, $${c.prices.dynamoReadUnitPerMillion}/M read units; Lambda arm64 $${c.prices.lambdaRequestPerMillion}/M requests, $${c.prices.lambdaArmGbSecond}/GB-s; HTTP API $${c.prices.httpApiRequestPerMillion}/M requests; EventBridge $${c.prices.eventBridgeCustomEventPerMillion}/M custom events; DynamoDB Streams read by Lambda: free. Storage, logs, data transfer and free tiers are left out. The live event log (for resume) is in the consumer's share (locally its sink runs in the consumer; in AWS the live fan-out writes it); live frames' postToConnection calls and timers are not in this walk.`,
    '',
  ];
}
