/**
 * Request and response schemas of `GET /v1/metrics` (exported for the OpenAPI document).
 * Query strings arrive as strings; unknown parameters are refused by name (strict object).
 */

import { LineMetricType, type LineSessionState } from './enums.ts';
import { Id, PrincipalId } from './schemas.ts';
import * as z from './zod.ts';

/** States counted by `sessionsByState` (open sessions only; spam and closed are not live). */
export const LIVE_STATES = ['Waiting', 'AssignedToBot', 'AssignedToOperator'] as const satisfies readonly LineSessionState[];
export type LiveState = (typeof LIVE_STATES)[number];

export const GRANULARITIES = ['day', 'week', 'month'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

/** A day `2025-03-31`, or an ISO date-time whose UTC day is taken. */
const Day = z.pipe(
  z.string().check(
    z.regex(/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/, { error: 'a date yyyy-mm-dd (or an ISO date-time)' }),
    z.refine((s) => !Number.isNaN(Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s)), { error: 'not a real date' }),
  ),
  z.transform((s) => (s.length === 10 ? s : new Date(s).toISOString().slice(0, 10))),
);

/** Longest series one request may ask for, in periods. */
export const MAX_PERIODS = 400;

export const MetricsQuery = z
  .strictObject({
    /** One metric; all of them when omitted. */
    type: z.optional(z.enum(LineMetricType)),
    /** The line (required: rollups are kept per line). */
    line: Id,
    /** At most one of group, channel, operator: the dimension of the series (default: the whole line). */
    group: z.optional(PrincipalId),
    channel: z.optional(Id),
    operator: z.optional(PrincipalId),
    granularity: z._default(z.enum(GRANULARITIES), 'day'),
    /** First and last day (UTC) of the range; default: the last 30 days / 12 weeks / 12 months to today. */
    from: z.optional(Day),
    to: z.optional(Day),
  })
  .check(
    z.superRefine((q, ctx) => {
      const dims = (['group', 'channel', 'operator'] as const).filter((k) => q[k] !== undefined);
      for (const k of dims.slice(1)) {
        ctx.addIssue({ code: 'custom', path: [k], message: `only one of group, channel, operator may be given (got ${dims.join(', ')})` });
      }
      if (q.from && q.to && q.from > q.to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after to' });
    }),
  );
export type MetricsQuery = z.output<typeof MetricsQuery>;

export const MetricPoint = z.object({
  /** Period start: `2025-03-31` (day), the ISO week's Monday, `2025-03` (month). */
  period: z.string(),
  /** The figure: mean in ms, share 0..1, or count; null when nothing happened in the period. */
  value: z.nullable(z.number()),
  /** Sum of the samples (ms, bot replies, sessions). */
  sum: z.number(),
  /** Number of samples (replies answered, sessions, staff replies). */
  count: z.number(),
});

export const MetricSeries = z.object({
  type: z.enum(LineMetricType),
  unit: z.enum(['ms', 'ratio', 'count', 'score']),
  /** One point per period in [from, to], oldest first (empty for sessionsByState). */
  series: z.array(MetricPoint),
  /** sessionsByState only: open sessions per state as of the last aggregation run. */
  states: z.optional(z.partialRecord(z.enum(LIVE_STATES), z.number())),
});

export const MetricsResponse = z.object({
  line: Id,
  dimension: z.object({ kind: z.enum(['line', 'group', 'channel', 'operator']), value: z.string() }),
  granularity: z.enum(GRANULARITIES),
  from: z.string(),
  to: z.string(),
  /** Start of the last successful aggregation run: figures include every change before it. */
  asOf: z.nullable(z.string()),
  metrics: z.array(MetricSeries),
});
export type MetricsResponse = z.infer<typeof MetricsResponse>;
