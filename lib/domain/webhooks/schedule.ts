/**
 * When a failed delivery is tried again: growing delays that add up to more than 24 hours,
 * then the delivery is `failed` (and can be retried by hand). `WEBHOOK_RETRY_SECONDS`
 * (comma-separated seconds) replaces the schedule, e.g. for tests.
 */
export const DEFAULT_RETRY_SECONDS: readonly number[] = [5, 30, 120, 600, 1_800, 3_600, 7_200, 14_400, 28_800, 43_200];

/** A receiver that has not answered within this time has failed the attempt. */
export const ATTEMPT_TIMEOUT_MS = 10_000;

export function retrySchedule(): readonly number[] {
  const raw = process.env.WEBHOOK_RETRY_SECONDS;
  if (!raw) return DEFAULT_RETRY_SECONDS;
  const parsed = raw.split(',').map(Number);
  return parsed.every((n) => Number.isFinite(n) && n >= 0) && parsed.length > 0 ? parsed : DEFAULT_RETRY_SECONDS;
}

/** After `attempts` failed attempts: when to try next, or undefined when it is time to give up. */
export function nextAttemptAfter(attempts: number, now: number): string | undefined {
  const schedule = retrySchedule();
  const delay = schedule[attempts - 1];
  return delay === undefined ? undefined : new Date(now + delay * 1000).toISOString();
}
