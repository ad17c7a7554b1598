/**
 * The delivery machine shared by webhooks and messenger endpoints: one delivery item per
 * (target, event), recorded conditionally by the stream consumer (so an event seen twice is
 * delivered once), attempted by the delivery queue's worker (never on the consumer's path: a slow
 * receiver delays no routing) under a short lease (so two workers never send the same attempt), retried on the schedule
 * (schedule.ts) through a sparse due index, and kept with its outcome for `GET …/deliveries`.
 * Receivers de-duplicate by `webhook-id` (the event id), as Standard Webhooks expects: at least
 * once is the promise.
 */

import { TtlCache } from '../../adapters/cache.ts';
import { mapPool } from '../../adapters/concurrency.ts';
import { getItems, type Item, putItem, queryPage, updateItem } from '../../adapters/dynamodb/db.ts';
import {
  channelDeliveryKey,
  type DeliveryTarget,
  deliveryDueKeys,
  deliveryDuePartition,
  deliveryKey,
  deliveryListKeys,
  deliveryShards,
  INDEX,
  webhookKey,
} from '../../adapters/dynamodb/keys.ts';
import { keyAttributesOf } from '../../adapters/dynamodb/table.ts';
import { type CheckedTarget, postToTarget, resolveTarget } from '../../adapters/http/urls.ts';
import type { SendProgress } from '../../adapters/messengers/port.ts';
import type { ChatlinesEvent } from '../../contract/events.ts';
import type { Delivery } from '../../contract/webhooks.ts';
import { ATTEMPT_TIMEOUT_MS, nextAttemptAfter } from '../../domain/webhooks/schedule.ts';
import { signedHeaders } from '../../domain/webhooks/signing.ts';

/** The due index's key attributes, by name in update expressions. */
const DUE = keyAttributesOf(INDEX.dueDeliveries);
const DUE_NAMES = { '#dpk': DUE.pk, '#dsk': DUE.sk };

/** How long an attempt owns its delivery (longer than the receiver's timeout). */
const LEASE_MS = ATTEMPT_TIMEOUT_MS + 20_000;

export interface DeliveryItem extends Item {
  pk: string;
  sk: string;
  target: DeliveryTarget;
  eventId: string;
  eventType: string;
  body: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastResponseCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
  /** A retry asked for by hand: one attempt, then back to failed if it fails. */
  manual?: boolean;
  /** A messenger reply of several parts: those that went out already (the next attempt starts after them). */
  progress?: SendProgress;
}

/** The public view of a delivery item. */
export const deliveryView = (item: Item): Delivery => {
  const d = item as DeliveryItem;
  return {
    id: d.eventId,
    eventId: d.eventId,
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    lastResponseCode: d.lastResponseCode ?? null,
    lastError: d.lastError ?? null,
    nextAttemptAt: d.status === 'pending' ? (d.nextAttemptAt ?? null) : null,
    createdAt: d.createdAt,
    deliveredAt: d.deliveredAt ?? null,
  };
};

/** A new delivery: a target and the event it gets. The delivery queue carries it whole. */
export interface DeliveryMessage {
  target: DeliveryTarget;
  event: ChatlinesEvent;
}

/**
 * Where new deliveries go to be attempted, off the stream consumer's path: an SQS queue in AWS
 * (lib/adapters/aws/queue.ts, read by functions/queue/attempt-deliveries.ts), the local host's
 * in-process worker running the same handler (infra/local/events.ts). Nothing is written before
 * the first attempt: the queue holds the delivery until then (a refused enqueue fails the stream
 * record, which is retried), so a delivery costs one write when its first attempt succeeds.
 */
export interface DeliveryQueue {
  enqueue(messages: readonly DeliveryMessage[]): Promise<void>;
}

/**
 * A delivery as a FIFO message: grouped by its target (its deliveries keep their order) and
 * deduplicated by its key (a delivery queued twice within five minutes is sent once).
 */
export const fifoMessage = (m: DeliveryMessage) => ({ body: m, group: targetId(m.target), once: deliveryKey(m.target, m.event.id).pk });

