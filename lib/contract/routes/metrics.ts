/** The metrics API and the scheduled aggregation. */

import { MetricsQuery, MetricsResponse } from '../metrics.ts';
import type { ScheduledFunctionDefinition } from '../spec.ts';
import { named, type RouteSpec } from '../spec.ts';

export const getMetrics = {
  method: 'GET',
  path: '/v1/metrics',
  function: 'get-metrics',
  access: 'read',
  auth: true,
  summary: 'Metric series of a line from the rollups.',
  tag: 'metrics',
  query: MetricsQuery,
  responses: { 200: { description: 'The series', body: named('MetricsResponse', MetricsResponse) } },
  problems: [403, 404],
} as const satisfies RouteSpec;

export const metricsRoutes: readonly RouteSpec[] = [getMetrics];

export const scheduledFunctions: readonly ScheduledFunctionDefinition[] = [
  {
    function: 'aggregate-metrics',
    access: 'write',
    description: 'Metrics aggregation: applies the sessions changed since the last run to the metric rollups (lib/app/metrics/aggregate.ts).',
  },
];
