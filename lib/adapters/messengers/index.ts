/**
 * The messenger registry: which adapter speaks for each natively connected channel type. Each
 * native adapter is a lazy module (lib/adapters/lazy.ts, `messenger-<name>`): a function's bundle
 * names them all here but loads only the one a request needs, on first use (`loadMessenger`). One
 * line per adapter in `loaders` and one in `HOOK_PATHS`; a type listed in lib/contract/messengers.ts
 * without a loader cannot be connected yet (409).
 */
import type { LineChannelType } from '../../contract/enums.ts';
import { importLazy, loadOnce } from '../lazy.ts';
import type { Messenger } from './port.ts';

// biome-ignore lint/suspicious/noExplicitAny: each adapter takes its own credentials type; the shared code parsed them with that type's schema.
type AnyMessenger = Messenger<any>;

/**
 * The native adapters' loaders, each loading once per process (`loadOnce`: a failed import is
 * tried again). Each names its lazy module by a string literal: the bundler
 * (infra/aws/bundling.ts) puts `<name>.mjs` beside every bundle whose code contains it.
 */
const loaders: Partial<Record<LineChannelType, () => Promise<AnyMessenger>>> = {
  telegramBot: loadOnce(async () => (await importLazy<typeof import('../lazy/messenger-telegram.ts')>('messenger-telegram')).telegram),
  whatsapp: loadOnce(async () => (await importLazy<typeof import('../lazy/messenger-whatsapp.ts')>('messenger-whatsapp')).whatsapp),
  viberbot: loadOnce(async () => (await importLazy<typeof import('../lazy/messenger-viber.ts')>('messenger-viber')).viber),
  instagram: loadOnce(async () => (await importLazy<typeof import('../lazy/messenger-instagram.ts')>('messenger-instagram')).instagram),
};

/**
 * Each native adapter's hook path (`/v1/hooks/<path>/{channelId}`, its `hookPath`) → its type: a
 * hook finds its adapter without loading the others. test/messengers/registry.test.ts checks that
 * it agrees with the adapters.
 */
export const HOOK_PATHS: Readonly<Record<string, LineChannelType>> = {
  telegram: 'telegramBot',
  whatsapp: 'whatsapp',
  viber: 'viberbot',
  instagram: 'instagram',
};

/** Adapters put in at run time (e-mail's; tests' stand-ins): found before the native ones. */
const overrides = new Map<LineChannelType, AnyMessenger>();

/**
 * Adds an adapter at run time: e-mail's (`inbox`) is registered by the functions that send
 * replies (lib/app/mail/outbound.ts `registerMailSender`), so nodemailer stays out of every
 * other bundle (the channel routes, the hooks) that reads this registry.
 */
export function registerMessenger(messenger: AnyMessenger): void {
  overrides.set(messenger.type, messenger);
}

/**
 * The adapter of a channel type, if it is connected natively: one put in at run time, else the
 * native one, imported on its first use in this process. A failed import (a missing `.mjs`) is
 * thrown, not taken for "no adapter", and tried again on the next call.
 */
export async function loadMessenger(type: LineChannelType): Promise<Messenger<Record<string, string>> | undefined> {
  return overrides.get(type) ?? loaders[type]?.();
}

/**
 * Puts an adapter in for its type in this process (tests: a stand-in for a messenger whose
 * adapter is not here yet, to drive the shared paths it would take). Answers the adapter put in
 * before, if any; `undefined` takes it out again (the native adapter, if any, answers again).
 */
export function replaceMessenger(messenger: Messenger<Record<string, string>> | undefined, type: LineChannelType): AnyMessenger | undefined {
  const before = overrides.get(type);
  if (messenger) overrides.set(type, messenger);
  else overrides.delete(type);
  return before;
}

/** The adapter whose hook path is `path` (`/v1/hooks/<path>/{channelId}`): only that one is loaded. */
export async function messengerByHookPath(path: string): Promise<Messenger<Record<string, string>> | undefined> {
  for (const messenger of overrides.values()) if (messenger.hookPath === path) return messenger;
  const type = Object.hasOwn(HOOK_PATHS, path) ? HOOK_PATHS[path] : undefined;
  const messenger = type ? await loadMessenger(type) : undefined;
  return messenger?.hookPath === path ? messenger : undefined;
}
