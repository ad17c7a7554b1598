/**
 * Per-instance read caches with a time to live: what a function instance may trust for a few
 * seconds instead of reading a hot item on every request. Every session of a line reads its
 * line and its channel, and every reply delivered to a messenger or a webhook reads where it
 * goes: read each time, those few items would be the hottest partitions of the table
 * (measured: `CHANNEL#<ch>` at 6,500 RCU/s for 1,000 new sessions a second).
 *
 * A change made through this instance forgets its entry at once (the local host runs every
 * function in one process, so there a change is seen immediately); another instance sees it
 * when its entry expires. What may be a little stale is named where each cache is made.
 */
/**
 * `CHATLINES_CACHES=off`: every read misses, as in a fresh instance each time (to rule the
 * caches out when chasing staleness; the grants test runs so, since the local host serves every
 * function from one process and one function's reads would otherwise fill what another finds).
 */
const cachesOff = (): boolean => process.env.CHATLINES_CACHES === 'off';

export class TtlCache<T> {
  readonly #entries = new Map<string, { value: T; at: number }>();

  /**
   * @param ttlMs how long an entry is trusted (`Infinity`: what never changes, or a hint checked before use)
   * @param max most entries kept (the oldest written goes first)
   */
  constructor(
    readonly ttlMs: number,
    readonly max = 1_000,
  ) {}

  /**
   * The entry, if it was written less than `ttlMs` ago; `undefined` values are entries too
   * (`{ value: undefined }`). A reader that must see changes sooner trusts only entries younger
   * than `maxAgeMs` (an older one is left for the others).
   */
  get(key: string, now = Date.now(), maxAgeMs = this.ttlMs): { value: T } | undefined {
    if (cachesOff()) return undefined;
    const hit = this.#entries.get(key);
    if (!hit) return undefined;
    if (now - hit.at >= this.ttlMs) {
      this.#entries.delete(key);
      return undefined;
    }
    if (now - hit.at >= maxAgeMs) return undefined;
    return { value: hit.value };
  }

  set(key: string, value: T, now = Date.now()): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, at: now });
    if (this.#entries.size > this.max) this.#entries.delete(this.#entries.keys().next().value!);
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
