/**
 * Viber's messenger adapter (lib/adapters/messengers/viber.ts), a lazy module (lib/adapters/lazy.ts):
 * loaded by the registry (lib/adapters/messengers/index.ts) the first time a request needs a
 * viber channel's adapter, so no function carries every messenger's code in its bundle.
 */
export { viber } from '../messengers/viber.ts';
