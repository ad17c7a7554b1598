import { route } from '../../lib/adapters/http/handler.ts';
import { requireVisitor } from '../../lib/app/visitors/identity.ts';
import { rateVisitorSession as rate } from '../../lib/app/visitors/service.ts';
import { rateVisitorSession } from '../../lib/contract/routes/visitors.ts';
import type { VisitorClaims } from '../../lib/contract/visitors.ts';

/** `POST /v1/visitors/rating` (visitor token): the visitor rates its closed session, once. */
export const handler = route(rateVisitorSession, async ({ body, principal }) => ({ status: 201, body: await rate(principal as VisitorClaims, body) }), {
  authenticate: (header) => requireVisitor(header('authorization')),
});
