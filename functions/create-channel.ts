import { createChannel as spec } from '../infra/routes/core.ts';
import { createChannel } from '../lib/channels/channels.ts';
import { route } from '../lib/http/handler.ts';

/** `POST /v1/channels`: an admin connects a messenger account to a line. */
export const handler = route(spec, async ({ caller, body, idempotency }) => ({
  body: await createChannel(caller, body, (c) => idempotency({ body: c })),
}));
