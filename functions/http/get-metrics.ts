import { route } from '../../lib/adapters/http/handler.ts';
import { readMetrics } from '../../lib/app/metrics/read.ts';
import { getMetrics } from '../../lib/contract/routes/metrics.ts';

/** `GET /v1/metrics`: series from rollup items, read by key only (lib/app/metrics/read.ts). */
export const handler = route(getMetrics, async ({ caller, query }) => ({ body: await readMetrics(caller, query) }));
