import { route } from '../../lib/adapters/http/handler.ts';
import { createLine } from '../../lib/app/lines/lines.ts';
import { createLine as spec } from '../../lib/contract/routes/core.ts';

/** `POST /v1/lines`: an admin creates a line. */
export const handler = route(spec, async ({ caller, body, idempotency }) => ({
  body: await createLine(caller, body, (l) => idempotency({ body: l })),
}));