let localQueue: DeliveryQueue | undefined;
/** Sets the local host's delivery queue (undefined: none; the consumer then hands over no deliveries and fails their records). */
export function useLocalDeliveryQueue(queue: DeliveryQueue | undefined): void {
  localQueue = queue;
}
/** The local host's delivery queue, if it runs one. */
export const localDeliveryQueue = (): DeliveryQueue | undefined => localQueue;

/**
 * The first attempt of new deliveries, then one write each: delivered; pending with its next
 * attempt in the due index (the sweeper's); or failed when the target is gone. Deliveries
 * recorded before (a message or a stream record seen twice) are skipped, and the write is
 * conditional on none existing, so two workers racing on one message record it once. Per target
 * in event order, targets side by side.
 */
export async function deliverNew(messages: readonly DeliveryMessage[]): Promise<('delivered' | 'retry' | 'failed' | 'skipped')[]> {
  const outcomes: ('delivered' | 'retry' | 'failed' | 'skipped')[] = messages.map(() => 'skipped');
  if (messages.length === 0) return outcomes;
  const recorded = await getItems(messages.map((m) => deliveryKey(m.target, m.event.id)));
  const byTarget = new Map<string, number[]>();
  const seen = new Set<string>();
  messages.forEach((m, i) => {
    const once = `${targetId(m.target)}|${m.event.id}`;
    if (recorded[i] || seen.has(once)) return;
    seen.add(once);
    const id = targetId(m.target);
    byTarget.set(id, [...(byTarget.get(id) ?? []), i]);
  });
  const lists = [...byTarget.values()];
  const endpoints = await endpointsOf(lists.map((list) => messages[list[0]!]!.target));
  await mapPool(lists, 16, async (list, k) => {
    for (const i of list) outcomes[i] = await firstAttempt(messages[i]!, endpoints[k]);
  });
  return outcomes;
}

/**
 * Turns a stored body into the one sent: the functions that send deliveries set it (the channel
 * endpoints' message events get their files' download URLs, signed for each attempt: see
 * lib/app/files/files.ts `withFileLinks`). The stored body never holds a URL, which would expire.
 */
let prepareBody: (target: DeliveryTarget, body: string) => Promise<string> = async (_target, body) => body;
export function prepareDeliveryBodies(prepare: (target: DeliveryTarget, body: string) => Promise<string>): void {
  prepareBody = prepare;
}

async function firstAttempt({ target, event }: DeliveryMessage, endpoint: Endpoint | undefined): Promise<'delivered' | 'retry' | 'failed' | 'skipped'> {
  const key = deliveryKey(target, event.id);
  const body = JSON.stringify(event);
  const outcome = await attemptOn(target, endpoint, event.id, body);
  const now = Date.now();
  const nowIso = new Date(now).toISOString();
  const base = {
    ...key,
    ...deliveryListKeys(target, nowIso, event.id),
    entity: 'delivery',
    target,
    eventId: event.id,
    eventType: event.type,
    attempts: 1,
    lastResponseCode: outcome.code,
    lastError: outcome.error,
    createdAt: nowIso,
    // What a reply of several parts got out: the next attempt starts after it.
    ...(outcome.progress ? { progress: outcome.progress } : {}),
  };
  const next = outcome.ok || !endpoint ? undefined : nextAfter(outcome, 1, now);
  // A delivered one keeps no body (nothing will send it again): a smaller item, one write unit.
  const item: Item = outcome.ok
    ? { ...base, status: 'delivered', nextAttemptAt: null, deliveredAt: nowIso }
    : next
      ? { ...base, ...deliveryDueKeys(key.pk, next), body, status: 'pending', nextAttemptAt: next, deliveredAt: null }
      : { ...base, body, status: 'failed', nextAttemptAt: null, deliveredAt: null };
  const written = await putItem(item, { ConditionExpression: 'attribute_not_exists(pk)' });
  if (!written) return 'skipped';
  if (!outcome.ok && !next && endpoint) await gaveUp(target, body, outcome.error);
  return outcome.ok ? 'delivered' : next ? 'retry' : 'failed';
}

