/**
 * Telegram's messenger adapter (lib/adapters/messengers/telegram.ts), a lazy module (lib/adapters/lazy.ts):
 * loaded by the registry (lib/adapters/messengers/index.ts) the first time a request needs a
 * telegram channel's adapter, so no function carries every messenger's code in its bundle.
 */
export { telegram } from '../messengers/telegram.ts';
