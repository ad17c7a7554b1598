/**
 * The stream consumer's work, the same in both hosts (functions/stream-consumer.ts in AWS, the
 * local poller in infra/local/stream.ts): records → events (map.ts), then the fan-outs — the bus
 * (EventBridge or in-process), webhook subscriptions and channel delivery endpoints (as
 * deliveries: created once per target and event, attempted at once, retried by the sweeper),
 * and any sinks registered by other parts (live push, routing, timers).
 *
 * At least once: the same records may come again (retries, replays, a restart); every effect is
 * keyed by the event id and written conditionally, or is idempotent for its receiver (the bus
 * and live push carry the stable event id so receivers drop repeats).
 */
import type { Client, Message } from '../model/schemas.ts';
import { getItems, queryPage } from '../store/db.ts';
import { readClient, readMessage } from '../store/items.ts';
import { channelDeliveryKey, clientKey, lineWebhooksPartition, messageSortKey, sessionKey, type DeliveryTarget } from '../store/keys.ts';
import { attemptDelivery, enqueueDelivery, inParallel, type DeliveryItem } from '../webhooks/deliveries.ts';
import type { EventBus } from './bus.ts';
import { complete, eventsOfRecord, isOutbound, type ChangeRecord } from './map.ts';
import { matchesPattern, type ChatlinesEvent } from './schema.ts';

/** Something else that reacts to events (live push, routing, timers). It must be idempotent. */
export interface EventSink {
  readonly name: string;
  /** The batch's events, and its raw records (routing reads operator records, which make no event). */
  handle(events: readonly ChatlinesEvent[], records: readonly ChangeRecord[]): Promise<void>;
  /** Also called for batches that make no event (the sink reads the records itself). */
  readonly records?: boolean;
}

const sinks: EventSink[] = [];
/** Registers a sink for every later batch (once per name). */
export function registerSink(sink: EventSink): void {
  if (!sinks.some((s) => s.name === sink.name)) sinks.push(sink);
}

async function readInChunks(keys: { pk: string; sk: string }[]) {
  const out: (Record<string, unknown> | undefined)[] = [];
  for (let i = 0; i < keys.length; i += 100) out.push(...(await getItems(keys.slice(i, i + 100))));
  return out;
}

/** The events of some stream records, in record order, completed with their messages. */
export async function eventsOfRecords(records: readonly ChangeRecord[]): Promise<ChatlinesEvent[]> {
  const drafts = records.flatMap((r) => eventsOfRecord(r));
  const wanted = drafts.filter((d) => d.message).map((d) => d.message!);
  if (wanted.length === 0) return drafts.map((d) => d.event);
  const messageItems = await readInChunks(wanted.map((m) => ({ pk: sessionKey(m.session).pk, sk: messageSortKey(m.id) })));
  const messages = new Map<string, Message>();
  for (const item of messageItems) if (item) messages.set(String(item.__id), readMessage(item));
  // Replies that go out to a messenger name the client's account: read those clients.
  const clientIds = new Set<string>();
  for (const d of drafts) {
    const m = d.message && messages.get(d.message.id);
    const session = d.event.data.session as { _clients?: string[] } | undefined;
    if (m && isOutbound(m) && session?._clients?.[0]) clientIds.add(session._clients[0]);
  }
  const clients = new Map<string, Client>();
  if (clientIds.size > 0) {
    for (const item of await readInChunks([...clientIds].map((id) => clientKey(id)))) if (item) clients.set(String(item.__id), readClient(item));
  }
  return drafts.map((d) => {
    const session = d.event.data.session as { _clients?: string[] } | undefined;
    return complete(d, d.message ? messages.get(d.message.id) : undefined, clients.get(session?._clients?.[0] ?? ''));
  });
}

interface Subscription {
  id: string;
  events: string[];
}

/** The webhook subscriptions of the lines in a batch, and the ones for every line. */
async function subscriptionsOf(lines: readonly string[]): Promise<Map<string | null, Subscription[]>> {
  const out = new Map<string | null, Subscription[]>();
  await Promise.all(
    [null, ...lines].map(async (line) => {
      const subs: Subscription[] = [];
      let lastKey: Record<string, unknown> | undefined;
      do {
        const page = await queryPage({
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': lineWebhooksPartition(line) },
          ...(lastKey ? { ExclusiveStartKey: lastKey } : {}),
        });
        for (const item of page.items) subs.push({ id: String(item.__id), events: (item.events ?? []) as string[] });
        lastKey = page.lastKey;
      } while (lastKey);
      out.set(line, subs);
    }),
  );
  return out;
}

/** The targets each event goes to: matching subscriptions, and for outbound replies the channel's endpoint. */
export async function targetsOf(events: readonly ChatlinesEvent[]): Promise<{ target: DeliveryTarget; event: ChatlinesEvent }[]> {
  if (events.length === 0) return [];
  const subscriptions = await subscriptionsOf([...new Set(events.map((e) => e.line))]);
  const outboundChannels = [
    ...new Set(
      events
        .filter((e) => e.type === 'message.created' && e.data.message && isOutbound(e.data.message as Message) && e.data.visibility === 'client')
        .map((e) => e.channel),
    ),
  ];
  const endpoints = new Set<string>();
  if (outboundChannels.length > 0) {
    const items = await readInChunks(outboundChannels.map((c) => channelDeliveryKey(c)));
    outboundChannels.forEach((c, i) => {
      if (items[i]?.url) endpoints.add(c);
    });
  }
  const out: { target: DeliveryTarget; event: ChatlinesEvent }[] = [];
  for (const event of events) {
    for (const sub of [...(subscriptions.get(null) ?? []), ...(subscriptions.get(event.line) ?? [])]) {
      if (sub.events.some((p) => matchesPattern(event.type, p))) out.push({ target: { kind: 'webhook', id: sub.id }, event });
    }
    if (event.type === 'message.created' && endpoints.has(event.channel) && isOutbound(event.data.message as Message) && event.data.visibility === 'client') {
      out.push({ target: { kind: 'channel', id: event.channel }, event });
    }
  }
  return out;
}

/**
 * Creates the deliveries of these events and makes a first attempt at the new ones: per target
 * in event order, targets in parallel. A failed attempt is not an error of the batch: the
 * delivery waits in the due index for the sweeper.
 */
export async function deliver(events: readonly ChatlinesEvent[]): Promise<void> {
  const pairs = await targetsOf(events);
  const created: DeliveryItem[] = [];
  await inParallel(pairs, 16, async ({ target, event }) => {
    const item = await enqueueDelivery(target, event);
    if (item) created.push(item);
  });
  const byTarget = new Map<string, DeliveryItem[]>();
  const order = new Map(events.map((e, i) => [e.id, i]));
  for (const item of created) {
    const k = `${item.target.kind}:${item.target.id}`;
    byTarget.set(k, [...(byTarget.get(k) ?? []), item]);
  }
  await inParallel([...byTarget.values()], 16, async (items) => {
    items.sort((a, b) => (order.get(a.eventId) ?? 0) - (order.get(b.eventId) ?? 0));
    for (const item of items) await attemptDelivery(item.pk, item.sk);
  });
}

/** Everything the consumer does with one batch of records. Throws when the batch must be retried. */
export async function consume(records: readonly ChangeRecord[], bus: EventBus): Promise<ChatlinesEvent[]> {
  const events = await eventsOfRecords(records);
  if (events.length > 0) {
    await bus.publish(events);
    await deliver(events);
  }
  for (const sink of sinks) if (events.length > 0 || sink.records) await sink.handle(events, records);
  return events;
}
