/**
 * The stream consumer's work, the same in both hosts (functions/stream/stream-consumer.ts in AWS, the
 * local poller in infra/local/stream.ts): records → events (map.ts), then the fan-outs — the bus
 * (EventBridge or in-process), webhook subscriptions and channel delivery endpoints (as
 * deliveries: created once per target and event, attempted at once, retried by the sweeper),
 * and the sinks its host registers: routing in both hosts, and live push on the local host only
 * (in AWS live push has a function of its own, functions/stream/live-fanout.ts).
 *
 * At least once: the same records may come again (retries, replays, a restart); every effect is
 * keyed by the event id and written conditionally, or is idempotent for its receiver (the bus
 * and live push carry the stable event id so receivers drop repeats).
 */

import { getItems } from '../../adapters/dynamodb/db.ts';
import { readClient, readMessage } from '../../adapters/dynamodb/items.ts';
import { clientKey, type DeliveryTarget, deliveryKey, messageSortKey, sessionKey } from '../../adapters/dynamodb/keys.ts';
import { type ChangeRecord, readChange } from '../../adapters/dynamodb/stream.ts';
import { type ChatlinesEvent, matchesPattern } from '../../contract/events.ts';
import type { Client, Message } from '../../contract/schemas.ts';
import type { EventBus } from '../../domain/events/bus.ts';
import { complete, eventsOfChange, isOutbound } from '../../domain/events/map.ts';
import { deliverFirst, endpointsOf, inParallel } from '../webhooks/deliveries.ts';
import { subscriptionsOf } from '../webhooks/subscriptions.ts';

/** Something else that reacts to events (routing; live push on the local host). It must be idempotent. */
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

/** The events of some stream records, in record order, completed with their messages. */
export async function eventsOfRecords(records: readonly ChangeRecord[]): Promise<ChatlinesEvent[]> {
  const drafts = records.flatMap((r) => eventsOfChange(readChange(r)));
  const wanted = drafts.filter((d) => d.message).map((d) => d.message!);
  if (wanted.length === 0) return drafts.map((d) => d.event);
  const messageItems = await getItems(wanted.map((m) => ({ pk: sessionKey(m.session).pk, sk: messageSortKey(m.id) })));
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
    for (const item of await getItems([...clientIds].map((id) => clientKey(id)))) if (item) clients.set(String(item.__id), readClient(item));
  }
  return drafts.map((d) => {
    const session = d.event.data.session as { _clients?: string[] } | undefined;
    return complete(d, d.message ? messages.get(d.message.id) : undefined, clients.get(session?._clients?.[0] ?? ''));
  });
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
  // The channels' endpoints come from this instance's cache (10 s), the rest in one batch.
  const endpoints = new Set<string>();
  const found = await endpointsOf(outboundChannels.map((id) => ({ kind: 'channel' as const, id })));
  outboundChannels.forEach((c, i) => {
    if (found[i]) endpoints.add(c);
  });
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
 * Delivers these events to their targets: per target in event order, targets in parallel. A
 * delivery already recorded (this event was seen before) is left alone; a new one is attempted
 * at once and then recorded (lib/app/webhooks/deliveries.ts `deliverFirst`). A failed attempt is no
 * error of the batch: the delivery waits in the due index for the sweeper.
 */
export async function deliver(events: readonly ChatlinesEvent[]): Promise<void> {
  const pairs = await targetsOf(events);
  if (pairs.length === 0) return;
  const recorded = await getItems(pairs.map((p) => deliveryKey(p.target, p.event.id)));
  const byTarget = new Map<string, { target: DeliveryTarget; event: ChatlinesEvent }[]>();
  pairs.forEach((pair, i) => {
    if (recorded[i]) return;
    const k = `${pair.target.kind}:${pair.target.id}`;
    byTarget.set(k, [...(byTarget.get(k) ?? []), pair]);
  });
  const lists = [...byTarget.values()];
  const endpoints = await endpointsOf(lists.map((list) => list[0]!.target));
  await inParallel(
    lists.map((list, i) => ({ list, endpoint: endpoints[i] })),
    16,
    async ({ list, endpoint }) => {
      for (const { target, event } of list) await deliverFirst(target, event, endpoint);
    },
  );
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
