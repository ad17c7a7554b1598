/** Search over lines, channels, clients and sessions (issue 5). */
import type { RouteDefinition } from '../routes.ts';

export const searchRoutes: readonly RouteDefinition[] = [];
