import { route } from '../../lib/adapters/http/handler.ts';
import { getHealth } from '../../lib/contract/routes/core.ts';

/** `GET /v1/health`: liveness, no auth, no database. */
export const handler = route(getHealth, async () => ({ body: { status: 'ok', time: new Date().toISOString() } }));
