import { route } from '../../lib/adapters/http/handler.ts';
import { patchChannel } from '../../lib/app/channels/channels.ts';
import { updateChannel as spec } from '../../lib/contract/routes/events.ts';

/** `PATCH /v1/channels/{id}`: rename a channel, or set / clear the endpoint its replies are delivered to (admin). */
export const handler = route(spec, async ({ caller, params, body, idempotency }) => ({
  body: await patchChannel(caller, params.id, body, (c) => idempotency({ body: c })),
}));
