import { route } from '../../lib/adapters/http/handler.ts';
import { lineOperators } from '../../lib/app/routing/online.ts';
import { listLineOperators as spec } from '../../lib/contract/routes/routing.ts';

/** `GET /v1/lines/{id}/operators`: who is online on a line, and how loaded. */
export const handler = route(spec, async ({ caller, params }) => ({ body: { items: await lineOperators(caller, params.id) } }));
