/**
 * The Powertools tracer (and the X-Ray SDK under it), in a module of its own so that
 * observability.ts loads it only when tracing is on. The stack bundles this file beside each
 * function's index.mjs as `tracing.mjs` (infra/aws/chatlines-function.ts); a function with
 * tracing off never reads it.
 */
import { Tracer } from '@aws-lambda-powertools/tracer';

export const tracer = new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'chatlines', captureHTTPsRequests: false });
