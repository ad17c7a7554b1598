import { type HttpHandler, route } from '../../lib/adapters/http/handler.ts';
import { json, problem } from '../../lib/adapters/http/problem.ts';
import { runSearch } from '../../lib/app/search/execute.ts';
import type { Caller } from '../../lib/contract/caller.ts';
import { COLLECTIONS, type Collection, collectionOfPath, parseSearch, type SearchRequestBody } from '../../lib/contract/filter.ts';
import { searchSpecs } from '../../lib/contract/routes/search.ts';

async function search(collection: Collection, caller: Caller, body: SearchRequestBody) {
  const outcome = await runSearch(caller, parseSearch(collection, body));
  const { plan } = outcome;
  return {
    body: { items: outcome.items, ...(outcome.total !== undefined ? { total: outcome.total } : {}), plan, consumedReadCapacity: outcome.consumedReadCapacity },
    headers: {
      'x-search-plan': `${plan.type}; index=${plan.index ?? 'none'}; queries=${plan.queries}`,
      'x-consumed-read-capacity': String(outcome.consumedReadCapacity),
    },
  };
}

const byCollection = Object.fromEntries(COLLECTIONS.map((c) => [c, route(searchSpecs[c], ({ caller, body }) => search(c, caller, body))])) as Record<
  Collection,
  HttpHandler
>;

/**
 * `POST /v1/{lines|channels|clients|sessions}/search`: one function for the four collections,
 * which it takes from the path; reads only (keys and indexes, never a Scan).
 */
export const handler: HttpHandler = async (event, context) => {
  const collection = collectionOfPath(event.rawPath ?? event.requestContext?.http?.path);
  if (!collection) return json(404, problem('not-found', `no search at ${event.rawPath}`));
  return byCollection[collection](event, context);
};
