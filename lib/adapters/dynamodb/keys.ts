/**
 * Key builders of the single table. Every item's keys are computed here and nowhere else.
 *
 * Access patterns (each reached by a key or an index, never by a Scan):
 *
 * | # | Access pattern                                  | Index | Partition key                           | Sort key                                  |
 * |---|-------------------------------------------------|-------|-----------------------------------------|-------------------------------------------|
 * | 1 | line / channel / client / session by id         | table | `LINE#id` `CHANNEL#id` `CLIENT#id` `SESSION#id` | `#META`                          |
 * | 2 | a session's messages in order; the last one     | table | `SESSION#id`                            | `MSG#<message id: epoch ms-seq-rand>`      |
 * | 3 | lines by name                                   | gsi1  | `LINES`                                 | `<name>#<id>`                             |
 * | 4 | a line's channels                               | gsi2  | `LINE#line#CHANNELS`                    | `<createdAt>#<id>`                        |
 * | 5 | channels by state (then type)                   | gsi1  | `CHANNELS#STATE#<state>`                | `<type>#<createdAt>#<id>`                 |
 * | 6 | clients of a channel by username                | gsi1  | `CHANNEL#ch#CLIENTS[#<shard>]`          | `<username>#<id>`                         |
 * |6b | clients of a channel by age (default order)     | gsi2  | `CHANNEL#ch#CLIENTS[#<shard>]`          | `<createdAt>#<id>`                        |
 * | 7 | client by channel + account (unique)            | table | `CHANNEL#ch#ACCOUNT#<username>`         | `#GUARD`                                  |
 * | 8 | a line's sessions by state, by age              | gsi1  | `LINE#line#STATE#<state>[#<shard>]`     | `<createdAt>#<id>`                        |
 * | 9 | an operator's sessions, by age                  | gsi2  | `USER#user`                             | `<createdAt>#<id>`                        |
 * |9b | an operator's sessions that are not closed (sparse) | gsi7 | `USER#user#UNCLOSED`                 | `<createdAt>#<id>`                        |
 * |10 | a client's chain of sessions                    | gsi3  | `CLIENT#client`                         | `<createdAt>#<id>`                        |
 * |11 | a channel's sessions                            | gsi4  | `CHANNEL#ch#SESSIONS[#<shard>]`         | `<createdAt>#<id>`                        |
 * |11b| a line's sessions that are not closed (sparse)  | gsi6  | `LINE#line#UNCLOSED[#<shard>]`          | `<createdAt>#<id>`                        |
 * |12 | one open session per client and channel         | table | `OPEN#ch#client`                        | `#GUARD`                                  |
 * |12b| a blocked client's one spam session per channel  | table | `SPAM#ch#client`                        | `#GUARD`                                  |
 * |13 | sessions changed in an hour (metrics)           | gsi5  | `CHANGES#<yyyy-mm-ddThh>#<shard>`       | `<minute of the last change: max(updatedAt, lastActivityAt)>#<id>` |
 * |14 | operator presence and groups                    | table | `USER#user`                             | `#OPERATOR`                               |
 * |15 | idempotency record of a mutating request        | table | `IDEMPOTENCY#<caller>#<key>`            | `#IDEMPOTENCY`                            |
 * |16 | metric rollups: a series, periods in order      | table | `METRIC#<line>#<dim kind>:<dim value>`  | `<day|week|month>#<period start>`, `live#now` |
 * |17 | a session's metric contribution (metrics)       | table | `METRIC#SESSION#<session id>`           | `#CONTRIBUTION`                           |
 * |18 | the metrics aggregation watermark               | table | `METRIC#WATERMARK`                      | `#WATERMARK`                              |
 * |19 | a webhook subscription                          | table | `WEBHOOK#id`                            | `#META`                                   |
 * |20 | the subscriptions of a line (or of every line)  | gsi1  | `WEBHOOKS#LINE#<line id or *>`          | `<createdAt>#<id>`                        |
 * |21 | every subscription (GET /v1/webhooks)           | gsi2  | `WEBHOOKS`                              | `<createdAt>#<id>`                        |
 * |22 | a delivery of one event to one target          | table | `WEBHOOK#id#DELIVERY#<event id>`, `CHANNEL#id#DELIVERY#<event id>` | `#DELIVERY`    |
 * |23 | a target's deliveries, newest first             | gsi2  | `WEBHOOK#id#DELIVERIES[#<shard>]`, `CHANNEL#id#DELIVERIES[#<shard>]` | `<createdAt>#<event id>` |
 * |24 | deliveries due for an attempt (sparse)          | gsi1  | `DELIVERIES#DUE#<shard>`                | `<next attempt at>#<pk>`                  |
 * |25 | a channel's delivery endpoint and its secret    | table | `CHANNEL#id`                            | `#DELIVERY`                               |
 * |26 | a delivered message's session (status reports)  | table | `MESSAGE#<message id>`                  | `#REF`                                    |
 * |27 | the local stream poller's checkpoint per shard  | table | `STREAM#CHECKPOINT`                     | `<shard id>`                              |
 * |28 | a live event by id (resume: where to start)     | table | `EVENT#<event id>`                      | `#EVENT`                                  |
 * |29 | a line's live events of an hour, in order       | gsi1  | `EVENTS#<line>#<yyyy-mm-ddThh>[#<shard>]` | `<time>#<session or channel>#<seq, 10 digits>` |
 * |30 | a live connection (AWS WebSocket API)           | table | `LIVE#CONN#<connection id>`             | `#CONN`                                   |
 * |31 | the live connections of a line; admins' in one | table | `LIVE#LINE#<line id>`, `LIVE#ADMINS`    | `<connection id>`                         |
 * |32 | the online operators of a group (routing)       | table | `ONLINE#GROUP#<group>`                  | `<operator id>`                           |
 * |33 | running clocks due in a minute (timers)         | table | `DUE#<yyyy-mm-ddThh:mm>#<shard>`        | `<due time>#<session>#<policy>#<nonce>`   |
 * |34 | the timer sweeper's watermark                   | table | `DUE#WATERMARK`                         | `#WATERMARK`                              |
 * |35 | an inbound message by the messenger's own id (dedup) | table | `CHANNEL#ch#EXT#<external id>`   | `#GUARD`                                  |
 * |36 | a channel's messenger credentials (encrypted)   | table | `CHANNEL#id`                            | `#CREDENTIALS`                            |
 * |37 | a reply by the id the messenger gave it (statuses) | table | `CHANNEL#ch#OUT#<external id>`       | `#REF`                                    |
 * |38 | credentials being connected (Viber checks the hook first; expire in 10 min) | table | `CHANNEL#id` | `#CREDENTIALS#PENDING`       |
 * |39 | a response template by id                       | table | `TEMPLATE#<id>`                         | `#META`                                   |
 * |40 | a line's response templates, by shortcut        | gsi2  | `LINE#line#TEMPLATES`                   | `<shortcut>#<id>`                         |
 * |41 | a client's erasure (its progress, its event)    | table | `ERASURE#<client id>`                   | `#ERASURE`                                |
 * |42 | an inbox channel by its mail address (unique)   | table | `MAILADDRESS#<address, lower case>`     | `#GUARD`                                  |
 * |43 | a session's mail thread (the client's last mail) | table | `MAILTHREAD#<session>`                 | `#MAILTHREAD`                             |
 *
 * Hot partitions. One partition takes at most 1,000 write units and 3,000 read units
 * a second. The partitions every session of a line passes through — its state partitions (8),
 * its channel's (11), the unclosed index (11b), and its channel's clients (6, 6b: a new client
 * per session at worst) — are split into `lineShards()` shards (the deployment's `LINE_SHARDS`,
 * default 1: one shard sustains about 250 new sessions a second on one line); a session's or a
 * client's shard follows from its id. The partitions every event or change passes
 * through get more: the event log (29), the deliveries of a target (23) and the due deliveries
 * (24) `8 × lineShards()`,
 * the change index (13) and the due clocks (33) `4 × lineShards()`. Shard 0 keeps the
 * unsuffixed name. Readers read shards 0 … n−1 and merge by the sort key, so the count may
 * only grow (an item rewritten after a change moves to its new shard; one not rewritten is still
 * in a shard below the old count).
 */
