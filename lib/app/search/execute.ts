/**
 * Runs a search: visibility, the plan, the reads (Query pages and key lookups through
 * lib/adapters/dynamodb/db.ts, each with ReturnConsumedCapacity), then the whole filter, order, `from` /
 * `size` and total in memory (lib/domain/search/evaluate.ts). The only part of search that touches
 * DynamoDB.
 *
 * Early stop: when every partition of the plan is ordered by `<createdAt>#<id>` and the search
 * wants that order (the default, newest first, or its reverse) without a total, the partitions
 * are read as streams, a page at a time, and merged; reading stops once `from + size` matches
 * are found. A page of 10 then costs the same whether the table holds a thousand sessions or
 * a hundred thousand. Otherwise every partition of the plan is read in full, then sorted.
 */

import { mapPool } from '../../adapters/concurrency.ts';
import { type Item, type QueryInput, type QueryPage, queryPages } from '../../adapters/dynamodb/db.ts';
import { type Entity, readChannel, readClient, readLine } from '../../adapters/dynamodb/items.ts';
import { INDEX, lineChannelsPartition } from '../../adapters/dynamodb/keys.ts';
import { allLines } from '../../adapters/dynamodb/lines.ts';
import { type KeyQuery, type Plan, planSearch } from '../../adapters/dynamodb/planner.ts';
import { readSession } from '../../adapters/dynamodb/sessions.ts';
import { keyAttributesOf } from '../../adapters/dynamodb/table.ts';
import type { Caller } from '../../contract/caller.ts';
import type { Collection, ParsedSearch, SearchPlanReport } from '../../contract/filter.ts';
import type { Line, Session } from '../../contract/schemas.ts';
import { canFindOnLine, canSeeLine, requireSearcher, searchesEveryLine } from '../../domain/auth/policy.ts';
import { comparator, evaluate, type Model, matches } from '../../domain/search/evaluate.ts';

export interface SearchOutcome {
  items: Model[];
  total?: number;
  plan: SearchPlanReport;
  /** Read capacity units DynamoDB reported for every request of this search. */
  consumedReadCapacity: number;
}

/** Largest page a stream asks for once it has grown. */
const MAX_PAGE = 1_000;
/** Partitions read at the same time. */
const PARALLEL_READS = 8;

const ENTITY: Record<Collection, Entity> = { lines: 'line', channels: 'channel', clients: 'client', sessions: 'session' };
const READ: Record<Collection, (item: Item) => Model> = {
  lines: readLine,
  channels: readChannel,
  clients: readClient,
  sessions: readSession,
};

/** Counters of one search. */
class Cost {
  queries = 0;
  itemsRead = 0;
  capacity = 0;
}

/** The Query of a key condition. */
function keyQuery(q: KeyQuery, options: { ascending: boolean }): QueryInput {
  const attrs = keyAttributesOf(q.index);
  const sk = q.skPrefix !== undefined ? q.skPrefix : q.skEquals;
  return {
    ...(q.index === 'table' ? { ConsistentRead: true } : { IndexName: q.index }),
    KeyConditionExpression:
      q.skPrefix !== undefined ? '#pk = :pk AND begins_with(#sk, :sk)' : q.skEquals !== undefined ? '#pk = :pk AND #sk = :sk' : '#pk = :pk',
    ExpressionAttributeNames: sk !== undefined ? { '#pk': attrs.pk, '#sk': attrs.sk } : { '#pk': attrs.pk },
    ExpressionAttributeValues: sk !== undefined ? { ':pk': q.pk, ':sk': sk } : { ':pk': q.pk },
    ScanIndexForward: options.ascending,
  };
}

/** Counts one page read in the search's cost. */
function count(cost: Cost, page: QueryPage): QueryPage {
  cost.queries += 1;
  cost.itemsRead += page.items.length;
  cost.capacity += page.consumedRead;
  return page;
}

/** Every item of a partition, page by page. */
async function readAll(cost: Cost, q: KeyQuery): Promise<Item[]> {
  const out: Item[] = [];
  for await (const page of queryPages(keyQuery(q, { ascending: false }))) out.push(...count(cost, page).items);
  return out;
}

/** One ordered partition read lazily: a page at a time, pages growing as they are used up. */
class Stream {
  buffer: Model[] = [];
  done = false;
  readonly #pages: AsyncGenerator<QueryPage>;
  constructor(
    readonly query: KeyQuery,
    private pageSize: number,
    ascending: boolean,
    private readonly read: (item: Item) => Model | undefined,
  ) {
    this.#pages = queryPages(keyQuery(query, { ascending }), () => {
      const size = this.pageSize;
      this.pageSize = Math.min(this.pageSize * 2, MAX_PAGE);
      return size;
    });
  }

  /** Fills the buffer until it holds an item or the partition is exhausted. */
  async fill(cost: Cost): Promise<void> {
    while (this.buffer.length === 0 && !this.done) {
      const next = await this.#pages.next();
      if (next.done) {
        this.done = true;
        return;
      }
      const page = count(cost, next.value);
      for (const item of page.items) {
        const model = this.read(item);
        if (model) this.buffer.push(model);
      }
      this.done = !page.lastKey;
    }
  }
}

