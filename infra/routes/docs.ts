/** The OpenAPI document (issue 7). */
import type { RouteDefinition } from '../routes.ts';

export const docsRoutes: readonly RouteDefinition[] = [];