import type { Channel, Client, Line, Session } from '../../contract/schemas.ts';
import type { IndexName } from './table.ts';

/** The index each access pattern of the table above reads (the indexes are defined in table.ts). */
export const INDEX = {
  /** Pattern 3. */
  linesByName: 'gsi1',
  /** Pattern 4. */
  lineChannels: 'gsi2',
  /** Pattern 5. */
  channelsByState: 'gsi1',
  /** Pattern 6. */
  channelClients: 'gsi1',
  /** Pattern 6b. */
  channelClientsByAge: 'gsi2',
  /** Pattern 8. */
  lineSessionsByState: 'gsi1',
  /** Pattern 9. */
  operatorSessions: 'gsi2',
  /** Pattern 9b. */
  operatorUnclosedSessions: 'gsi7',
  /** Pattern 10. */
  clientSessions: 'gsi3',
  /** Pattern 11. */
  channelSessions: 'gsi4',
  /** Pattern 11b. */
  lineUnclosedSessions: 'gsi6',
  /** Pattern 13. */
  changes: 'gsi5',
  /** Pattern 20. */
  lineWebhooks: 'gsi1',
  /** Pattern 21. */
  allWebhooks: 'gsi2',
  /** Pattern 23. */
  targetDeliveries: 'gsi2',
  /** Pattern 24. */
  dueDeliveries: 'gsi1',
  /** Pattern 29. */
  eventLog: 'gsi1',
  /** Pattern 40. */
  lineTemplates: 'gsi2',
} as const satisfies Record<string, IndexName>;

