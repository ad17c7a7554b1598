/**
 * Powertools logger, metrics and tracer, created once per function instance. Same code in
 * Lambda and in the local host; the local host turns EMF metrics off unless asked. The metrics
 * and the tracer are lazy modules (lib/adapters/lazy/): a function that logs carries neither.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { importLazy, loadOnce } from './lazy.ts';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'chatlines';

export const logger = new Logger({ serviceName });

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

type OutcomeRecorder = (operation: string, outcome: string) => void;

/**
 * The recorder of command outcomes (`CommandOutcome`, dimensions operation and outcome; the lazy
 * module lib/adapters/lazy/metrics.ts), imported on the first call: Powertools' Metrics is
 * ~13 KB of every HTTP bundle that no cold start needs to parse. A request starts loading it
 * when it arrives, so the import overlaps the request's own work.
 */
export const outcomeRecorder: () => Promise<OutcomeRecorder> = loadOnce(
  async () => (await importLazy<typeof import('./lazy/metrics.ts')>('metrics')).recordOutcome,
);