/**
 * What sends a reply to a natively connected messenger (lib/app/messengers/outbound.ts): set by
 * the functions that attempt deliveries (functions/queue/attempt-deliveries.ts,
 * functions/schedule/retry-deliveries.ts; the local host runs both), so that the stream consumer,
 * which only queues deliveries, carries no messenger code or key access.
 */
export interface NativeSender {
  /** One attempt at sending the reply of `event` on the channel; `final`: no attempt will do better. */
  send(channelId: string, event: ChatlinesEvent, progress: SendProgress | undefined): Promise<AttemptOutcome>;
  /** The delivery failed for good: the reply is marked `failed` with the reason. */
  gaveUp(channelId: string, event: ChatlinesEvent, error: string): Promise<void>;
}
let nativeSender: NativeSender | undefined;
/** Sets the sender of native channels' replies (once per process). */
export const useNativeSender = (sender: NativeSender) => {
  nativeSender = sender;
};

/** What came of one attempt. */
export interface AttemptOutcome {
  ok: boolean;
  code: number | null;
  error: string | null;
  /** The receiver said when to try again (a messenger's `retry_after`). */
  retryAfterMs?: number | undefined;
  /** Trying again will not help (blocked by the user, credentials refused). */
  final?: boolean | undefined;
  /** A messenger reply of several parts: what went out before the failure. */
  progress?: SendProgress | undefined;
}

/** One attempt at a target: a signed POST to an endpoint URL, or the messenger's own API for a native channel. */
async function attemptOn(
  target: DeliveryTarget,
  endpoint: Endpoint | undefined,
  eventId: string,
  body: string,
  progress?: SendProgress,
): Promise<AttemptOutcome> {
  if (!endpoint) return { ok: false, code: null, error: target.kind === 'webhook' ? 'the subscription was deleted' : 'the channel has no delivery endpoint' };
  if ('native' in endpoint) {
    if (!nativeSender) return { ok: false, code: null, error: 'this function sends no messenger replies' };
    try {
      return await nativeSender.send(target.id, JSON.parse(body) as ChatlinesEvent, progress);
    } catch (error) {
      return { ok: false, code: null, error: `the reply could not be sent (${(error as Error).message})` };
    }
  }
  return send(endpoint.url, endpoint.secret, eventId, await prepareBody(target, body));
}

/** When to attempt again: the receiver's `retry_after` while the schedule allows another attempt; never after a final failure. */
function nextAfter(outcome: AttemptOutcome, attempts: number, now: number): string | undefined {
  if (outcome.final) return undefined;
  const scheduled = nextAttemptAfter(attempts, now);
  if (!scheduled || outcome.retryAfterMs === undefined) return scheduled;
  return new Date(now + outcome.retryAfterMs).toISOString();
}

/** A native channel's delivery that ended failed marks its reply failed. */
async function gaveUp(target: DeliveryTarget, body: string, error: string | null): Promise<void> {
  if (target.kind !== 'channel' || !nativeSender) return;
  await nativeSender.gaveUp(target.id, JSON.parse(body) as ChatlinesEvent, error ?? 'the reply could not be delivered');
}

/** Where a target receives, and the secret its deliveries are signed with; or a natively connected messenger channel. */
export type Endpoint = { url: string; secret: string } | { native: string };

/**
 * How long an instance trusts a target's endpoint (url and secret) it has read. Every reply
 * delivered to a messenger, and every event to a webhook, needs its target's endpoint: read
 * each time, a busy channel's or webhook's item is read once per event. What may be stale: a
 * URL changed, an endpoint removed or a subscription deleted through another instance still
 * gets deliveries from this one for up to 10 s (a changed secret: deliveries signed with the
 * old one for as long).
 */
export const ENDPOINT_CACHE_MS = 10_000;
const endpointCache = new TtlCache<Endpoint | undefined>(ENDPOINT_CACHE_MS);
const targetId = (t: DeliveryTarget) => `${t.kind}:${t.id}`;
const endpointKey = (t: DeliveryTarget) => (t.kind === 'webhook' ? webhookKey(t.id) : channelDeliveryKey(t.id));
/** Drops a target's endpoint from this instance's cache (after this instance changed it). */
export const forgetEndpoint = (target: DeliveryTarget) => endpointCache.delete(targetId(target));

