import { listVisitorMessages } from '../infra/routes/visitors.ts';
import { route } from '../lib/http/handler.ts';
import { requireVisitor } from '../lib/visitors/identity.ts';
import { visitorMessages } from '../lib/visitors/service.ts';
import type { VisitorClaims } from '../lib/visitors/token.ts';

/** `GET /v1/visitors/messages` (visitor token): its newest session's client-visible messages. */
export const handler = route(listVisitorMessages, async ({ principal }) => ({ body: await visitorMessages(principal as VisitorClaims) }), {
  authenticate: (header) => requireVisitor(header('authorization')),
});