export const META = '#META';
export const GUARD = '#GUARD';

export const lineKey = (id: string) => ({ pk: `LINE#${id}`, sk: META });
export const channelKey = (id: string) => ({ pk: `CHANNEL#${id}`, sk: META });
export const clientKey = (id: string) => ({ pk: `CLIENT#${id}`, sk: META });
export const sessionKey = (id: string) => ({ pk: `SESSION#${id}`, sk: META });
/** The session id in a session's partition key. */
export const sessionIdOfKey = (pk: string) => pk.slice('SESSION#'.length);
export const operatorKey = (id: string) => ({ pk: `USER#${id}`, sk: '#OPERATOR' });
export const accountGuardKey = (channelId: string, username: string) => ({
  pk: `CHANNEL#${channelId}#ACCOUNT#${username}`,
  sk: GUARD,
});
export const openSessionGuardKey = (channelId: string, clientId: string) => ({
  pk: `OPEN#${channelId}#${clientId}`,
  sk: GUARD,
});
/** Where a blocked client's messages on a channel go: its one spam session there (pattern 12b). */
export const spamSessionGuardKey = (channelId: string, clientId: string) => ({
  pk: `SPAM#${channelId}#${clientId}`,
  sk: GUARD,
});
export const idempotencyKey = (caller: string, key: string) => ({
  pk: `IDEMPOTENCY#${caller}#${key}`,
  sk: '#IDEMPOTENCY',
});

export const MESSAGE_PREFIX = 'MSG#';
/** Sort key of a message: its id, which is time-ordered and unique (lib/domain/ids.ts). */
export const messageSortKey = (messageId: string): string => `${MESSAGE_PREFIX}${messageId}`;

/**
 * How many shards the hot partitions of a line have (see the table above): the deployment's
 * `LINE_SHARDS` (1 to 64; default 1), read on each call so a host and its tests agree.
 */
export function lineShards(): number {
  const n = Number(process.env.LINE_SHARDS ?? 1);
  return Number.isInteger(n) && n >= 1 && n <= 64 ? n : 1;
}
/** Shards of the partitions every event passes through (event log, a target's deliveries). */
export const eventShards = () => 8 * lineShards();
/** Shards of the change index's hours and of the due clocks' minutes. */
export const changeShards = () => 4 * lineShards();
/** A partition key with its shard: shard 0 keeps the plain name. */
export const sharded = (partition: string, shard: number) => (shard === 0 ? partition : `${partition}#${shard}`);
/** Every shard of a partition, shard 0 first. */
export const allShards = (partition: string, shards: number) => Array.from({ length: shards }, (_, i) => sharded(partition, i));

/** Hour bucket of a timestamp, `yyyy-mm-ddThh`. */
export const hourBucket = (iso: string) => iso.slice(0, 13);
/** A stable hash of an id (non-negative). */
export function idHash(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) | 0;
  return Math.abs(h);
}
/** Stable shard of an id among the change index's shards. */
const changeShard = (id: string): number => idHash(id) % changeShards();
/** Stable shard of a session (or of a channel's client) among its line's shards. */
export const lineShardOf = (id: string): number => idHash(id) % lineShards();

