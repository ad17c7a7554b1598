import { route } from '../../lib/adapters/http/handler.ts';
import { receiveHook } from '../../lib/app/messengers/hooks.ts';
import { telegramHook } from '../../lib/contract/routes/hooks.ts';

/**
 * Every messenger hook (`/v1/hooks/{telegram|whatsapp|viber|instagram}/{channelId}`, GET and
 * POST): the routes share this function and its spec's shape (lib/contract/routes/hooks.ts); the
 * path names the messenger. The request reaches the use case raw, its proof checked there first.
 */
export const handler = route(telegramHook, async ({ params, raw }) => {
  const request = raw!;
  const messenger = /^\/v1\/hooks\/([a-z]+)\//.exec(request.path)?.[1] ?? '';
  return receiveHook(messenger, params.channelId, { method: request.method, headers: request.headers, query: request.query, rawBody: request.body });
});
