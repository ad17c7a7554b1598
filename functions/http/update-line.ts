import { route } from '../../lib/adapters/http/handler.ts';
import { updateLine } from '../../lib/app/lines/lines.ts';
import { updateLine as spec } from '../../lib/contract/routes/core.ts';

/** `PATCH /v1/lines/{id}`: an admin changes a line's settings (name, routing, timer policies). */
export const handler = route(spec, async ({ caller, params, body, idempotency }) => ({
  body: await updateLine(caller, params.id, body, (l) => idempotency({ body: l })),
}));
