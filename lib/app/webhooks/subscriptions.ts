/**
 * The webhook subscriptions an event batch goes to, as the stream consumer reads them
 * (lib/app/events/consumer.ts): the subscriptions of each line in the batch, and the ones for every
 * line, from a per-instance cache.
 */
import { TtlCache } from '../../adapters/cache.ts';
import { subscriptionsOfLine } from '../../adapters/dynamodb/webhooks.ts';

export interface Subscription {
  id: string;
  events: string[];
}

/**
 * How long an instance trusts the subscriptions of a line it has read. Every batch of events
 * needs its lines' subscriptions (and the ones for every line): read each time, the
 * subscriptions' partitions and items are read once per batch. What may be late: a subscription
 * created or deleted through another instance starts (or stops) getting this instance's
 * deliveries up to 10 s later; a deleted one's deliveries then fail ("the subscription was
 * deleted"), as pending ones do.
 */
export const SUBSCRIPTIONS_CACHE_MS = 10_000;
const subscriptionsCache = new TtlCache<Subscription[]>(SUBSCRIPTIONS_CACHE_MS);
/** Drops every cached subscription list (after this instance created or deleted a subscription). */
export const forgetSubscriptions = () => subscriptionsCache.clear();

/** The webhook subscriptions of the lines in a batch, and the ones for every line. */
export async function subscriptionsOf(lines: readonly string[]): Promise<Map<string | null, Subscription[]>> {
  const out = new Map<string | null, Subscription[]>();
  await Promise.all(
    [null, ...lines].map(async (line) => {
      const cached = subscriptionsCache.get(line ?? '*');
      if (cached) {
        out.set(line, cached.value);
        return;
      }
      const subs: Subscription[] = await subscriptionsOfLine(line);
      subscriptionsCache.set(line ?? '*', subs);
      out.set(line, subs);
    }),
  );
  return out;
}
