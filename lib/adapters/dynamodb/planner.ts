/**
 * The search planner: turns a checked filter into the cheapest way to *read* its candidates —
 * a key lookup by id, Queries on the index partitions of the model's access patterns
 * (lib/adapters/dynamodb/keys.ts), or, when no key fits, a sweep of the collection's own enumeration
 * partitions restricted to the caller's lines. Pure: it names partitions, the executor reads
 * them. Whatever is read is then filtered by the whole filter in memory (lib/domain/search/evaluate.ts),
 * so a plan only has to be *complete* (every matching item lies in its partitions), never exact.
 *
 * Keys come only from top-level conjuncts (`and` members, or the filter itself): every match
 * satisfies them, so the union of their partitions holds every match.
 *
 * Never a Scan: a filter no key serves is a `sweep` — sessions: each visible line × state on
 * gsi1 (× the line's shards); channels: each visible line's gsi2; clients: each channel of the visible lines on
 * gsi1; lines: gsi1 `LINES`. It returns the right answer, costs what the caller's part of the
 * collection holds, and never reads other entities.
 */
import { LineChannelState, LineChannelType, LineSessionPriority, LineSessionState } from '../../contract/enums.ts';
import { type Collection, type FilterNode, MAX_LIST_VALUES, type ParsedSearch, type PlanType, type Scalar } from '../../contract/filter.ts';
import {
  allShards,
  channelClientsByAgePartition,
  channelClientsPartition,
  channelKey,
  channelSessionsPartition,
  channelsByStatePartition,
  clientKey,
  clientSessionsPartition,
  INDEX,
  LINES_PARTITION,
  lineChannelsPartition,
  lineKey,
  lineNamePrefix,
  lineSessionsByStatePartition,
  lineShards,
  lineUnclosedPartition,
  operatorSessionsPartition,
  operatorUnclosedPartition,
  sessionKey,
} from './keys.ts';
import type { IndexName } from './table.ts';

/** One key condition: a partition, optionally narrowed by a sort-key prefix or an exact sort key. */
export interface KeyQuery {
  index: IndexName | 'table';
  pk: string;
  skPrefix?: string;
  skEquals?: string;
  /**
   * The sort key after the prefix is `<createdAt>#<id>`: the partition returns items in the
   * default order (or its reverse), so a merge of such queries can stop early.
   */
  ordered: boolean;
}

/** Where the partitions come from. */
export type Source =
  | { over: 'keys'; queries: KeyQuery[] }
  /** One or more queries per line: the given lines, or every line the caller may see. */
  | { over: 'lines'; lines: string[] | 'visible'; queries: (lineIds: readonly string[]) => KeyQuery[] }
  /** One or more queries per channel of those lines (channels listed from gsi2). */
  | { over: 'channels'; lines: string[] | 'visible'; queries: (channelIds: readonly string[]) => KeyQuery[] };

export interface Plan {
  type: PlanType;
  /** The index the items are read from (`table` for `get`), null for `empty`. */
  index: IndexName | 'table' | null;
  source: Source;
}

export interface PlanOptions {
  /**
   * The search wants the default order (or its reverse) and no total: worth splitting a
   * partition by sort-key prefix into streams ordered by `createdAt` so reading can stop early.
   */
  wantOrdered: boolean;
}

/** Most streams a split for early stopping may make (each costs at least one request). */
export const MAX_ORDERED_STREAMS = 24;
/** Most key queries an index plan may make before a cheaper-looking plan is preferred. */
export const MAX_KEY_QUERIES = 200;

const SESSION_STATES = Object.values(LineSessionState) as string[];
const PRIORITIES: (string | null)[] = [...Object.values(LineSessionPriority), null];
const CHANNEL_STATES = Object.values(LineChannelState) as string[];
const CHANNEL_TYPES = Object.values(LineChannelType) as string[];

/** The members of a top-level `and` (nested `and`s flattened), or the filter itself. */
export function conjuncts(node: FilterNode | undefined): FilterNode[] {
  if (!node) return [];
  if (node.kind === 'and') return node.items.flatMap(conjuncts);
  return [node];
}

