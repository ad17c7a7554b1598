import { route } from '../lib/http/handler.ts';

/** `GET /v1/health`: liveness, no auth, no database. */
export const handler = route({
  operation: 'get-health',
  auth: false,
  run: async () => ({ status: 200, body: { status: 'ok', time: new Date().toISOString() } }),
});