/**
 * The change index (gsi5) of a session: it follows the session's last change, so a metrics run
 * that reads the hours since its watermark sees every session whose figures may have moved —
 * a command (`__updatedAt`) or a new message (`_lastActivityAt`, see `appendMessages`). The sort
 * key holds the minute of the change, not the instant: the many changes of one minute leave the
 * index alone (an unchanged key is no index write), and a metrics run reads from the minute of
 * its start (`changesFrom`).
 */
export const changeIndexKeys = (sessionId: string, changedAt: string) => ({
  gsi5pk: changesPartition(hourBucket(changedAt), changeShard(sessionId)),
  gsi5sk: `${minuteBucket(changedAt)}#${sessionId}`,
});
/** Pattern 13: the sessions changed in an hour bucket (`yyyy-mm-ddThh`), one shard of it. */
export function changesPartition(hour: string, shard: number): string {
  return `CHANGES#${hour}#${shard}`;
}
/** Pattern 13: the lower sort-key bound of the changes at or after an instant (its minute). */
export const changesFrom = (iso: string) => minuteBucket(iso);
/**
 * Pattern 13: the change time in a change-index sort key (`<minute>#<id>`) as an ISO instant:
 * the start of that minute.
 */
export const changedAtOfSortKey = (sortKey: string): string => `${sortKey.slice(0, sortKey.lastIndexOf('#'))}:00.000Z`;
/** The later of a session's last command and its last message. */
const lastChangeAt = (session: Pick<Session, '__updatedAt' | '_lastActivityAt'>) =>
  session._lastActivityAt > session.__updatedAt ? session._lastActivityAt : session.__updatedAt;

/** A rollup of one series (line + dimension) and bucket (`day#2025-03-31`, `live#now`). */
export const metricRollupKey = (line: string, dimension: string, bucket: string) => ({
  pk: `METRIC#${line}#${dimension}`,
  sk: bucket,
});
/** What a session last added to the rollups (lib/app/metrics/aggregate.ts). */
export const metricContributionKey = (sessionId: string) => ({ pk: `METRIC#SESSION#${sessionId}`, sk: '#CONTRIBUTION' });
export const metricWatermarkKey = () => ({ pk: 'METRIC#WATERMARK', sk: '#WATERMARK' });

export const lineIndexKeys = (line: Line) => ({ gsi1pk: 'LINES', gsi1sk: `${line.__name}#${line.__id}` });

export const channelIndexKeys = (channel: Channel) => ({
  gsi1pk: `CHANNELS#STATE#${channel._state}`,
  gsi1sk: `${channel._type}#${channel.__createdAt}#${channel.__id}`,
  gsi2pk: `LINE#${channel._line}#CHANNELS`,
  gsi2sk: `${channel.__createdAt}#${channel.__id}`,
});

/**
 * Index keys of a client: by username on gsi1 (pattern 6) and by age on gsi2 (pattern 6b), so
 * a page of a channel's clients in the default order (newest first) reads about a page
 * instead of the whole channel.
 */
export const clientIndexKeys = (client: Client) => ({
  gsi1pk: sharded(channelClientsPartition(client._channel), lineShardOf(client.__id)),
  gsi1sk: `${client._username}#${client.__id}`,
  gsi2pk: sharded(channelClientsByAgePartition(client._channel), lineShardOf(client.__id)),
  gsi2sk: `${client.__createdAt}#${client.__id}`,
});

/**
 * Index keys of a session: its line and state (gsi1), its operator (gsi2, while it names one),
 * its first client (gsi3), its channel (gsi4), its last change (gsi5), and — while it is not
 * closed — its line's (gsi6) and its operator's (gsi7) unclosed sessions. The line-level
 * partitions carry the session's shard (`lineShardOf`).
 */
export function sessionIndexKeys(session: Session): Record<string, string> {
  const shard = lineShardOf(session.__id);
  const age = `${session.__createdAt}#${session.__id}`;
  const keys: Record<string, string> = {
    // Age order only: a page in creation order is one Query that stops early. Priority is
    // filtered and sorted in memory (queue order = sort by _priority, then __createdAt).
    gsi1pk: sharded(lineSessionsByStatePartition(session._line, session._state), shard),
    gsi1sk: age,
    gsi4pk: sharded(channelSessionsPartition(session._channel), shard),
    gsi4sk: age,
    ...changeIndexKeys(session.__id, lastChangeAt(session)),
  };
  const unclosed = session._state !== 'Closed';
  if (unclosed) {
    keys.gsi6pk = sharded(lineUnclosedPartition(session._line), shard);
    keys.gsi6sk = age;
  }
  if (session._userId) {
    keys.gsi2pk = operatorSessionsPartition(session._userId);
    keys.gsi2sk = age;
    if (unclosed) {
      keys.gsi7pk = operatorUnclosedPartition(session._userId);
      keys.gsi7sk = age;
    }
  }
  const firstClient = session._clients[0];
  if (firstClient) {
    keys.gsi3pk = clientSessionsPartition(firstClient);
    keys.gsi3sk = age;
  }
  return keys;
}

