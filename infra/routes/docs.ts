/** The OpenAPI document (issue 7). */
import type { RouteDefinition } from '../routes.ts';

export const docsRoutes: readonly RouteDefinition[] = [
  { method: 'GET', path: '/v1/openapi.json', function: 'get-openapi', access: 'none', auth: false },
];
