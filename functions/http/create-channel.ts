import { route } from '../../lib/adapters/http/handler.ts';
import { createChannel } from '../../lib/app/channels/channels.ts';
import { createChannel as spec } from '../../lib/contract/routes/core.ts';

/** `POST /v1/channels`: an admin connects a messenger account to a line. */
export const handler = route(spec, async ({ caller, body, idempotency }) => ({
  body: await createChannel(caller, body, (c) => idempotency({ body: c })),
}));
