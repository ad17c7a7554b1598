import { route } from '../lib/http/handler.ts';
import { IdParams } from '../lib/model/schemas.ts';
import { fetchSession } from '../lib/sessions/read.ts';

/** `GET /v1/sessions/{id}`: one GetItem (the line comes from the instance's cache). */
export const handler = route({
  operation: 'get-session',
  params: IdParams,
  run: async ({ caller, params }) => ({ status: 200, body: (await fetchSession(caller, params.id)).session }),
});
