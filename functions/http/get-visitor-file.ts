import { route } from '../../lib/adapters/http/handler.ts';
import { visitorFileLink } from '../../lib/app/files/files.ts';
import { requireVisitor } from '../../lib/app/visitors/identity.ts';
import { getVisitorFile } from '../../lib/contract/routes/files.ts';
import type { VisitorClaims } from '../../lib/contract/visitors.ts';

/** `GET /v1/visitors/files/{id}` (visitor token): 302 to a pre-signed GET of a file of the visitor's own conversation. */
export const handler = route(
  getVisitorFile,
  async ({ params, query, principal }) => {
    const link = await visitorFileLink(principal as VisitorClaims, params.id);
    return query.redirect === 'false' ? { status: 200, body: link } : { status: 302, body: link, headers: { location: link.url } };
  },
  { authenticate: (header) => requireVisitor(header('authorization')) },
);
