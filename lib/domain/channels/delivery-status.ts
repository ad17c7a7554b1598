/**
 * What a messenger may report about a reply, in which order (pure: no I/O).
 *
 * A reply goes `sent` (the messenger accepted it) → `delivered` (it reached the client's device)
 * → `read` (the client opened it). `failed` means the messenger gave up before the device got
 * it, so it can follow `sent` (or be the first report) but never `delivered` or `read`, and it
 * is final: a failed reply is not sent, delivered or read afterwards.
 *
 * Messengers report out of order (a `delivered` arriving after its `read`) and repeat
 * themselves, so a report of the status the reply has, or of one it has already passed on the
 * way (`sent` or `delivered` after `read`), changes nothing and is not an error. A report that
 * contradicts what is known (`failed` after `delivered` or `read`; anything after `failed`) is
 * refused.
 *
 * | reported ↓ / current → | none | sent      | delivered | read      | failed    |
 * | ---------------------- | ---- | --------- | --------- | --------- | --------- |
 * | sent                   | set  | unchanged | unchanged | unchanged | refused   |
 * | delivered              | set  | set       | unchanged | unchanged | refused   |
 * | read                   | set  | set       | set       | unchanged | refused   |
 * | failed                 | set  | set       | refused   | refused   | unchanged |
 */

export const DELIVERY_STATUSES = ['sent', 'delivered', 'read', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** The way of a reply that reaches the client, in order. */
const PROGRESS: readonly DeliveryStatus[] = ['sent', 'delivered', 'read'];

export type StatusDecision =
  /** The report moves the reply on: write it (and its event). */
  | { kind: 'set' }
  /** Already known (the same status, or one the reply has passed): nothing to write. */
  | { kind: 'unchanged' }
  /** The report contradicts the reply's status: refuse it, saying why. */
  | { kind: 'refused'; reason: string };

/** Decides a status report on a reply whose current status is `current` (null: none reported yet). */
export function decideStatusReport(current: DeliveryStatus | null, reported: DeliveryStatus): StatusDecision {
  if (current === null) return { kind: 'set' };
  if (current === reported) return { kind: 'unchanged' };
  if (current === 'failed') return { kind: 'refused', reason: `the message failed to reach the client: it cannot be ${reported} afterwards` };
  if (reported === 'failed') {
    return current === 'sent' ? { kind: 'set' } : { kind: 'refused', reason: `the message was already ${current}: it cannot fail afterwards` };
  }
  return PROGRESS.indexOf(reported) > PROGRESS.indexOf(current) ? { kind: 'set' } : { kind: 'unchanged' };
}

/** The statuses a report of `reported` may replace (besides none): for a conditional write. */
export function replaceableBy(reported: DeliveryStatus): DeliveryStatus[] {
  return DELIVERY_STATUSES.filter((s) => s !== reported && decideStatusReport(s, reported).kind === 'set');
}