// ------------------------------------------------------------------------------------------
// The index partitions searches read (lib/adapters/dynamodb/planner.ts): the query side of the index keys
// above, patterns 3-6b and 8-11 of the table. They must build exactly what the item builders
// write; test/search/evaluate.test.ts checks that they agree.

/** Pattern 3: every line, by name. */
export const LINES_PARTITION = 'LINES';
/** Pattern 3: sort-key prefix of the lines with this exact name. */
export const lineNamePrefix = (name: string) => `${name}#`;
/** Pattern 4: a line's channels (gsi2). */
export const lineChannelsPartition = (lineId: string) => `LINE#${lineId}#CHANNELS`;
/** Pattern 5: channels in a state (gsi1); sort key prefix `<type>#`. */
export const channelsByStatePartition = (state: string) => `CHANNELS#STATE#${state}`;
/** Pattern 6: a channel's clients (gsi1); sort key prefix `<username>#`; shard 0 (a client's shard: `lineShardOf`). */
export const channelClientsPartition = (channelId: string) => `CHANNEL#${channelId}#CLIENTS`;
/** Pattern 6b: a channel's clients by age (gsi2, sort key `<createdAt>#<id>`); same partition key as pattern 6; shard 0. */
export const channelClientsByAgePartition = (channelId: string) => `CHANNEL#${channelId}#CLIENTS`;
/** Pattern 8: a line's sessions in one state (gsi1), in creation order; shard 0 (see `sharded`). */
export const lineSessionsByStatePartition = (lineId: string, state: string) => `LINE#${lineId}#STATE#${state}`;
/** Pattern 9: an operator's sessions (gsi2), in creation order. */
export const operatorSessionsPartition = (userId: string) => `USER#${userId}`;
/** Pattern 9b: an operator's sessions that are not closed (gsi7), in creation order. */
export const operatorUnclosedPartition = (userId: string) => `USER#${userId}#UNCLOSED`;
/** Pattern 11b: a line's sessions that are not closed (gsi6), in creation order; shard 0. */
export const lineUnclosedPartition = (lineId: string) => `LINE#${lineId}#UNCLOSED`;
/** Pattern 10: a client's chain of sessions (gsi3; indexed by the session's first client). */
export const clientSessionsPartition = (clientId: string) => `CLIENT#${clientId}`;
/** Pattern 11: a channel's sessions (gsi4); shard 0. */
export const channelSessionsPartition = (channelId: string) => `CHANNEL#${channelId}#SESSIONS`;

// ------------------------------------------------------------------------------------------
// Events out (lib/events, lib/webhooks): subscriptions, deliveries, channel endpoints.

export const webhookKey = (id: string) => ({ pk: `WEBHOOK#${id}`, sk: META });
/** Pattern 20: the subscriptions of one line; `null` = the ones for every line. */
export const lineWebhooksPartition = (lineId: string | null) => `WEBHOOKS#LINE#${lineId ?? '*'}`;
/** Pattern 21: every subscription. */
export const ALL_WEBHOOKS_PARTITION = 'WEBHOOKS';
export const webhookIndexKeys = (hook: { __id: string; __createdAt: string; line: string | null }) => ({
  gsi1pk: lineWebhooksPartition(hook.line),
  gsi1sk: `${hook.__createdAt}#${hook.__id}`,
  gsi2pk: ALL_WEBHOOKS_PARTITION,
  gsi2sk: `${hook.__createdAt}#${hook.__id}`,
});

