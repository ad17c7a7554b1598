import { route } from '../lib/http/handler.ts';
import { requireVisitor } from '../lib/visitors/identity.ts';
import { visitorMessages } from '../lib/visitors/service.ts';

/** `GET /v1/visitors/messages` (visitor token): its newest session's client-visible messages. */
export const handler = route({
  operation: 'list-visitor-messages',
  auth: false,
  run: async ({ header }) => ({ status: 200, body: await visitorMessages(await requireVisitor(header('authorization'))) }),
});
