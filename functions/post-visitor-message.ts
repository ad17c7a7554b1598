import { route } from '../lib/http/handler.ts';
import { requireVisitor } from '../lib/visitors/identity.ts';
import { VisitorMessageBody } from '../lib/visitors/schemas.ts';
import { postVisitorMessage } from '../lib/visitors/service.ts';
import type { VisitorClaims } from '../lib/visitors/token.ts';

/** `POST /v1/visitors/messages` (visitor token): the visitor writes — an inbound message on its channel. */
export const handler = route({
  operation: 'post-visitor-message',
  auth: false,
  authenticate: (header) => requireVisitor(header('authorization')),
  body: VisitorMessageBody,
  run: async ({ body, principal }) => {
    const { created, ...answer } = await postVisitorMessage(principal as VisitorClaims, body.body);
    return { status: created ? 201 : 200, body: answer };
  },
});