const intersect = (a: Set<Scalar> | undefined, b: Set<Scalar>) => (a ? new Set([...a].filter((x) => b.has(x))) : b);

/**
 * The values a scalar field can take in any match, from the conjuncts (`eq`, `in`, and for
 * enumerations `neq` / `not`), or undefined when the conjuncts leave it open.
 */
export function allowedValues(parts: FilterNode[], field: string, universe?: readonly Scalar[]): Set<Scalar> | undefined {
  let out: Set<Scalar> | undefined;
  for (const part of parts) {
    let negated = false;
    let node = part;
    if (node.kind === 'not' && node.item.kind === 'cond') {
      negated = true;
      node = node.item;
    }
    if (node.kind !== 'cond' || node.field !== field) continue;
    let set: Set<Scalar> | undefined;
    let op = node.op;
    if (negated) {
      if (op === 'eq') op = 'neq';
      else if (op === 'neq') op = 'eq';
      else if (op === 'in' && universe) {
        const excluded = new Set(node.value as Scalar[]);
        set = new Set(universe.filter((v) => !excluded.has(v)));
        out = intersect(out, set);
        continue;
      } else continue;
    }
    if (op === 'eq') set = new Set([node.value as Scalar]);
    else if (op === 'in') set = new Set(node.value as Scalar[]);
    else if (op === 'neq' && universe) set = new Set(universe.filter((v) => v !== node.value));
    if (set) out = intersect(out, set);
  }
  return out;
}

/**
 * Ids a matching item's array field must contain one of: the smallest set among `eq c`,
 * `in [cs]` and `all [c, …]` (whose first value alone suffices) conjuncts.
 */
export function requiredElements(parts: FilterNode[], field: string): string[] | undefined {
  let best: string[] | undefined;
  for (const node of parts) {
    if (node.kind !== 'cond' || node.field !== field) continue;
    let set: string[] | undefined;
    if (node.op === 'eq') set = [node.value as string];
    else if (node.op === 'in') set = [...new Set(node.value as string[])];
    else if (node.op === 'all' && (node.value as string[]).length > 0) set = [(node.value as string[])[0]!];
    if (set && (!best || set.length < best.length)) best = set;
  }
  return best;
}

const strings = (set: Set<Scalar> | undefined) => (set ? ([...set].filter((v) => typeof v === 'string') as string[]) : undefined);
const hasNull = (set: Set<Scalar> | undefined) => set?.has(null) ?? false;

const EMPTY: Plan = { type: 'empty', index: null, source: { over: 'keys', queries: [] } };
const keysPlan = (type: PlanType, index: IndexName | 'table', queries: KeyQuery[]): Plan => ({
  type,
  index,
  source: { over: 'keys', queries },
});

const BY_ID: Record<Collection, (id: string) => { pk: string; sk: string }> = {
  lines: lineKey,
  channels: channelKey,
  clients: clientKey,
  sessions: sessionKey,
};

/** The cheapest plan for a search. */
export function planSearch(search: ParsedSearch, options: PlanOptions): Plan {
  const parts = conjuncts(search.where);
  const ids = allowedValues(parts, '__id');
  if (ids) {
    const list = strings(ids)!;
    if (list.length === 0) return EMPTY;
    if (list.length <= MAX_LIST_VALUES) {
      return keysPlan(
        'get',
        'table',
        list.map((id) => {
          const key = BY_ID[search.collection](id);
          return { index: 'table', pk: key.pk, skEquals: key.sk, ordered: false };
        }),
      );
    }
  }
  switch (search.collection) {
    case 'sessions':
      return planSessions(parts);
    case 'channels':
      return planChannels(parts);
    case 'clients':
      return planClients(parts, options);
    case 'lines':
      return planLines(parts);
  }
}

