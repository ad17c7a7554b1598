import { createVisitor } from '../infra/routes/visitors.ts';
import { route } from '../lib/http/handler.ts';
import { visitorSecret } from '../lib/store/secrets.ts';
import { startVisitor } from '../lib/visitors/service.ts';

/** `POST /v1/visitors`: a visitor of a livechat channel gets its token (no staff auth; throttled per route). */
export const handler = route(createVisitor, async ({ body }) => ({ body: await startVisitor(await visitorSecret(), body.channel) }));
