import { patchChannel } from '../lib/channels/channels.ts';
import { route } from '../lib/http/handler.ts';
import { IdParams, UpdateChannelBody } from '../lib/model/schemas.ts';

/** `PATCH /v1/channels/{id}`: rename a channel, or set / clear the endpoint its replies are delivered to (admin). */
export const handler = route({
  operation: 'update-channel',
  params: IdParams,
  body: UpdateChannelBody,
  run: async ({ caller, params, body, idempotency }) => ({
    status: 200,
    body: await patchChannel(caller, params.id, body, (c) => idempotency({ status: 200, body: c })),
  }),
});
