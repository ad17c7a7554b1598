import { getVisitorQueue } from '../infra/routes/visitors.ts';
import { route } from '../lib/http/handler.ts';
import { requireVisitor } from '../lib/visitors/identity.ts';
import { visitorQueue } from '../lib/visitors/service.ts';
import type { VisitorClaims } from '../lib/visitors/token.ts';

/** `GET /v1/visitors/queue` (visitor token): position and expected wait while its session waits. */
export const handler = route(getVisitorQueue, async ({ principal }) => ({ body: await visitorQueue(principal as VisitorClaims) }), {
  authenticate: (header) => requireVisitor(header('authorization')),
});