function planSessions(parts: FilterNode[]): Plan {
  const states = allowedValues(parts, '_state', SESSION_STATES);
  const priorities = allowedValues(parts, '_priority', PRIORITIES);
  const lines = allowedValues(parts, '_line');
  const channels = allowedValues(parts, '_channel');
  const users = allowedValues(parts, '_userId');
  if ([states, priorities, lines, channels, users].some((s) => s && s.size === 0)) return EMPTY;

  const stateList = strings(states) ?? SESSION_STATES;
  const statesNarrowed = stateList.length < SESSION_STATES.length;
  const prioritiesNarrowed = priorities !== undefined && PRIORITIES.some((p) => !priorities.has(p));

  // A client's sessions (gsi3): the most selective key a session has after its id.
  const clients = requiredElements(parts, '_clients');
  if (clients && clients.length <= MAX_KEY_QUERIES) {
    return keysPlan(
      'query',
      INDEX.clientSessions,
      clients.map((c) => ({ index: INDEX.clientSessions, pk: clientSessionsPartition(c), ordered: true })),
    );
  }

  // A filter that admits only states other than Closed reads the sparse "unclosed" indexes:
  // the seed's open sessions of a line (`_state != Closed`) are one Query per page and shard.
  const unclosedOnly = statesNarrowed && !stateList.includes('Closed');

  // An operator's sessions: one partition in creation order (gsi2), or only its unclosed ones (gsi7).
  if (users && !hasNull(users)) {
    const queries: KeyQuery[] = strings(users)!.map((u) =>
      unclosedOnly
        ? { index: INDEX.operatorUnclosedSessions, pk: operatorUnclosedPartition(u), ordered: true }
        : { index: INDEX.operatorSessions, pk: operatorSessionsPartition(u), ordered: true },
    );
    if (queries.length <= MAX_KEY_QUERIES) return keysPlan('query', queries[0]!.index as IndexName, queries);
  }

  // A line's sessions: by state (gsi1), or its unclosed ones (gsi6) when several such states
  // are asked for; each partition in creation order (so a page stops early) and split into the
  // line's shards; a priority filter is applied to what the partitions return.
  const shards = lineShards();
  const byLineState = (lineIds: readonly string[]): KeyQuery[] =>
    unclosedOnly && stateList.length > 1
      ? lineIds.flatMap((l) => allShards(lineUnclosedPartition(l), shards).map((pk): KeyQuery => ({ index: INDEX.lineUnclosedSessions, pk, ordered: true })))
      : lineIds.flatMap((l) =>
          stateList.flatMap((s) =>
            allShards(lineSessionsByStatePartition(l, s), shards).map((pk): KeyQuery => ({ index: INDEX.lineSessionsByState, pk, ordered: true })),
          ),
        );
  const lineIndex = unclosedOnly && stateList.length > 1 ? INDEX.lineUnclosedSessions : INDEX.lineSessionsByState;
  const lineList = strings(lines);
  const perLine = unclosedOnly && stateList.length > 1 ? shards : stateList.length * shards;
  if (lineList && (statesNarrowed || prioritiesNarrowed) && lineList.length * perLine <= MAX_KEY_QUERIES) {
    return keysPlan('query', lineIndex, byLineState(lineList));
  }
  // A channel's sessions (gsi4), in its shards.
  const channelList = strings(channels);
  if (channelList && channelList.length * shards <= MAX_KEY_QUERIES) {
    return keysPlan(
      'query',
      INDEX.channelSessions,
      channelList.flatMap((c) => allShards(channelSessionsPartition(c), shards).map((pk): KeyQuery => ({ index: INDEX.channelSessions, pk, ordered: true }))),
    );
  }
  if (lineList && lineList.length * perLine <= MAX_KEY_QUERIES) {
    return keysPlan('query', lineIndex, byLineState(lineList));
  }
  // Sessions in some states (or priorities) of every visible line: still read by key, only
  // the partitions of those states.
  return {
    type: statesNarrowed || prioritiesNarrowed ? 'query' : 'sweep',
    index: lineIndex,
    source: { over: 'lines', lines: lineList ?? 'visible', queries: byLineState },
  };
}

