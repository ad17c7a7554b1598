/**
 * The metric definitions of chatlines, as pure functions over one session's ordered messages.
 * docs/metrics.md states the same rules in prose; test/metrics/definitions.test.ts pins them
 * with hand-computed histories. Nothing here reads the table: lib/app/metrics/aggregate.ts feeds
 * it and stores what it returns.
 *
 * A session contributes *samples* (one figure at one moment, attributed to an operator and a
 * group) and, while open, one *live* entry (its state). Samples are bucketed into the UTC
 * day / ISO week / month of the moment they became known (their end event), and counted under
 * the dimensions line, channel, group and operator.
 */
import type { LineSessionState } from '../../contract/enums.ts';
import { GRANULARITIES, type Granularity, type LiveState } from '../../contract/metrics.ts';
import type { Schedule } from '../../contract/schedule.ts';
import type { Message } from '../../contract/schemas.ts';
import { openMsBetween } from '../schedule/schedule.ts';

/** Metrics that are figures over periods (everything except the live counts). */
export const PERIOD_METRICS = [
  'responseTime',
  'waitingTime',
  'sessionDuration',
  'firstResponseTime',
  'botAnswerShare',
  'processedSessions',
  'queueWait',
  'sla_met_share_firstResponse',
  'sla_met_share_nextResponse',
  'sla_met_share_resolution',
  'csat',
] as const;
export type PeriodMetric = (typeof PERIOD_METRICS)[number];

/** How a period figure is read from its rollup's `sum` and `count`. */
export const METRIC_UNITS: Record<PeriodMetric | 'sessionsByState', 'ms' | 'ratio' | 'count' | 'score'> = {
  responseTime: 'ms',
  waitingTime: 'ms',
  sessionDuration: 'ms',
  firstResponseTime: 'ms',
  botAnswerShare: 'ratio',
  processedSessions: 'count',
  queueWait: 'ms',
  sessionsByState: 'count',
  sla_met_share_firstResponse: 'ratio',
  sla_met_share_nextResponse: 'ratio',
  sla_met_share_resolution: 'ratio',
  csat: 'score',
};

type SlaTarget = 'firstResponse' | 'nextResponse' | 'resolution';

/** One figure of one session, known at `at`. */
export interface Sample {
  metric: PeriodMetric;
  /** ISO time of the end event: decides the period. */
  at: string;
  /** Milliseconds, or 1/0 (bot answer share), or 1 (processed sessions), or 1–5 (csat). */
  value: number;
  /** The operator the figure belongs to (none for bot answers and bot-only sessions). */
  operator: string | null;
  /** The operator group in effect at the end event. */
  group: string | null;
}

export interface SessionFigures {
  /** The state after the last history message (null when the history has no state). */
  state: LineSessionState | null;
  /** True while the session is marked as spam: then `samples` is empty and `live` null. */
  spam: boolean;
  samples: Sample[];
  /** The session's live entry while it is open. */
  live: { state: LiveState; operator: string | null; group: string | null } | null;
}

const isReply = (m: Message) => (m.type === 'text' || m.type === 'file') && (m.author === 'operator' || m.author === 'bot');
const isClientMessage = (m: Message) => m.author === 'client' && (m.type === 'text' || m.type === 'file');
const ms = (from: string, to: string) => Date.parse(to) - Date.parse(from);
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

/**
 * Every figure of one session, from its messages in order (by message id, which is time
 * ordered). See docs/metrics.md for the rules this follows line by line.
 */
