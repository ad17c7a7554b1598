import { route } from '../../lib/adapters/http/handler.ts';
import { fetchSession } from '../../lib/app/sessions/read.ts';
import { getSession } from '../../lib/contract/routes/core.ts';

/** `GET /v1/sessions/{id}`: one GetItem (the line comes from the instance's cache). */
export const handler = route(getSession, async ({ caller, params }) => {
  const { session } = await fetchSession(caller, params.id);
  // The version as an ETag: send it back as If-Match to make a command conditional on it.
  return { body: session, headers: { etag: `"${session._version}"` } };
});
