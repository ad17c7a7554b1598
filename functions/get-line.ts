import { route } from '../lib/http/handler.ts';
import { fetchLine } from '../lib/lines/lines.ts';
import { IdParams } from '../lib/model/schemas.ts';

/** `GET /v1/lines/{id}`. */
export const handler = route({
  operation: 'get-line',
  params: IdParams,
  run: async ({ caller, params }) => ({ status: 200, body: await fetchLine(caller, params.id) }),
});
