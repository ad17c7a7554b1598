/**
 * Powertools logger, metrics and tracer, created once per function instance. Same code in
 * Lambda and in the local host; the local host turns EMF metrics off unless asked.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'chatlines';

export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'chatlines', serviceName });
export const tracer = new Tracer({ serviceName, captureHTTPsRequests: false });

/** One metric per command outcome: `CommandOutcome` with dimensions operation and outcome. */
export function recordOutcome(operation: string, outcome: string): void {
  const single = metrics.singleMetric();
  single.addDimensions({ operation, outcome });
  single.addMetric('CommandOutcome', MetricUnit.Count, 1);
}
