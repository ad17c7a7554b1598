import { route } from '../../lib/adapters/http/handler.ts';
import { requestVisitorUpload } from '../../lib/app/files/files.ts';
import { requireVisitor } from '../../lib/app/visitors/identity.ts';
import { createVisitorFile } from '../../lib/contract/routes/files.ts';
import type { VisitorClaims } from '../../lib/contract/visitors.ts';

/** `POST /v1/visitors/files` (visitor token): a pre-signed upload for the visitor's next message. */
export const handler = route(createVisitorFile, async ({ body, principal }) => ({ body: await requestVisitorUpload(principal as VisitorClaims, body) }), {
  authenticate: (header) => requireVisitor(header('authorization')),
});
