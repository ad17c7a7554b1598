import { getLastSessionMessage } from '../infra/routes/sessions.ts';
import { route } from '../lib/http/handler.ts';
import { lastSessionMessage } from '../lib/sessions/operations.ts';

/** `GET /v1/sessions/{id}/messages/last`: the newest message, 404 when there is none. */
export const handler = route(getLastSessionMessage, async ({ caller, params }) => ({ body: await lastSessionMessage(caller, params.id) }));
