import { route } from '../lib/http/handler.ts';
import { readMetrics } from '../lib/metrics/read.ts';
import { MetricsQuery } from '../lib/metrics/schemas.ts';

/** `GET /v1/metrics`: series from rollup items, read by key only (lib/metrics/read.ts). */
export const handler = route({
  operation: 'get-metrics',
  query: MetricsQuery,
  run: async ({ caller, query }) => ({ status: 200, body: await readMetrics(caller, query) }),
});