/**
 * Where each target receives, and the secret it is signed with (undefined: the target is gone or
 * has no endpoint): from this instance's cache, the rest in one BatchGetItem.
 */
export async function endpointsOf(targets: readonly DeliveryTarget[]): Promise<(Endpoint | undefined)[]> {
  const known = new Map<string, Endpoint | undefined>();
  const missing: DeliveryTarget[] = [];
  const asked = new Set<string>();
  for (const t of targets) {
    const id = targetId(t);
    if (known.has(id) || asked.has(id)) continue;
    const hit = endpointCache.get(id);
    if (hit) known.set(id, hit.value);
    else {
      missing.push(t);
      asked.add(id);
    }
  }
  const items = await getItems(missing.map(endpointKey));
  missing.forEach((t, i) => {
    const item = items[i];
    const endpoint: Endpoint | undefined =
      item && typeof item.native === 'string'
        ? { native: item.native }
        : item && typeof item.url === 'string' && typeof item.secret === 'string'
          ? { url: item.url, secret: item.secret }
          : undefined;
    endpointCache.set(targetId(t), endpoint);
    known.set(targetId(t), endpoint);
  });
  return targets.map((t) => known.get(targetId(t)));
}

/** Where a target receives, and the secret it is signed with; undefined when the target is gone. */
export async function endpointOf(target: DeliveryTarget): Promise<Endpoint | undefined> {
  return (await endpointsOf([target]))[0];
}

/** Takes the delivery for one attempt; undefined when it is not due or another worker has it. */
async function claim(pk: string, sk: string, now: number): Promise<DeliveryItem | undefined> {
  const item = await updateItem({
    Key: { pk, sk },
    UpdateExpression: 'SET leaseUntil = :lease ADD attempts :one',
    ConditionExpression: '#st = :pending AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
    ExpressionAttributeNames: { '#st': 'status' },
    ExpressionAttributeValues: { ':lease': now + LEASE_MS, ':one': 1, ':pending': 'pending', ':now': now },
  });
  return item as DeliveryItem | undefined;
}

/**
 * Endpoints that are not HTTP, by URL scheme (`mailto:`: an inbox channel's replies go out as
 * mail, lib/app/mail/outbound.ts), sent by the capability that registered the scheme; the rest
 * of the machine (recording, retries, the due index) is the same as for HTTP endpoints.
 */
export type EndpointSender = (url: string, body: string) => Promise<AttemptOutcome>;
const endpointSenders = new Map<string, EndpointSender>();
export function registerEndpointSender(scheme: string, sender: EndpointSender): void {
  endpointSenders.set(scheme, sender);
}

async function send(url: string, secret: string, id: string, body: string): Promise<AttemptOutcome> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme && scheme !== 'http' && scheme !== 'https') {
    const sender = endpointSenders.get(scheme);
    if (!sender) return { ok: false, code: null, error: `nothing sends to ${scheme}: endpoints in this function` };
    try {
      return await sender(url, body);
    } catch (error) {
      return { ok: false, code: null, error: (error as Error).message };
    }
  }
  let target: CheckedTarget;
  try {
    target = await resolveTarget(url);
  } catch (error) {
    return { ok: false, code: null, error: (error as Error).message };
  }
  try {
    // Connects to the address just checked (no second resolution that DNS could answer otherwise).
    const status = await postToTarget(target, signedHeaders(secret, id, body), body, ATTEMPT_TIMEOUT_MS);
    const ok = status >= 200 && status < 300;
    return { ok, code: status, error: ok ? null : `the receiver answered ${status}` };
  } catch (error) {
    const e = error as Error;
    return { ok: false, code: null, error: e.name === 'TimeoutError' ? `no answer within ${ATTEMPT_TIMEOUT_MS / 1000} s` : `could not connect (${e.message})` };
  }
}