function planChannels(parts: FilterNode[]): Plan {
  const states = allowedValues(parts, '_state', CHANNEL_STATES);
  const types = allowedValues(parts, '_type', CHANNEL_TYPES);
  const lines = allowedValues(parts, '_line');
  if ([states, types, lines].some((s) => s && s.size === 0)) return EMPTY;
  const stateList = strings(states) ?? CHANNEL_STATES;
  const lineList = strings(lines);
  const lineChannels = (lineIds: readonly string[]) => lineIds.map((l) => ({ index: INDEX.lineChannels, pk: lineChannelsPartition(l), ordered: true }));

  // A line's channels (gsi2): a handful of items.
  if (lineList && lineList.length <= MAX_KEY_QUERIES) return keysPlan('query', INDEX.lineChannels, lineChannels(lineList));
  // Channels by state and type (gsi1 `CHANNELS#STATE#s`, sort key `<type>#<createdAt>#<id>`).
  const typeList = strings(types);
  if (typeList && typeList.length < CHANNEL_TYPES.length) {
    return keysPlan(
      'query',
      INDEX.channelsByState,
      stateList.flatMap((s) => typeList.map((t) => ({ index: INDEX.channelsByState, pk: channelsByStatePartition(s), skPrefix: `${t}#`, ordered: true }))),
    );
  }
  if (stateList.length < CHANNEL_STATES.length) {
    return keysPlan(
      'query',
      INDEX.channelsByState,
      stateList.map((s) => ({ index: INDEX.channelsByState, pk: channelsByStatePartition(s), ordered: false })),
    );
  }
  return { type: 'sweep', index: INDEX.lineChannels, source: { over: 'lines', lines: 'visible', queries: lineChannels } };
}

function planClients(parts: FilterNode[], { wantOrdered }: PlanOptions): Plan {
  const channels = allowedValues(parts, '_channel');
  const names = allowedValues(parts, '_username');
  const lines = allowedValues(parts, '_line');
  if ([channels, names, lines].some((s) => s && s.size === 0)) return EMPTY;
  const nameList = strings(names);
  // A channel's clients are split into the line shards (lib/adapters/dynamodb/keys.ts), like its sessions.
  const shards = lineShards();
  const clientsOf = (channelIds: readonly string[]): KeyQuery[] =>
    channelIds.flatMap((ch) =>
      allShards(channelClientsPartition(ch), shards).flatMap((pk): KeyQuery[] =>
        nameList
          ? nameList.map((n) => ({ index: INDEX.channelClients, pk, skPrefix: `${n}#`, ordered: false }))
          : [{ index: INDEX.channelClients, pk, ordered: false }],
      ),
    );
  const channelList = strings(channels);
  // Clients of a channel in the default order (gsi2 `CHANNEL#ch#CLIENTS`, `<createdAt>#<id>`):
  // ordered streams, so a page stops early instead of reading the whole channel.
  if (channelList && !nameList && wantOrdered && channelList.length * shards <= MAX_ORDERED_STREAMS) {
    return keysPlan(
      'query',
      INDEX.channelClientsByAge,
      channelList.flatMap((ch) =>
        allShards(channelClientsByAgePartition(ch), shards).map((pk): KeyQuery => ({ index: INDEX.channelClientsByAge, pk, ordered: true })),
      ),
    );
  }
  // Clients of a channel, by username when given (gsi1 `CHANNEL#ch#CLIENTS`, `<username>#<id>`).
  if (channelList && channelList.length * shards * (nameList?.length ?? 1) <= MAX_KEY_QUERIES) {
    return keysPlan('query', INDEX.channelClients, clientsOf(channelList));
  }
  // By username without a channel: the username prefix in each channel of the caller's lines.
  return {
    type: nameList ? 'query' : 'sweep',
    index: INDEX.channelClients,
    source: { over: 'channels', lines: strings(lines) ?? 'visible', queries: clientsOf },
  };
}

function planLines(parts: FilterNode[]): Plan {
  const names = allowedValues(parts, '__name');
  if (names && names.size === 0) return EMPTY;
  const nameList = strings(names);
  if (nameList) {
    return keysPlan(
      'query',
      INDEX.linesByName,
      nameList.map((n) => ({ index: INDEX.linesByName, pk: LINES_PARTITION, skPrefix: lineNamePrefix(n), ordered: false })),
    );
  }
  return keysPlan('sweep', INDEX.linesByName, [{ index: INDEX.linesByName, pk: LINES_PARTITION, ordered: false }]);
}
