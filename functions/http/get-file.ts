import { route } from '../../lib/adapters/http/handler.ts';
import { staffFileLink } from '../../lib/app/files/files.ts';
import { getFile } from '../../lib/contract/routes/files.ts';

/** `GET /v1/files/{id}`: 302 to a short-lived pre-signed GET of a file the caller may see. */
export const handler = route(getFile, async ({ caller, params, query }) => {
  const link = await staffFileLink(caller, params.id);
  return query.redirect === 'false' ? { status: 200, body: link } : { status: 302, body: link, headers: { location: link.url } };
});