/** Who a delivery goes to: a webhook subscription or a channel's messenger endpoint. */
export interface DeliveryTarget {
  kind: 'webhook' | 'channel';
  id: string;
}
const targetPrefix = (t: DeliveryTarget) => (t.kind === 'webhook' ? `WEBHOOK#${t.id}` : `CHANNEL#${t.id}`);
export const deliveryKey = (target: DeliveryTarget, eventId: string) => ({ pk: `${targetPrefix(target)}#DELIVERY#${eventId}`, sk: '#DELIVERY' });
/** Pattern 23: a target's deliveries, shard 0 (`eventShards()` shards by event id). */
const targetDeliveriesPartition = (target: DeliveryTarget) => `${targetPrefix(target)}#DELIVERIES`;
/** Pattern 23: every shard of a target's deliveries. */
export const targetDeliveriesPartitions = (target: DeliveryTarget) => allShards(targetDeliveriesPartition(target), eventShards());
/**
 * Shards of the due deliveries (pattern 24): every delivery enters the index when recorded and
 * leaves it with its outcome, so it carries every event's deliveries and is sharded like the
 * partitions every event passes through (it had 4 shards: the count only grows).
 */
export const deliveryShards = () => eventShards();
/** Pattern 24: the due index of a pending delivery (removed once delivered or failed). */
export const deliveryDueKeys = (pk: string, nextAttemptAt: string) => ({
  gsi1pk: deliveryDuePartition(idHash(pk) % deliveryShards()),
  gsi1sk: `${nextAttemptAt}#${pk}`,
});
export const deliveryDuePartition = (shard: number) => `DELIVERIES#DUE#${shard}`;
export const deliveryListKeys = (target: DeliveryTarget, createdAt: string, eventId: string) => ({
  gsi2pk: sharded(targetDeliveriesPartition(target), idHash(eventId) % eventShards()),
  gsi2sk: `${createdAt}#${eventId}`,
});

export const channelDeliveryKey = (channelId: string) => ({ pk: `CHANNEL#${channelId}`, sk: '#DELIVERY' });
export const messageRefKey = (messageId: string) => ({ pk: `MESSAGE#${messageId}`, sk: '#REF' });
/** An inbound message by the messenger's own id on a channel (pattern 35): written with the message, so a repeat adds nothing. */
export const externalIdGuardKey = (channelId: string, externalId: string) => ({ pk: `CHANNEL#${channelId}#EXT#${externalId}`, sk: GUARD });
/** A channel's messenger credentials and hook secret, encrypted (pattern 36). */
export const channelCredentialsKey = (channelId: string) => ({ pk: `CHANNEL#${channelId}`, sk: '#CREDENTIALS' });
/** Credentials being connected, kept for the messenger's check of the hook while it registers it (pattern 38; expires by itself). */
export const channelPendingCredentialsKey = (channelId: string) => ({ pk: `CHANNEL#${channelId}`, sk: '#CREDENTIALS#PENDING' });
/** A reply by the id the messenger gave it when it was sent (pattern 37): status callbacks name that id. */
export const outboundRefKey = (channelId: string, externalId: string) => ({ pk: `CHANNEL#${channelId}#OUT#${externalId}`, sk: '#REF' });
/** Pattern 42: the channel that has a mail address. */
export const mailAddressKey = (address: string) => ({ pk: `MAILADDRESS#${address.toLowerCase()}`, sk: GUARD });
/** Pattern 43: a session's mail thread: the client's last Message-ID and its References. */
export const mailThreadKey = (sessionId: string) => ({ pk: `MAILTHREAD#${sessionId}`, sk: '#MAILTHREAD' });
export const streamCheckpointKey = (shardId: string) => ({ pk: 'STREAM#CHECKPOINT', sk: shardId });

// ------------------------------------------------------------------------------------------
// Live push (lib/live): the event log that `resume` reads, and the AWS WebSocket connections.

/** Pattern 28: a logged event, by its id. */
export const eventLogKey = (eventId: string) => ({ pk: `EVENT#${eventId}`, sk: '#EVENT' });
/** Pattern 29: a line's logged events of one hour (`yyyy-mm-ddThh`), shard 0. */
const eventLogPartition = (lineId: string, hour: string) => `EVENTS#${lineId}#${hour}`;
/** Pattern 29: every shard of a line's logged events of one hour (a session's events share one). */
export const eventLogPartitions = (lineId: string, hour: string) => allShards(eventLogPartition(lineId, hour), eventShards());
/**
 * Pattern 29: the order of a line's events: time, then the session (or channel), then the
 * session's sequence zero-padded (so `.10` sorts after `.9`). Stable for a given event, so a
 * repeated write lands on the same key.
 */