/**
 * One attempt at a delivery (if it is due and nobody else is at it): sends, then records the
 * outcome — delivered, the next attempt on the schedule, or failed when the schedule is spent.
 */
export async function attemptDelivery(pk: string, sk = '#DELIVERY'): Promise<'delivered' | 'retry' | 'failed' | 'skipped'> {
  const startedAt = Date.now();
  const d = await claim(pk, sk, startedAt);
  if (!d) return 'skipped';
  const endpoint = await endpointOf(d.target);
  const outcome = await attemptOn(d.target, endpoint, d.eventId, d.body, d.progress);
  // What a reply of several parts got out stays with the delivery (the next attempt starts after it).
  const progress = outcome.progress
    ? { names: { '#progress': 'progress' }, set: ', #progress = :progress', values: { ':progress': outcome.progress } }
    : undefined;
  const now = Date.now();
  const nowIso = new Date(now).toISOString();
  if (outcome.ok) {
    await updateItem({
      Key: { pk, sk },
      UpdateExpression:
        'SET #st = :delivered, lastResponseCode = :code, lastError = :null, deliveredAt = :now, nextAttemptAt = :null REMOVE leaseUntil, #dpk, #dsk, manual',
      ExpressionAttributeNames: { '#st': 'status', ...DUE_NAMES },
      ExpressionAttributeValues: { ':delivered': 'delivered', ':code': outcome.code, ':null': null, ':now': nowIso },
    });
    return 'delivered';
  }
  const next = endpoint && !d.manual ? nextAfter(outcome, d.attempts, now) : undefined;
  if (next) {
    const due = deliveryDueKeys(pk, next);
    await updateItem({
      Key: { pk, sk },
      UpdateExpression: `SET lastResponseCode = :code, lastError = :error, nextAttemptAt = :next, #dpk = :dpk, #dsk = :dsk${progress?.set ?? ''} REMOVE leaseUntil`,
      ExpressionAttributeNames: { ...DUE_NAMES, ...progress?.names },
      ExpressionAttributeValues: { ':code': outcome.code, ':error': outcome.error, ':next': next, ':dpk': due.gsi1pk, ':dsk': due.gsi1sk, ...progress?.values },
    });
    return 'retry';
  }
  await updateItem({
    Key: { pk, sk },
    UpdateExpression: `SET #st = :failed, lastResponseCode = :code, lastError = :error, nextAttemptAt = :null${progress?.set ?? ''} REMOVE leaseUntil, #dpk, #dsk, manual`,
    ExpressionAttributeNames: { '#st': 'status', ...DUE_NAMES, ...progress?.names },
    ExpressionAttributeValues: { ':failed': 'failed', ':code': outcome.code, ':error': outcome.error, ':null': null, ...progress?.values },
  });
  if (endpoint) await gaveUp(d.target, d.body, outcome.error);
  return 'failed';
}

/** Runs `work` over `items` with at most `limit` in flight. */
/**
 * Attempts every delivery that has come due (reads only the due index: its cost follows the
 * number of due deliveries, not of deliveries kept). Run every minute in AWS, every second on
 * the local host. Returns how many were attempted.
 */
export async function sweepDueDeliveries(now = Date.now(), limitPerShard = 200): Promise<number> {
  const upTo = `${new Date(now).toISOString()}#\uffff`;
  const due: { pk: string; sk: string }[] = [];
  const shards = Array.from({ length: deliveryShards() }, (_, shard) => shard);
  await mapPool(shards, 8, async (shard) => {
    const page = await queryPage({
      IndexName: INDEX.dueDeliveries,
      KeyConditionExpression: '#dpk = :pk AND #dsk <= :upTo',
      ExpressionAttributeNames: DUE_NAMES,
      ExpressionAttributeValues: { ':pk': deliveryDuePartition(shard), ':upTo': upTo },
      Limit: limitPerShard,
    });
    for (const item of page.items) due.push({ pk: String(item.pk), sk: String(item.sk) });
  });
  await mapPool(due, 16, (d) => attemptDelivery(d.pk, d.sk));
  return due.length;
}
