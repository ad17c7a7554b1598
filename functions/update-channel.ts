import { updateChannel as spec } from '../infra/routes/events.ts';
import { patchChannel } from '../lib/channels/channels.ts';
import { route } from '../lib/http/handler.ts';

/** `PATCH /v1/channels/{id}`: rename a channel, or set / clear the endpoint its replies are delivered to (admin). */
export const handler = route(spec, async ({ caller, params, body, idempotency }) => ({
  body: await patchChannel(caller, params.id, body, (c) => idempotency({ body: c })),
}));
