import { route } from '../../lib/adapters/http/handler.ts';
import { visitorSecret } from '../../lib/adapters/secrets.ts';
import { startVisitor } from '../../lib/app/visitors/service.ts';
import { createVisitor } from '../../lib/contract/routes/visitors.ts';

/** `POST /v1/visitors`: a visitor of a livechat channel gets its token (no staff auth; throttled per route). */
export const handler = route(createVisitor, async ({ body }) => ({ body: await startVisitor(await visitorSecret(), body.channel) }));
