import { getMetrics } from '../infra/routes/metrics.ts';
import { route } from '../lib/http/handler.ts';
import { readMetrics } from '../lib/metrics/read.ts';

/** `GET /v1/metrics`: series from rollup items, read by key only (lib/metrics/read.ts). */
export const handler = route(getMetrics, async ({ caller, query }) => ({ body: await readMetrics(caller, query) }));
