/**
 * The route manifest: every HTTP route of chatlines, the function file that serves it and
 * the table access it needs. Read by the CDK stack (one Lambda per entry, IAM grants from
 * `access`) and by the local host (serves exactly these routes). Add a route here and
 * nowhere else.
 */

/** `none`: no table access; `read`: read-only grants; `write`: read and write grants. */
export type TableAccess = 'none' | 'read' | 'write';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteDefinition {
  readonly method: HttpMethod;
  /** API Gateway path syntax: `/v1/sessions/{id}`. */
  readonly path: string;
  /** File under `functions/` without extension; exports `handler`. */
  readonly function: string;
  readonly access: TableAccess;
  /** false only for health and the OpenAPI document. */
  readonly auth: boolean;
}

export const routes = [
  { method: 'GET', path: '/v1/health', function: 'get-health', access: 'none', auth: false },
  { method: 'POST', path: '/v1/lines', function: 'create-line', access: 'write', auth: true },
  { method: 'GET', path: '/v1/lines/{id}', function: 'get-line', access: 'read', auth: true },
  { method: 'POST', path: '/v1/channels', function: 'create-channel', access: 'write', auth: true },
  { method: 'POST', path: '/v1/channels/{id}/inbound', function: 'receive-inbound-message', access: 'write', auth: true },
  { method: 'PUT', path: '/v1/operators/me/status', function: 'set-operator-status', access: 'write', auth: true },
  { method: 'POST', path: '/v1/sessions', function: 'create-session', access: 'write', auth: true },
  { method: 'GET', path: '/v1/sessions/{id}', function: 'get-session', access: 'read', auth: true },
] as const satisfies readonly RouteDefinition[];

/** Functions that are not routes: triggered by a schedule. */
export interface ScheduledFunctionDefinition {
  readonly function: string;
  readonly access: TableAccess;
  readonly description: string;
}
export const scheduledFunctions: readonly ScheduledFunctionDefinition[] = [];

/** `/v1/sessions/{id}` → `^/v1/sessions/(?<id>[^/]+)$` */
export function pathPattern(path: string): RegExp {
  const source = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, '(?<$1>[^/]+)');
  return new RegExp(`^${source}$`);
}
