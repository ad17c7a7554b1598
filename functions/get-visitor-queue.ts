import { route } from '../lib/http/handler.ts';
import { requireVisitor } from '../lib/visitors/identity.ts';
import { visitorQueue } from '../lib/visitors/service.ts';

/** `GET /v1/visitors/queue` (visitor token): position and expected wait while its session waits. */
export const handler = route({
  operation: 'get-visitor-queue',
  auth: false,
  run: async ({ header }) => ({ status: 200, body: await visitorQueue(await requireVisitor(header('authorization'))) }),
});
