import { route } from '../../lib/adapters/http/handler.ts';
import { requireVisitor } from '../../lib/app/visitors/identity.ts';
import { visitorMessages } from '../../lib/app/visitors/service.ts';
import { listVisitorMessages } from '../../lib/contract/routes/visitors.ts';
import type { VisitorClaims } from '../../lib/contract/visitors.ts';

/** `GET /v1/visitors/messages` (visitor token): its newest session's client-visible messages. */
export const handler = route(listVisitorMessages, async ({ principal }) => ({ body: await visitorMessages(principal as VisitorClaims) }), {
  authenticate: (header) => requireVisitor(header('authorization')),
});
