/**
 * The Powertools tracer (and the X-Ray SDK under it, ~124 KB bundled), a lazy module
 * (lib/adapters/lazy.ts): observability.ts imports it only when tracing is on, so a function
 * with tracing off never reads it.
 */
import { Tracer } from '@aws-lambda-powertools/tracer';

export const tracer = new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'chatlines', captureHTTPsRequests: false });
