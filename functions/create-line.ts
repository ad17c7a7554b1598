import { route } from '../lib/http/handler.ts';
import { createLine } from '../lib/lines/lines.ts';
import { CreateLineBody } from '../lib/model/schemas.ts';

/** `POST /v1/lines`: an admin creates a line. */
export const handler = route({
  operation: 'create-line',
  body: CreateLineBody,
  run: async ({ caller, body, idempotency }) => {
    const line = await createLine(caller, body, (l) => idempotency({ status: 201, body: l }));
    return { status: 201, body: line };
  },
});
