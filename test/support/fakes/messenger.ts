/**
 * A stand-in messenger adapter for the shared framework's paths that Telegram never takes
 * (delivery statuses from the messenger, read watermarks, a GET handshake answered by the
 * adapter): registered for a channel type in this process with `replaceMessenger`. Its token is
 * the credential `verifyToken` (Meta's types) or `authToken` (Viber); its proof the header
 * `x-stand-in-proof` equal to `<token>.<hook secret>`; a GET with `hub.verify_token` = the token
 * is answered with `hub.challenge`; its body is the list of InboundEvents itself; its sends are recorded and answered
 * with `ext-<n>` ids.
 */
import { replaceMessenger } from '../../../lib/adapters/messengers/index.ts';
import type { InboundEvent, Messenger, OutboundReply } from '../../../lib/adapters/messengers/port.ts';
import type { LineChannelType } from '../../../lib/contract/enums.ts';

export interface StandIn {
  sent: OutboundReply[];
  hooks: { url: string; secret: string }[];
  proof(authToken: string, hookSecret: string): string;
  restore(): void;
}

export function standInMessenger(type: LineChannelType, hookPath: string): StandIn {
  const standIn: StandIn = {
    sent: [],
    hooks: [],
    proof: (authToken, hookSecret) => `${authToken}.${hookSecret}`,
    restore: () => replaceMessenger(before, type),
  };
  const messenger: Messenger<Record<string, string>> = {
    type,
    hookPath,
    verify(request, credentials, hookSecret) {
      const token = credentials.verifyToken ?? credentials.authToken ?? '';
      if (request.method === 'GET') {
        return request.query['hub.verify_token'] === token
          ? { answer: { status: 200, body: request.query['hub.challenge'] ?? '', contentType: 'text/plain' } }
          : { ok: false, reason: 'wrong verify token' };
      }
      return request.headers['x-stand-in-proof'] === standIn.proof(token, hookSecret) ? { ok: true } : { ok: false, reason: 'wrong proof' };
    },
    parse: (request) => JSON.parse(request.rawBody) as InboundEvent[],
    async send(reply) {
      standIn.sent.push(reply);
      return { ok: true, externalId: `ext-${standIn.sent.length}` };
    },
    async connect(url, _credentials, secret) {
      standIn.hooks.push({ url, secret });
    },
  };
  const before = replaceMessenger(messenger, type);
  return standIn;
}
