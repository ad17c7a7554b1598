import { createChannel } from '../lib/channels/channels.ts';
import { route } from '../lib/http/handler.ts';
import { CreateChannelBody } from '../lib/model/schemas.ts';

/** `POST /v1/channels`: an admin connects a messenger account to a line. */
export const handler = route({
  operation: 'create-channel',
  body: CreateChannelBody,
  run: async ({ caller, body, idempotency }) => {
    const channel = await createChannel(caller, body, (c) => idempotency({ status: 201, body: c }));
    return { status: 201, body: channel };
  },
});
