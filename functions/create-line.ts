import { createLine as spec } from '../infra/routes/core.ts';
import { route } from '../lib/http/handler.ts';
import { createLine } from '../lib/lines/lines.ts';

/** `POST /v1/lines`: an admin creates a line. */
export const handler = route(spec, async ({ caller, body, idempotency }) => ({
  body: await createLine(caller, body, (l) => idempotency({ body: l })),
}));