export const eventLogSortKey = (event: { time: string; session: string | null; channel: string; sequence?: number | undefined }) =>
  `${event.time}#${event.session ?? event.channel}#${String(event.sequence ?? 0).padStart(10, '0')}`;
export const eventLogIndexKeys = (event: { time: string; line: string; session: string | null; channel: string; sequence?: number | undefined }) => ({
  gsi1pk: sharded(eventLogPartition(event.line, hourBucket(event.time)), idHash(event.session ?? event.channel) % eventShards()),
  gsi1sk: eventLogSortKey(event),
});

/** Pattern 30: one live WebSocket connection (AWS). */
export const liveConnectionKey = (connectionId: string) => ({ pk: `LIVE#CONN#${connectionId}`, sk: '#CONN' });
/** Pattern 31: the connections that may see a line's events; admins' connections in one partition. */
export const liveLinePartition = (lineId: string | 'admins') => (lineId === 'admins' ? 'LIVE#ADMINS' : `LIVE#LINE#${lineId}`);
export const liveLineConnectionKey = (lineId: string | 'admins', connectionId: string) => ({ pk: liveLinePartition(lineId), sk: connectionId });
// Routing (lib/routing): who is online in a group. One small item per (group, online operator),
// written and deleted with the operator's status; the counts stay on the operator item.

/** Pattern 32: the online-presence item of an operator in one of its groups. */
export const onlineMemberKey = (group: string, operatorId: string) => ({ pk: onlineGroupPartition(group), sk: operatorId });
/** Pattern 32: the online operators of a group (a table Query on this partition key). */
export const onlineGroupPartition = (group: string) => `ONLINE#GROUP#${group}`;
// Timers: one due item per running clock, in the partition of its due minute.

/** Shards of a minute's due clocks (`changeShards()`; the sweeper reads them all). */
export const timerShards = () => changeShards();
/** The shard of a session's due clocks. */
export const timerShardOf = (sessionId: string) => idHash(sessionId) % timerShards();
/** Minute bucket of a timestamp, `yyyy-mm-ddThh:mm`. */
export const minuteBucket = (iso: string) => iso.slice(0, 16);
/** Pattern 33: the due items of one minute, one shard of it. */
export const dueBucketPartition = (minute: string, shard: number) => `DUE#${minute}#${shard}`;
/** Pattern 33: the sort key of a clock's due item; unique per start of a clock (the nonce). */
const dueSortKey = (dueAt: string, sessionId: string, policy: string, nonce: string) => `${dueAt}#${sessionId}#${policy}#${nonce}`;
/** Pattern 33: the due time in a due item's sort key. */
export const dueAtOfSortKey = (sortKey: string) => sortKey.slice(0, sortKey.indexOf('#'));
/** Clocks named by their due items' sort keys (`ClockNaming` of lib/domain/timers/clocks.ts); `nonce` makes each start unique. */
export const dueClockNaming = (nonce: () => string) => ({
  name: (dueAt: string, sessionId: string, policy: string) => dueSortKey(dueAt, sessionId, policy, nonce()),
  dueAtOf: dueAtOfSortKey,
});
/** Pattern 33: the key of a due item, from its sort key alone (the partition follows from due time and session). */
export function dueItemKey(sortKey: string): { pk: string; sk: string } {
  const [dueAt = '', sessionId = ''] = sortKey.split('#');
  return { pk: dueBucketPartition(minuteBucket(dueAt), timerShardOf(sessionId)), sk: sortKey };
}
/** Pattern 33: every due item of a bucket due by `iso` sorts at or before this bound. */
export const dueUpTo = (iso: string) => `${iso}#\uffff`;
/** Pattern 34. */
export const timerWatermarkKey = () => ({ pk: 'DUE#WATERMARK', sk: '#WATERMARK' });
// Support operations: response templates, a client's erasure.

/** Pattern 39. */
export const templateKey = (id: string) => ({ pk: `TEMPLATE#${id}`, sk: META });
/** Pattern 40: a line's templates (gsi2), by shortcut. */
export const lineTemplatesPartition = (lineId: string) => `LINE#${lineId}#TEMPLATES`;
export const templateIndexKeys = (template: { __id: string; _line: string; _shortcut: string }) => ({
  gsi2pk: lineTemplatesPartition(template._line),
  gsi2sk: `${template._shortcut}#${template.__id}`,
});
/** Pattern 41. */
export const erasureKey = (clientId: string) => ({ pk: `ERASURE#${clientId}`, sk: '#ERASURE' });
