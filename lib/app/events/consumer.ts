/**
 * The stream consumer's work, the same in both hosts (functions/stream/stream-consumer.ts in AWS, the
 * local poller in infra/local/stream.ts): records → events (map.ts), then the fan-outs — the bus
 * (EventBridge or in-process), webhook subscriptions and channel delivery endpoints (as
 * deliveries: recorded once per target and event, then handed to the delivery queue, whose
 * worker attempts them; the sweeper retries them), and the sinks its host registers: routing in
 * both hosts (live push is a mapping of its own in both: lib/app/live/fanout.ts `fanOutRecords`,
 * so a consumer batch never waits for the event log's writes). A failure is pinned on the record whose effects failed, so
 * the stream handler reports exactly the records that failed and the mapping isolates a poison one.
 *
 * At least once: the same records may come again (retries, replays, a restart); every effect is
 * keyed by the event id and written conditionally, or is idempotent for its receiver (the bus
 * and live push carry the stable event id so receivers drop repeats).
 */

import type { EventBus } from '../../adapters/bus.ts';
import { getItems } from '../../adapters/dynamodb/db.ts';
import { readClient, readMessage } from '../../adapters/dynamodb/items.ts';
import { clientKey, messageSortKey, sessionKey } from '../../adapters/dynamodb/keys.ts';
import { type ChangeRecord, readChange } from '../../adapters/dynamodb/stream.ts';
import { type ChatlinesEvent, matchesPattern } from '../../contract/events.ts';
import type { Client, Message } from '../../contract/schemas.ts';
import { complete, type EventDraft, eventsOfChange, isOutbound } from '../../domain/events/map.ts';
import { type DeliveryMessage, type DeliveryQueue, endpointsOf } from '../webhooks/deliveries.ts';
import { subscriptionsOf } from '../webhooks/subscriptions.ts';
import { type Failures, indicesOf, perRecord } from './batch.ts';

/** Something else that reacts to events (routing). It must be idempotent. */
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
  return completeDrafts(records.flatMap((r) => eventsOfChange(readChange(r))));
}

/** Drafts completed with their messages (one BatchGetItem) and, for replies out, their clients' accounts. */
async function completeDrafts(drafts: readonly EventDraft[]): Promise<ChatlinesEvent[]> {
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
export async function targetsOf(events: readonly ChatlinesEvent[]): Promise<DeliveryMessage[]> {
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
  const out: DeliveryMessage[] = [];
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

/** What the consumer made of a batch: its events, and the records that failed (index → error). */
export interface BatchOutcome {
  events: ChatlinesEvent[];
  failures: Failures;
}

/** The events of each record (record order), completed with their messages; failures pinned on records. */
export async function eventsPerRecord(records: readonly ChangeRecord[], failures: Failures): Promise<ChatlinesEvent[][]> {
  const drafts = records.map((record, i) => {
    try {
      return eventsOfChange(readChange(record));
    } catch (error) {
      failures.set(i, error);
      return [];
    }
  });
  const events: ChatlinesEvent[][] = records.map(() => []);
  const withEvents = indicesOf(records.length).filter((i) => drafts[i]!.length > 0);
  await perRecord(withEvents, failures, async (indices) => {
    const done = await completeDrafts(indices.flatMap((i) => drafts[i]!));
    let at = 0;
    for (const i of indices) {
      events[i] = done.slice(at, at + drafts[i]!.length);
      at += drafts[i]!.length;
    }
  });
  return events;
}

/**
 * Everything the consumer does with one batch of records, each failure pinned on the record
 * whose effects failed (the stream handler reports exactly those). The fan-outs run side by
 * side, each batched (see batch.ts): the bus, the handing of new deliveries to the delivery queue
 * (attempts happen there; a record whose deliveries the queue refused fails, so it is retried),
 * and the sinks (routing).
 */
export async function consumeRecords(records: readonly ChangeRecord[], bus: EventBus, queue: DeliveryQueue): Promise<BatchOutcome> {
  const failures: Failures = new Map();
  const perRecordEvents = await eventsPerRecord(records, failures);
  const all = indicesOf(records.length);
  const withEvents = all.filter((i) => perRecordEvents[i]!.length > 0);
  const eventsOf = (indices: readonly number[]) => indices.flatMap((i) => perRecordEvents[i]!);
  await Promise.all([
    perRecord(withEvents, failures, (indices) => bus.publish(eventsOf(indices))),
    perRecord(withEvents, failures, async (indices) => {
      const messages = await targetsOf(eventsOf(indices));
      if (messages.length > 0) await queue.enqueue(messages);
    }),
    ...sinks.map((sink) =>
      perRecord(sink.records ? all : withEvents, failures, (indices) =>
        sink.handle(
          eventsOf(indices),
          indices.map((i) => records[i]!),
        ),
      ),
    ),
  ]);
  return { events: all.flatMap((i) => (failures.has(i) ? [] : perRecordEvents[i]!)), failures };
}
