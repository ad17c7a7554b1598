import { route } from '../../lib/adapters/http/handler.ts';
import { type InboundResult, receiveInbound } from '../../lib/app/sessions/open.ts';
import { receiveInboundMessage } from '../../lib/contract/routes/core.ts';

const reply = (r: InboundResult) => ({
  status: r.created ? 201 : 200,
  body: { client: r.client, session: r.session, message: r.message, ...(r.duplicate ? { duplicate: true } : {}) },
});

/** `POST /v1/channels/{id}/inbound`: a client's message arrives (integration). */
export const handler = route(receiveInboundMessage, async ({ caller, params, body, idempotency }) =>
  reply(await receiveInbound(caller, params.id, body, (r) => idempotency(reply(r)))),
);
