import { getHealth } from '../infra/routes/core.ts';
import { route } from '../lib/http/handler.ts';

/** `GET /v1/health`: liveness, no auth, no database. */
export const handler = route(getHealth, async () => ({ body: { status: 'ok', time: new Date().toISOString() } }));
