/**
 * Powertools' Metrics (EMF, ~13 KB bundled), a lazy module (lib/adapters/lazy.ts): only the HTTP
 * functions record metrics, one per request after its work (lib/adapters/http/handler.ts starts
 * loading this when a request arrives), so no cold start parses it.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'chatlines',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'chatlines',
});

/** One metric per command outcome: `CommandOutcome` with dimensions operation and outcome. */
export function recordOutcome(operation: string, outcome: string): void {
  const single = metrics.singleMetric();
  single.addDimensions({ operation, outcome });
  single.addMetric('CommandOutcome', MetricUnit.Count, 1);
}
