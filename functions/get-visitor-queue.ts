import { route } from '../lib/http/handler.ts';
import { requireVisitor } from '../lib/visitors/identity.ts';
import { visitorQueue } from '../lib/visitors/service.ts';
import type { VisitorClaims } from '../lib/visitors/token.ts';

/** `GET /v1/visitors/queue` (visitor token): position and expected wait while its session waits. */
export const handler = route({
  operation: 'get-visitor-queue',
  auth: false,
  authenticate: (header) => requireVisitor(header('authorization')),
  run: async ({ principal }) => ({ status: 200, body: await visitorQueue(principal as VisitorClaims) }),
});
