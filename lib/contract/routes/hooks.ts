/**
 * The messengers' hooks, one per natively connected channel: public (no staff JWT), throttled,
 * answered by one function (`receive-messenger-hook`, lib/app/messengers/hooks.ts). Each request
 * is handed over raw (`raw: true`): the messenger's proof (Telegram's secret token header,
 * Meta's `X-Hub-Signature-256`, Viber's `X-Viber-Content-Signature`) is checked over the body
 * byte for byte before anything in it is read; a request that fails it is 401 and writes nothing.
 */

import { Id } from '../schemas.ts';
import { named, type RouteSpec } from '../spec.ts';
import * as z from '../zod.ts';

const HookParams = z.strictObject({ channelId: Id });
const MessengerUpdate = named(
  'MessengerUpdate',
  z.record(z.string(), z.unknown()).check(z.meta({ description: "The messenger's own update (its documented webhook payload), verified over its raw bytes." })),
);
const HookAck = named('HookAck', z.object({ ok: z.literal(true) }));
const HookChallenge = named('HookChallenge', z.string().check(z.meta({ description: "Meta's `hub.challenge`, echoed as text/plain" })));

const hook = (messenger: string, method: 'GET' | 'POST', summary: string) =>
  ({
    method,
    path: `/v1/hooks/${messenger}/{channelId}`,
    function: 'receive-messenger-hook',
    operation: `${messenger}-hook${method === 'GET' ? '-handshake' : ''}`,
    access: 'write',
    auth: false,
    raw: true,
    throttle: { rate: 50, burst: 100 },
    summary,
    tag: 'hooks',
    params: HookParams,
    ...(method === 'POST' ? { body: MessengerUpdate } : {}),
    responses: {
      200: method === 'POST' ? { description: 'Taken (or ignored: not a message)', body: HookAck } : { description: 'The challenge', body: HookChallenge },
    },
    problems: [401],
  }) as const satisfies RouteSpec;

export const telegramHook = hook('telegram', 'POST', 'A Telegram bot update (`X-Telegram-Bot-Api-Secret-Token`): messages into sessions.');
export const whatsappHandshake = hook('whatsapp', 'GET', "WhatsApp's webhook verification (`hub.mode`, `hub.verify_token`, `hub.challenge`).");
export const whatsappHook = hook('whatsapp', 'POST', 'A WhatsApp Cloud API notification (`X-Hub-Signature-256`): messages and statuses.');
export const viberHook = hook('viber', 'POST', 'A Viber bot callback (`X-Viber-Content-Signature`): messages, delivered/seen/failed.');
export const instagramHandshake = hook('instagram', 'GET', "Instagram's webhook verification (`hub.mode`, `hub.verify_token`, `hub.challenge`).");
export const instagramHook = hook('instagram', 'POST', 'An Instagram messaging notification (`X-Hub-Signature-256`): messages and reads.');

export const hookRoutes: readonly RouteSpec[] = [telegramHook, whatsappHandshake, whatsappHook, viberHook, instagramHandshake, instagramHook];
