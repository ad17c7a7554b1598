import { route } from '../../lib/adapters/http/handler.ts';
import { queuePosition } from '../../lib/app/routing/queue.ts';
import { getSessionQueue as spec } from '../../lib/contract/routes/routing.ts';

/** `GET /v1/sessions/{id}/queue`: a Waiting session's place in the queue and its expected wait. */
export const handler = route(spec, async ({ caller, params }) => ({ body: await queuePosition(caller, params.id) }));