export function sessionFigures(messages: readonly Message[]): SessionFigures {
  let state: LineSessionState | null = null;
  let operator: string | null = null;
  let group: string | null = null;
  /** The last operator the session was assigned to (processed sessions and duration). */
  let lastOperator: string | null = null;
  let createdAt: string | null = null;

  let waitSince: string | null = null; // first client message not yet answered by staff
  let takenAt: string | null = null; // first transition to AssignedToOperator
  let firstResponded = false;
  let queuedAt: string | null = null; // first entry into Waiting
  let queueWaitDone = false;

  const samples: Sample[] = [];
  const waits: Sample[] = [];

  // SLA (docs/timers.md): one sample per session and target of the line at its creation —
  // 0 at the first sign it was missed (a breach entry, a late reply or close), else 1 when met.
  let sla: Partial<Record<SlaTarget, number>> | null = null;
  const slaDone = new Set<SlaTarget>();
  let staffReplied = false;
  let cycleSince: string | null = null; // next response: first client message unanswered since a staff reply
  const slaSample = (target: SlaTarget, at: string, met: boolean, by: string | null) => {
    if (sla?.[target] === undefined || slaDone.has(target)) return;
    slaDone.add(target);
    samples.push({ metric: `sla_met_share_${target}`, at, value: met ? 1 : 0, operator: by, group });
  };
  // Business hours: the targets count open time only, as the clocks do (lib/domain/timers/clocks.ts).
  let schedule: Schedule | undefined;
  const took = (from: string, to: string) => (schedule ? openMsBetween(schedule, Date.parse(from), Date.parse(to)) : ms(from, to));
  const within = (target: SlaTarget, from: string | null, to: string) => from !== null && took(from, to) <= (sla?.[target] ?? 0) * 1000;

  for (const m of messages) {
    const at = m.__createdAt;
    if (m.type === 'payload' && m.payload) {
      createdAt ??= m.payload.kind === 'SessionCreated' ? at : null;
      if (m.payload.kind === 'SessionCreated' && m.payload.sla) {
        sla = m.payload.sla;
        schedule = m.payload.schedule;
      }
      if (m.payload.command === 'slaBreached' && m.payload.policy) slaSample(m.payload.policy as SlaTarget, at, false, operator ?? lastOperator);
      if (m.payload.command === 'rate') {
        // CSAT: the client's score (1–5), when it was given, to the operator who last held the session.
        const score = (m.payload.changes.find((c) => c.field === '_rating')?.new as { score?: unknown } | null)?.score;
        if (typeof score === 'number') samples.push({ metric: 'csat', at, value: score, operator: lastOperator, group });
      }
      const before: { state: LineSessionState | null; operator: string | null; group: string | null } = { state, operator, group };
      for (const change of m.payload.changes) {
        if (change.field === '_state') state = (str(change.new) as LineSessionState | null) ?? state;
        if (change.field === '_userId') operator = str(change.new);
        if (change.field === '_userGroupId') group = str(change.new);
      }
      if (operator) lastOperator = operator;
      if (state === before.state) continue;
      if (state === 'Waiting' && queuedAt === null) queuedAt = at;
      if ((state === 'AssignedToOperator' || state === 'AssignedToBot') && queuedAt !== null && !queueWaitDone) {
        queueWaitDone = true;
        samples.push({
          metric: 'queueWait',
          at,
          value: ms(queuedAt, at),
          operator: state === 'AssignedToOperator' ? operator : null,
          group,
        });
      }
      if (state === 'AssignedToOperator') takenAt ??= at;
      if (state === 'Closed') {
        // Attributes in effect when it was closed: the close itself may clear them.
        const closeGroup = before.group;
        if (createdAt !== null) {
          samples.push({ metric: 'sessionDuration', at, value: ms(createdAt, at), operator: lastOperator, group: closeGroup });
        }
        if (takenAt !== null) {
          samples.push({ metric: 'processedSessions', at, value: 1, operator: lastOperator, group: closeGroup });
        }
        // Missed if overdue at close; otherwise only resolution and next response are settled here.
        if (!staffReplied && !within('firstResponse', createdAt, at)) slaSample('firstResponse', at, false, lastOperator);
        if (cycleSince !== null && !within('nextResponse', cycleSince, at)) slaSample('nextResponse', at, false, lastOperator);
        slaSample('nextResponse', at, true, lastOperator);
        slaSample('resolution', at, within('resolution', createdAt, at), lastOperator);
        waitSince = null;
      }
      continue;
    }
    if (isClientMessage(m)) {
      waitSince ??= at;
      if (staffReplied) cycleSince ??= at;
      continue;
    }
    if (!isReply(m)) continue;
    if (!staffReplied) slaSample('firstResponse', at, within('firstResponse', createdAt, at), m.author === 'bot' ? null : (m.operator ?? operator));
    else if (cycleSince !== null && !within('nextResponse', cycleSince, at))
      slaSample('nextResponse', at, false, m.author === 'bot' ? null : (m.operator ?? operator));
    staffReplied = true;
    cycleSince = null;
    if (m.author === 'bot') {
      samples.push({ metric: 'botAnswerShare', at, value: 1, operator: null, group });
      waitSince = null; // the bot answered: no operator response time, the next client message starts a new wait
      continue;
    }
    const by = m.operator ?? operator;
    samples.push({ metric: 'botAnswerShare', at, value: 0, operator: by, group });
    if (waitSince !== null) {
      const wait: Sample = { metric: 'responseTime', at, value: ms(waitSince, at), operator: by, group };
      samples.push(wait);
      waits.push({ ...wait, metric: 'waitingTime' });
      waitSince = null;
    }
    if (takenAt !== null && !firstResponded) {
      firstResponded = true;
      samples.push({ metric: 'firstResponseTime', at, value: ms(takenAt, at), operator: by, group });
    }
  }

  if (state === 'MarkedAsSpam') return { state, spam: true, samples: [], live: null };
  samples.push(...waits);
  const live = state === 'Waiting' || state === 'AssignedToBot' || state === 'AssignedToOperator' ? { state, operator, group } : null;
  return { state, spam: false, samples, live };
}

// ------------------------------------------------------------------------- periods

/** The start of the period holding `iso` (UTC): `2025-03-31`, the ISO week's Monday, `2025-03`. */
export function periodOf(granularity: Granularity, iso: string): string {
  const day = iso.slice(0, 10);
  if (granularity === 'day') return day;
  if (granularity === 'month') return iso.slice(0, 7);
  const d = new Date(`${day}T00:00:00Z`);
  const sinceMonday = (d.getUTCDay() + 6) % 7;
  return new Date(d.getTime() - sinceMonday * 86_400_000).toISOString().slice(0, 10);
}

