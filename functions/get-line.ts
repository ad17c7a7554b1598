import { getLine } from '../infra/routes/core.ts';
import { route } from '../lib/http/handler.ts';
import { fetchLine } from '../lib/lines/lines.ts';

/** `GET /v1/lines/{id}`. */
export const handler = route(getLine, async ({ caller, params }) => ({ body: await fetchLine(caller, params.id) }));
