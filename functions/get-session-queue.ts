import { getSessionQueue as spec } from '../infra/routes/routing.ts';
import { route } from '../lib/http/handler.ts';
import { queuePosition } from '../lib/routing/queue.ts';

/** `GET /v1/sessions/{id}/queue`: a Waiting session's place in the queue and its expected wait. */
export const handler = route(spec, async ({ caller, params }) => ({ body: await queuePosition(caller, params.id) }));
