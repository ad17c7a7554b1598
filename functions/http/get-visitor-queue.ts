import { route } from '../../lib/adapters/http/handler.ts';
import { requireVisitor } from '../../lib/app/visitors/identity.ts';
import { visitorQueue } from '../../lib/app/visitors/service.ts';
import { getVisitorQueue } from '../../lib/contract/routes/visitors.ts';
import type { VisitorClaims } from '../../lib/contract/visitors.ts';

/** `GET /v1/visitors/queue` (visitor token): position and expected wait while its session waits. */
export const handler = route(getVisitorQueue, async ({ principal }) => ({ body: await visitorQueue(principal as VisitorClaims) }), {
  authenticate: (header) => requireVisitor(header('authorization')),
});
