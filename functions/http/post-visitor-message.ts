import { route } from '../../lib/adapters/http/handler.ts';
import { requireVisitor } from '../../lib/app/visitors/identity.ts';
import { postVisitorMessage as post } from '../../lib/app/visitors/post.ts';
import { postVisitorMessage } from '../../lib/contract/routes/visitors.ts';
import type { VisitorClaims } from '../../lib/contract/visitors.ts';

/** `POST /v1/visitors/messages` (visitor token): the visitor writes — an inbound message on its channel. */
export const handler = route(
  postVisitorMessage,
  async ({ body, principal }) => {
    const { created, ...answer } = await post(principal as VisitorClaims, body.body, body.files);
    return { status: created ? 201 : 200, body: answer };
  },
  { authenticate: (header) => requireVisitor(header('authorization')) },
);
