import { route } from '../../lib/adapters/http/handler.ts';
import { exportClient } from '../../lib/app/clients/privacy.ts';
import { exportClient as spec } from '../../lib/contract/routes/support.ts';

/** `GET /v1/clients/{id}/export`: an admin exports everything held about a client. */
export const handler = route(spec, async ({ caller, params, query }) => ({ body: await exportClient(caller, params.id, query.from) }));
