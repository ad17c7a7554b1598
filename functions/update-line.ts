import { updateLine as spec } from '../infra/routes/core.ts';
import { route } from '../lib/http/handler.ts';
import { updateLine } from '../lib/lines/lines.ts';

/** `PATCH /v1/lines/{id}`: an admin changes a line's settings (name, routing, timer policies). */
export const handler = route(spec, async ({ caller, params, body, idempotency }) => ({
  body: await updateLine(caller, params.id, body, (l) => idempotency({ body: l })),
}));
