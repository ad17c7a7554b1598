import { route } from '../../lib/adapters/http/handler.ts';
import { markVisitorRead } from '../../lib/app/sessions/read-receipts.ts';
import { requireVisitor } from '../../lib/app/visitors/identity.ts';
import { markVisitorRead as spec } from '../../lib/contract/routes/reads.ts';
import type { VisitorClaims } from '../../lib/contract/visitors.ts';

/** `POST /v1/visitors/read` (visitor token): the visitor read the staff replies up to `upTo`. */
export const handler = route(
  spec,
  async ({ principal, body, idempotency }) => ({ body: await markVisitorRead(principal as VisitorClaims, body.upTo, (r) => idempotency({ body: r })) }),
  { authenticate: (header) => requireVisitor(header('authorization')) },
);
