/**
 * The messenger registry: which adapter speaks for each natively connected channel type. One line
 * per adapter; a type listed in lib/contract/messengers.ts without a line here cannot be
 * connected yet (409).
 */
import type { LineChannelType } from '../../contract/enums.ts';
import { instagram } from './instagram.ts';
import type { Messenger } from './port.ts';
import { telegram } from './telegram.ts';
import { viber } from './viber.ts';
import { whatsapp } from './whatsapp.ts';

// biome-ignore lint/suspicious/noExplicitAny: each adapter takes its own credentials type; the shared code parsed them with that type's schema.
const messengers: Partial<Record<LineChannelType, Messenger<any>>> = {
  telegramBot: telegram,
  whatsapp,
  viberbot: viber,
  instagram,
};

/**
 * Adds an adapter at run time: e-mail's (`inbox`) is registered by the functions that send
 * replies (lib/app/mail/outbound.ts `registerMailSender`), so nodemailer stays out of every
 * other bundle (the channel routes, the hooks) that reads this registry.
 */
// biome-ignore lint/suspicious/noExplicitAny: as above, each adapter takes its own credentials type.
export function registerMessenger(messenger: Messenger<any>): void {
  messengers[messenger.type] = messenger;
}

/** The adapter of a channel type, if it is connected natively. */
export function messengerFor(type: LineChannelType): Messenger<Record<string, string>> | undefined {
  return messengers[type];
}

/**
 * Puts an adapter in for its type in this process (tests: a stand-in for a messenger whose
 * adapter is not here yet, to drive the shared paths it would take). Answers what was there.
 */
export function replaceMessenger(
  messenger: Messenger<Record<string, string>> | undefined,
  type: LineChannelType,
): Messenger<Record<string, string>> | undefined {
  const before = messengers[type];
  if (messenger) messengers[type] = messenger;
  else delete messengers[type];
  return before;
}

/** The adapter whose hook path is `path` (`/v1/hooks/<path>/{channelId}`). */
export function messengerByHookPath(path: string): Messenger<Record<string, string>> | undefined {
  return Object.values(messengers).find((m) => m?.hookPath === path);
}
