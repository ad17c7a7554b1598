/** The metrics API and the scheduled aggregation (issue 6). */
import type { RouteDefinition, ScheduledFunctionDefinition } from '../routes.ts';

export const metricsRoutes: readonly RouteDefinition[] = [
  { method: 'GET', path: '/v1/metrics', function: 'get-metrics', access: 'read', auth: true },
];

export const scheduledFunctions: readonly ScheduledFunctionDefinition[] = [
  {
    function: 'aggregate-metrics',
    access: 'write',
    description: 'Metrics aggregation: applies the sessions changed since the last run to the metric rollups (lib/metrics/aggregate.ts).',
  },
];
