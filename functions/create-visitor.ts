import { route } from '../lib/http/handler.ts';
import { visitorSecret } from '../lib/store/secrets.ts';
import { CreateVisitorBody } from '../lib/visitors/schemas.ts';
import { startVisitor } from '../lib/visitors/service.ts';

/** `POST /v1/visitors`: a visitor of a livechat channel gets its token (no staff auth; throttled per route). */
export const handler = route({
  operation: 'create-visitor',
  auth: false,
  body: CreateVisitorBody,
  run: async ({ body }) => ({ status: 201, body: await startVisitor(await visitorSecret(), body.channel) }),
});
