/** The metrics API and the scheduled aggregation (issue 6). */
import { named, type RouteSpec } from '../../lib/http/spec.ts';
import { MetricsQuery, MetricsResponse } from '../../lib/metrics/schemas.ts';
import type { ScheduledFunctionDefinition } from '../routes.ts';

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
    description: 'Metrics aggregation: applies the sessions changed since the last run to the metric rollups (lib/metrics/aggregate.ts).',
  },
];
