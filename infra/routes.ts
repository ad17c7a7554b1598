/**
 * The route manifest: every HTTP route of chatlines, the function file that serves it and
 * the table access it needs. Read by the CDK stack (one Lambda per entry, IAM grants from
 * `access`) and by the local host (serves exactly these routes). Add a route here and
 * nowhere else.
 */

/** `none`: no table access; `read`: read-only grants; `write`: read and write grants. */
export type TableAccess = 'none' | 'read' | 'write';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

import { coreRoutes } from './routes/core.ts';
import { docsRoutes } from './routes/docs.ts';
import { eventRoutes } from './routes/events.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { searchRoutes } from './routes/search.ts';
import { sessionRoutes } from './routes/sessions.ts';
import { visitorRoutes } from './routes/visitors.ts';

export interface RouteDefinition {
  readonly method: HttpMethod;
  /** API Gateway path syntax: `/v1/sessions/{id}`. */
  readonly path: string;
  /** File under `functions/` without extension; exports `handler`. */
  readonly function: string;
  readonly access: TableAccess;
  /** false only for health and the OpenAPI document. */
  readonly auth: boolean;
  /**
   * A per-route limit tighter than the stage's default (requests per second, burst): set on
   * routes that are rare by nature (configuration) or costly (search).
   */
  readonly throttle?: { readonly rate: number; readonly burst: number };
  /**
   * Visitor routes of the web-chat widget (with `auth: false`: no JWT authorizer): `open` takes
   * no token (a visitor starts there), `token` needs a visitor token the function verifies.
   */
  readonly visitor?: 'open' | 'token';
}

/**
 * Every route. The list is kept in fragments by area (infra/routes/*.ts) so that areas can grow
 * independently; this concatenation is the manifest both hosts read.
 */
export const routes: readonly RouteDefinition[] = [
  ...coreRoutes,
  ...sessionRoutes,
  ...searchRoutes,
  ...metricsRoutes,
  ...eventRoutes,
  ...docsRoutes,
  ...visitorRoutes,
];

/** Functions that are not routes: triggered by a schedule. */
export interface ScheduledFunctionDefinition {
  readonly function: string;
  readonly access: TableAccess;
  readonly description: string;
}
export { scheduledFunctions } from './routes/metrics.ts';

/** `/v1/sessions/{id}` → `^/v1/sessions/(?<id>[^/]+)$` */
export function pathPattern(path: string): RegExp {
  const source = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, '(?<$1>[^/]+)');
  return new RegExp(`^${source}$`);
}
