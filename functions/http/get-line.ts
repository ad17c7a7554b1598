import { route } from '../../lib/adapters/http/handler.ts';
import { fetchLine } from '../../lib/app/lines/lines.ts';
import { getLine } from '../../lib/contract/routes/core.ts';

/** `GET /v1/lines/{id}`. */
export const handler = route(getLine, async ({ caller, params }) => ({ body: await fetchLine(caller, params.id) }));
