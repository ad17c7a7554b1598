/** Search over lines, channels, clients and sessions (issue 5): four routes, one function. */
import type { RouteDefinition } from '../routes.ts';

export const searchRoutes: readonly RouteDefinition[] = (['lines', 'channels', 'clients', 'sessions'] as const).map((collection) => ({
  method: 'POST',
  path: `/v1/${collection}/search`,
  function: 'search-objects',
  access: 'read',
  auth: true,
  // A search may read several index pages; keep it below the stage's default rate.
  throttle: { rate: 50, burst: 100 },
}));
