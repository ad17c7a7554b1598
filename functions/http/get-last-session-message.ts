import { route } from '../../lib/adapters/http/handler.ts';
import { lastSessionMessage } from '../../lib/app/sessions/operations.ts';
import { getLastSessionMessage } from '../../lib/contract/routes/sessions.ts';

/** `GET /v1/sessions/{id}/messages/last`: the newest message, 404 when there is none. */
export const handler = route(getLastSessionMessage, async ({ caller, params }) => ({ body: await lastSessionMessage(caller, params.id) }));
