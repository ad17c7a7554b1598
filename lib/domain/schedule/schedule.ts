/**
 * Business hours: is a line open at an instant, when does that change, and what instant lies N
 * seconds of open time after another. Pure (Intl only, no I/O).
 *
 * Local wall times become instants through the zone's offsets as `Intl` reports them, so DST
 * is handled as the zone defines it:
 * - a wall time that does not exist (spring forward, 02:30 in a 02:00→03:00 gap) moves forward
 *   by the gap (03:30), as Temporal's `compatible` does;
 * - a wall time that exists twice (fall back) is the earlier one.
 * An interval belongs to the day it starts on (its weekday, its exception); one that ends at or
 * before its start ends the next day. Overlapping or touching intervals are one opening.
 */
import type { OpeningInterval, Schedule } from '../../contract/schedule.ts';
import { WEEKDAYS } from '../../contract/schedule.ts';

const DAY_MS = 86_400_000;
/** How far ahead the rules look for an opening (a schedule that never opens answers null). */
const HORIZON_DAYS = 400;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The zone's offset (ms, local − UTC) at an instant. */
export function offsetAt(timeZone: string, ms: number): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(ms)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const local = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour! % 24, parts.minute!, parts.second!);
  return local - (ms - (((ms % 1000) + 1000) % 1000));
}

/** The local calendar day (as a UTC midnight, ms) holding an instant. */
function localDay(timeZone: string, ms: number): number {
  const local = ms + offsetAt(timeZone, ms);
  return local - (((local % DAY_MS) + DAY_MS) % DAY_MS);
}

/** The instant of a local wall time (`wall`: the wall time written as if it were UTC, ms). */
export function instantOf(timeZone: string, wall: number): number {
  const before = offsetAt(timeZone, wall - DAY_MS);
  const after = offsetAt(timeZone, wall + DAY_MS);
  const valid = [...new Set([before, after])].map((o) => wall - o).filter((t) => offsetAt(timeZone, t) === wall - t);
  if (valid.length > 0) return Math.min(...valid);
  // In a gap: shifted forward by its length (the offset before the transition).
  return wall - before;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const dateOf = (day: number) => new Date(day).toISOString().slice(0, 10);

/** The hours that apply on a local day: its exception's, else its weekday's. */
export function hoursOn(schedule: Schedule, day: number): readonly OpeningInterval[] {
  const date = dateOf(day);
  const exception = schedule.exceptions?.find((e) => e.date === date);
  if (exception) return exception.hours;
  const weekday = WEEKDAYS[new Date(day).getUTCDay()]!;
  return schedule.weekly[weekday] ?? [];
}

/** The openings (instants) that start on a local day, by start. */
function openingsOn(schedule: Schedule, day: number): [number, number][] {
  const out: [number, number][] = [];
  for (const i of hoursOn(schedule, day)) {
    const from = minutesOf(i.from);
    let to = minutesOf(i.to);
    if (to <= from) to += 24 * 60;
    const start = instantOf(schedule.timeZone, day + from * 60_000);
    const end = instantOf(schedule.timeZone, day + to * 60_000);
    if (end > start) out.push([start, end]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/**
 * The openings that end after `t`, in order, merged: each one `[start, end)` (ms). Starts from
 * the day before `t` (an interval that crosses midnight), looks `HORIZON_DAYS` ahead.
 */
export function* openingsFrom(schedule: Schedule, t: number): Generator<[number, number]> {
  const first = localDay(schedule.timeZone, t) - DAY_MS;
  let pending: [number, number] | undefined;
  for (let d = 0; d <= HORIZON_DAYS; d++) {
    for (const [s, e] of openingsOn(schedule, first + d * DAY_MS)) {
      if (pending && s <= pending[1]) {
        pending[1] = Math.max(pending[1], e);
        continue;
      }
      if (pending && pending[1] > t) yield pending;
      pending = [s, e];
    }
  }
  if (pending && pending[1] > t) yield pending;
}

/** Is the line open at `t`? */
export function isOpenAt(schedule: Schedule, t: number): boolean {
  for (const [s] of openingsFrom(schedule, t)) return s <= t;
  return false;
}

/** The next instant after `t` at which open/closed changes (null: never within the horizon). */
export function nextChangeAt(schedule: Schedule, t: number): number | null {
  for (const [s, e] of openingsFrom(schedule, t)) return s <= t ? e : s;
  return null;
}

/**
 * The instant at which `seconds` of open time have passed since `t` (open time only: closed
 * hours do not count). Null when the schedule does not open enough within the horizon.
 */
export function addOpenTime(schedule: Schedule, t: number, seconds: number): number | null {
  let left = seconds * 1000;
  for (const [s, e] of openingsFrom(schedule, t)) {
    const from = Math.max(s, t);
    if (from + left <= e) return from + left;
    left -= e - from;
  }
  return null;
}

/** How much open time (ms) lies between two instants. */
export function openMsBetween(schedule: Schedule, from: number, to: number): number {
  let total = 0;
  for (const [s, e] of openingsFrom(schedule, from)) {
    if (s >= to) break;
    total += Math.min(e, to) - Math.max(s, from);
  }
  return total;
}

/** Open now and when that changes, as `GET /v1/lines/{id}` answers it (no schedule: always open). */
export function openState(schedule: Schedule | null | undefined, t: number): { openNow: boolean; nextChangeAt: string | null } {
  if (!schedule) return { openNow: true, nextChangeAt: null };
  const next = nextChangeAt(schedule, t);
  return { openNow: isOpenAt(schedule, t), nextChangeAt: next === null ? null : new Date(next).toISOString() };
}