/** Every period from the one holding `from` to the one holding `to` (dates `yyyy-mm-dd`). */
export function periodsBetween(granularity: Granularity, from: string, to: string): string[] {
  const out: string[] = [];
  const last = periodOf(granularity, to);
  let cursor = new Date(`${periodOf(granularity, from).padEnd(10, '-01').slice(0, 10)}T00:00:00Z`);
  for (let i = 0; i < 10_000; i++) {
    const period = periodOf(granularity, cursor.toISOString());
    if (period > last) break;
    out.push(period);
    if (granularity === 'day') cursor = new Date(cursor.getTime() + 86_400_000);
    else if (granularity === 'week') cursor = new Date(cursor.getTime() + 7 * 86_400_000);
    else cursor = new Date(Date.UTC(cursor.getUTCFullYear(), cursor.getUTCMonth() + 1, 1));
  }
  return out;
}

// --------------------------------------------------------------------- dimensions

export type DimensionKind = 'line' | 'group' | 'channel' | 'operator';
/** A dimension value: the whole line is `line:all`. */
export const dimensionId = (kind: DimensionKind, value: string) => `${kind}:${value}`;

/**
 * A rollup cell address: the series (line + dimension) and the bucket (granularity + period,
 * or `live#now`). The store turns it into keys (lib/adapters/dynamodb/keys.ts, pattern 16).
 */
export interface CellAddress {
  line: string;
  dimension: string;
  bucket: string;
}
export type Cells = Record<string, Record<string, number>>;

/** `line|dimension|bucket`: ids and group names never hold `|`. */
export const cellId = (a: CellAddress) => `${a.line}|${a.dimension}|${a.bucket}`;
export function parseCellId(id: string): CellAddress {
  const [line = '', dimension = '', bucket = ''] = id.split('|');
  return { line, dimension, bucket };
}
export const sumField = (metric: PeriodMetric) => `${metric}_sum`;
export const countField = (metric: PeriodMetric) => `${metric}_count`;
export const liveField = (state: LiveState) => `live_${state}`;
export const LIVE_BUCKET = 'live#now';

function dimensionsOf(channel: string, operator: string | null, group: string | null): string[] {
  const dims = [dimensionId('line', 'all'), dimensionId('channel', channel)];
  if (group) dims.push(dimensionId('group', group));
  if (operator) dims.push(dimensionId('operator', operator));
  return dims;
}

/**
 * A session's whole contribution to the rollups: for every cell it touches, the figures it
 * adds (`<metric>_sum`, `<metric>_count`, `live_<state>`). `waitingTime` is per session: in
 * each cell the longest of the session's waits that fall there, counted once.
 */
export function contributionCells(session: { line: string; channel: string }, figures: SessionFigures): Cells {
  const cells: Cells = {};
  const add = (address: CellAddress, field: string, value: number) => {
    const cell = (cells[cellId(address)] ??= {});
    cell[field] = (cell[field] ?? 0) + value;
  };
  const longest = new Map<string, number>();
  for (const s of figures.samples) {
    for (const dimension of dimensionsOf(session.channel, s.operator, s.group)) {
      for (const granularity of GRANULARITIES) {
        const address = { line: session.line, dimension, bucket: `${granularity}#${periodOf(granularity, s.at)}` };
        if (s.metric === 'waitingTime') {
          const id = cellId(address);
          longest.set(id, Math.max(longest.get(id) ?? 0, s.value));
          continue;
        }
        add(address, sumField(s.metric), s.value);
        add(address, countField(s.metric), 1);
      }
    }
  }
  for (const [id, value] of longest) {
    add(parseCellId(id), sumField('waitingTime'), value);
    add(parseCellId(id), countField('waitingTime'), 1);
  }
  if (figures.live) {
    for (const dimension of dimensionsOf(session.channel, figures.live.operator, figures.live.group)) {
      add({ line: session.line, dimension, bucket: LIVE_BUCKET }, liveField(figures.live.state), 1);
    }
  }
  return cells;
}

/** Adds `b` into `a` (brute-force totals in tests, and the diff below). */
export function addCells(a: Cells, b: Cells, sign = 1): Cells {
  for (const [id, fields] of Object.entries(b)) {
    const cell = (a[id] ??= {});
    for (const [field, value] of Object.entries(fields)) cell[field] = (cell[field] ?? 0) + sign * value;
  }
  return a;
}

/** Per cell, the non-zero field deltas that turn `before` into `after`. */
export function diffCells(before: Cells, after: Cells): Cells {
  const out: Cells = {};
  for (const id of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const fields = new Set([...Object.keys(before[id] ?? {}), ...Object.keys(after[id] ?? {})]);
    for (const field of fields) {
      const delta = (after[id]?.[field] ?? 0) - (before[id]?.[field] ?? 0);
      if (delta !== 0) (out[id] ??= {})[field] = delta;
    }
  }
  return out;
}

/** The reported value of a period figure: a mean (ms), a share, or a count. */
export function figureValue(metric: PeriodMetric, sum: number, count: number): number | null {
  if (metric === 'processedSessions') return count;
  return count === 0 ? null : sum / count;
}
