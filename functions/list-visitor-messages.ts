import { route } from '../lib/http/handler.ts';
import { requireVisitor } from '../lib/visitors/identity.ts';
import { visitorMessages } from '../lib/visitors/service.ts';
import type { VisitorClaims } from '../lib/visitors/token.ts';

/** `GET /v1/visitors/messages` (visitor token): its newest session's client-visible messages. */
export const handler = route({
  operation: 'list-visitor-messages',
  auth: false,
  authenticate: (header) => requireVisitor(header('authorization')),
  run: async ({ principal }) => ({ status: 200, body: await visitorMessages(principal as VisitorClaims) }),
});
