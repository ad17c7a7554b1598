/**
 * Powertools logger, metrics and tracer, created once per function instance. Same code in
 * Lambda and in the local host; the local host turns EMF metrics off unless asked.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { importLazy } from './lazy.ts';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'chatlines';

export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'chatlines', serviceName });

/**
 * Powertools' own rule for "tracing on" (Tracer#setTracingEnabled): inside a Lambda execution
 * environment, not SAM or Amplify's mock, and POWERTOOLS_TRACE_ENABLED not `false`.
 */
export function tracingWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  const executionEnv = env.AWS_EXECUTION_ENV ?? '';
  return (
    executionEnv !== '' &&
    executionEnv !== 'AWS_Lambda_amplify-mock' &&
    (env.AWS_SAM_LOCAL ?? '') === '' &&
    (env.POWERTOOLS_TRACE_ENABLED ?? '').toLowerCase() !== 'false'
  );
}

/**
 * The tracer when tracing is on, else undefined. The tracer and the X-Ray SDK under it would be
 * ~110 KB of every bundle, so they are a lazy module (lib/adapters/lazy/tracing.ts), imported
 * only when wanted.
 */
async function loadTracer(): Promise<Tracer | undefined> {
  if (!tracingWanted()) return undefined;
  return (await importLazy<typeof import('./lazy/tracing.ts')>('tracing')).tracer;
}

export const tracer: Tracer | undefined = await loadTracer();

/** One metric per command outcome: `CommandOutcome` with dimensions operation and outcome. */
export function recordOutcome(operation: string, outcome: string): void {
  const single = metrics.singleMetric();
  single.addDimensions({ operation, outcome });
  single.addMetric('CommandOutcome', MetricUnit.Count, 1);
}
