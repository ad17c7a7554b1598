import { listLineOperators as spec } from '../infra/routes/routing.ts';
import { route } from '../lib/http/handler.ts';
import { lineOperators } from '../lib/routing/online.ts';

/** `GET /v1/lines/{id}/operators`: who is online on a line, and how loaded. */
export const handler = route(spec, async ({ caller, params }) => ({ body: { items: await lineOperators(caller, params.id) } }));
