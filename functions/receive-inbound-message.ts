import { route } from '../lib/http/handler.ts';
import { IdParams, InboundBody } from '../lib/model/schemas.ts';
import { receiveInbound, type InboundResult } from '../lib/sessions/open.ts';

const reply = (r: InboundResult) => ({
  status: r.created ? 201 : 200,
  body: { client: r.client, session: r.session, message: r.message },
});

/** `POST /v1/channels/{id}/inbound`: a client's message arrives (integration). */
export const handler = route({
  operation: 'receive-inbound-message',
  params: IdParams,
  body: InboundBody,
  run: async ({ caller, params, body, idempotency }) =>
    reply(await receiveInbound(caller, params.id, body, (r) => idempotency(reply(r)))),
});
