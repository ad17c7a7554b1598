/** Search over lines, channels, clients and sessions: four routes, one function. */

import { COLLECTIONS, type Collection, SearchRequest, SearchRequestBody, SearchResponse } from '../filter.ts';
import { named, type RouteSpec } from '../spec.ts';

const ITEM = { lines: 'Line', channels: 'Channel', clients: 'Client', sessions: 'Session' } as const;
const Request = named('SearchRequest', SearchRequest);

const searchRoute = <C extends Collection>(collection: C) =>
  ({
    method: 'POST',
    path: `/v1/${collection}/search`,
    function: 'search-objects',
    operation: `search-${collection}`,
    access: 'read',
    auth: true,
    // A search may read several index pages; keep it below the stage's default rate.
    throttle: { rate: 50, burst: 100 },
    summary: `Search ${collection} with the filter language; \`count: true\` adds the total.`,
    tag: 'search',
    readOnly: true,
    body: Request,
    parseBodyWith: SearchRequestBody,
    responses: { 200: { description: `A page of ${ITEM[collection]}s`, body: named(`${ITEM[collection]}SearchResponse`, SearchResponse[collection]) } },
    // 403: integrations may not search (lib/domain/auth/policy.ts requireSearcher).
    problems: [403],
  }) as const satisfies RouteSpec;

/** The four search routes by collection. */
export const searchSpecs = Object.fromEntries(COLLECTIONS.map((c) => [c, searchRoute(c)])) as { [C in Collection]: ReturnType<typeof searchRoute<C>> };

export const searchRoutes: readonly RouteSpec[] = COLLECTIONS.map((c) => searchSpecs[c]);
