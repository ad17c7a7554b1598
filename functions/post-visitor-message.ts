import { route } from '../lib/http/handler.ts';
import { requireVisitor } from '../lib/visitors/identity.ts';
import { VisitorMessageBody } from '../lib/visitors/schemas.ts';
import { postVisitorMessage } from '../lib/visitors/service.ts';

/** `POST /v1/visitors/messages` (visitor token): the visitor writes — an inbound message on its channel. */
export const handler = route({
  operation: 'post-visitor-message',
  auth: false,
  body: VisitorMessageBody,
  run: async ({ body, header }) => {
    const visitor = await requireVisitor(header('authorization'));
    const { created, ...answer } = await postVisitorMessage(visitor, body.body);
    return { status: created ? 201 : 200, body: answer };
  },
});
