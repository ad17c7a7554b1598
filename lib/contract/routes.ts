/**
 * The route manifest: every HTTP route of chatlines as one operation spec (lib/contract/spec.ts):
 * method, path, function file, table access, auth, throttle, the zod schemas of its params,
 * query and body, its success responses and problem statuses. Read by the CDK stack (one
 * Lambda per function file, the authorizer from `auth`, route throttles), by the local host
 * (serves exactly these routes), by `route()` (each function passes its spec and supplies only
 * `run`) and by the OpenAPI generator. Add a route here (in its area's fragment under
 * lib/contract/routes/), in its function file and, for a new function file, its grant in
 * infra/grants.ts (test/infra/grants.test.ts says what it calls).
 *
 * Adding a route, in the fragment of its area:
 *
 * ```ts
 * export const closeChannel = {
 *   method: 'POST', path: '/v1/channels/{id}/close', function: 'close-channel', access: 'write', auth: true,
 *   summary: 'Close a channel.', tag: 'channels',
 *   params: IdParams,                                   // zod schemas; also `query`, `body: named('Name', Schema)`
 *   responses: { 200: { description: 'The channel after the change', body: Channel } },
 *   problems: [403, 404, 409],                          // besides 400/401/409-idempotency/413/429/500/503
 * } as const satisfies RouteSpec;
 * ```
 *
 * list it in the fragment's array, and write `functions/close-channel.ts`:
 *
 * ```ts
 * export const handler = route(closeChannel, async ({ caller, params, idempotency }) => ({
 *   body: await closeChannelOf(caller, params.id, (c) => idempotency({ body: c })),
 * }));
 * ```
 */

import { coreRoutes } from './routes/core.ts';
import { docsRoutes } from './routes/docs.ts';
import { eventRoutes, eventScheduledFunctions } from './routes/events.ts';
import { fileRoutes } from './routes/files.ts';
import { hookRoutes } from './routes/hooks.ts';
import { metricsRoutes, scheduledFunctions as metricsScheduledFunctions } from './routes/metrics.ts';
import { readRoutes } from './routes/reads.ts';
import { routingRoutes } from './routes/routing.ts';
import { searchRoutes } from './routes/search.ts';
import { sessionRoutes } from './routes/sessions.ts';
import { supportRoutes } from './routes/support.ts';
import { scheduledFunctions as timerScheduledFunctions } from './routes/timers.ts';
import { visitorRoutes } from './routes/visitors.ts';
import type { RouteSpec, ScheduledFunctionDefinition } from './spec.ts';

export type { HttpMethod, RouteSpec, ScheduledFunctionDefinition, StreamFunctionDefinition, TableAccess } from './spec.ts';
/** A manifest entry is an operation spec. */
export type RouteDefinition = RouteSpec;

/**
 * Every route. The list is kept in fragments by area (lib/contract/routes/*.ts) so that areas can grow
 * independently; this concatenation is the manifest both hosts read.
 */
export const routes: readonly RouteSpec[] = [
  ...coreRoutes,
  ...sessionRoutes,
  ...searchRoutes,
  ...metricsRoutes,
  ...eventRoutes,
  ...routingRoutes,
  ...docsRoutes,
  ...visitorRoutes,
  ...supportRoutes,
  ...hookRoutes,
  ...fileRoutes,
  ...readRoutes,
];

/** Every scheduled function, by area. */
export const scheduledFunctions: readonly ScheduledFunctionDefinition[] = [
  ...metricsScheduledFunctions,
  ...eventScheduledFunctions,
  ...timerScheduledFunctions,
];
export { streamFunctions } from './routes/events.ts';

/** `/v1/sessions/{id}` → `^/v1/sessions/(?<id>[^/]+)$` */
export function pathPattern(path: string): RegExp {
  const source = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, '(?<$1>[^/]+)');
  return new RegExp(`^${source}$`);
}