/** Whether the search wants the order `<createdAt>#<id>` partitions hold (or its reverse), and no total. */
function wantsIndexOrder(search: ParsedSearch): { ascending: boolean } | undefined {
  const [first, second] = search.sort;
  if (search.count || !first || !second) return undefined;
  if (first.field !== '__createdAt' || second.field !== '__id' || first.ascending !== second.ascending) return undefined;
  return { ascending: first.ascending };
}

/**
 * Runs a checked search for a caller. Objects on lines the caller may not see are never
 * returned (nor counted).
 */
export async function runSearch(caller: Caller, search: ParsedSearch): Promise<SearchOutcome> {
  requireSearcher(caller);
  const cost = new Cost();
  const everyLine = searchesEveryLine(caller);
  // Non-admins: the lines they may see, read once per search (no cache, so a line created a
  // moment ago is found at once; lines are few, so this costs a request or two).
  let linesRead: Line[] | undefined;
  const lines = async () => (linesRead ??= await allLines((page) => count(cost, page)));
  const visible = everyLine ? undefined : new Map((await lines()).filter((l) => canSeeLine(caller, l)).map((l) => [l.__id, l]));

  const indexOrder = wantsIndexOrder(search);
  const plan = planSearch(search, { wantOrdered: indexOrder !== undefined });
  const report = (items: Model[], total?: number): SearchOutcome => ({
    items,
    ...(total !== undefined ? { total } : {}),
    plan: { type: plan.type, index: plan.index, queries: cost.queries, itemsRead: cost.itemsRead },
    consumedReadCapacity: Math.round(cost.capacity * 1000) / 1000,
  });
  if (plan.type === 'empty') return report([], search.count ? 0 : undefined);

  const queries = await resolveQueries(plan, cost, visible, lines);
  const seen = new Set<string>();
  const lineOf = (id: unknown) => (visible ? visible.get(id as string) : undefined);
  const findable = (model: Model): boolean => {
    if (everyLine) return true;
    if (search.collection === 'lines') return visible!.has(model.__id as string);
    const line = lineOf(model._line);
    return canFindOnLine(caller, line, search.collection === 'sessions' ? (model as unknown as Session) : undefined);
  };
  const entity = ENTITY[search.collection];
  const read = (item: Item): Model | undefined => {
    if (item.entity !== entity) return undefined;
    const model = READ[search.collection](item);
    // An erased client is a tombstone: no search finds it, whatever it asks (by id included).
    if (search.collection === 'clients' && model.__deletedAt) return undefined;
    const id = model.__id as string;
    if (seen.has(id)) return undefined; // overlapping prefixes (`in` over usernames) read an item twice
    seen.add(id);
    return findable(model) && matches(search.where, model) ? model : undefined;
  };

  const need = search.from + search.size;
  if (indexOrder && queries.every((q) => q.ordered)) {
    if (need === 0) return report([]);
    const compare = comparator(search.collection, search.sort);
    // One stream: exactly the page. Several: a share each, plus one to compare heads.
    const firstPage = Math.min(MAX_PAGE, queries.length === 1 ? need : Math.ceil(need / queries.length) + 1);
    const streams = queries.map((q) => new Stream(q, firstPage, indexOrder.ascending, read));
    await mapPool(streams, PARALLEL_READS, (s) => s.fill(cost));
    const found: Model[] = [];
    while (found.length < need) {
      let best: Stream | undefined;
      for (const s of streams) if (s.buffer.length && (!best || compare(s.buffer[0]!, best.buffer[0]!) < 0)) best = s;
      if (!best) break;
      found.push(best.buffer.shift()!);
      // The page is complete: refilling the stream just emptied would be a wasted request.
      if (found.length < need) await best.fill(cost);
    }
    return report(found.slice(search.from, need));
  }

  const pages = await mapPool(queries, PARALLEL_READS, (q) => readAll(cost, q));
  const candidates: Model[] = [];
  for (const page of pages)
    for (const item of page) {
      const model = read(item);
      if (model) candidates.push(model);
    }
  const result = evaluate(search, candidates);
  return report(result.items, result.total);
}

/** The key queries of a plan, with its per-line or per-channel enumeration resolved. */
async function resolveQueries(plan: Plan, cost: Cost, visible: Map<string, Line> | undefined, lines: () => Promise<Line[]>): Promise<KeyQuery[]> {
  const source = plan.source;
  if (source.over === 'keys') return source.queries;
  let lineIds: string[];
  if (source.lines === 'visible') lineIds = visible ? [...visible.keys()] : (await lines()).map((l) => l.__id);
  else lineIds = visible ? source.lines.filter((id) => visible.has(id)) : source.lines;
  if (source.over === 'lines') return source.queries(lineIds);
  const channelPages = await mapPool(lineIds, PARALLEL_READS, (l) => readAll(cost, { index: INDEX.lineChannels, pk: lineChannelsPartition(l), ordered: true }));
  const channelIds = channelPages
    .flat()
    .filter((i) => i.entity === 'channel')
    .map((i) => i.__id as string);
  return source.queries(channelIds);
}
