import { route } from '../../lib/adapters/http/handler.ts';
import { markSessionRead } from '../../lib/app/sessions/read-receipts.ts';
import { markSessionRead as spec } from '../../lib/contract/routes/reads.ts';

/** `POST /v1/sessions/{id}/read`: the holding operator read the client's messages up to `upTo`. */
export const handler = route(spec, async ({ caller, params, body, idempotency }) => ({
  body: await markSessionRead(caller, params.id, body.upTo, (r) => idempotency({ body: r })),
}));
