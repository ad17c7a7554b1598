/**
 * Reading metric series for `GET /v1/metrics`: rollup items by key only — one Query over the
 * series' partition between the first and last period, one GetItem for the live counts, one
 * for the watermark — so a request costs the same with ten sessions or ten million.
 */

import type { Item } from '../../adapters/dynamodb/db.ts';
import { getLineCached } from '../../adapters/dynamodb/lines.ts';
import { readRollup, readWatermark, rollupsBetween } from '../../adapters/dynamodb/metrics.ts';
import type { Caller } from '../../contract/caller.ts';
import { LineMetricType } from '../../contract/enums.ts';
import { invalid } from '../../contract/errors.ts';
import { type Granularity, LIVE_STATES, MAX_PERIODS, type MetricsQuery, type MetricsResponse } from '../../contract/metrics.ts';
import { type MetricsDimension, metricsDimension } from '../../domain/auth/policy.ts';
import {
  countField,
  dimensionId,
  figureValue,
  LIVE_BUCKET,
  liveField,
  METRIC_UNITS,
  PERIOD_METRICS,
  periodOf,
  periodsBetween,
  sumField,
} from '../../domain/metrics/definitions.ts';

const DAY = 86_400_000;

/** Default range: the last 30 days, 12 weeks or 12 months up to today. */
function defaultFrom(granularity: Granularity, to: string): string {
  const t = Date.parse(`${to}T00:00:00Z`);
  if (granularity === 'day') return new Date(t - 29 * DAY).toISOString().slice(0, 10);
  if (granularity === 'week') return new Date(t - 11 * 7 * DAY).toISOString().slice(0, 10);
  const d = new Date(t);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 11, 1)).toISOString().slice(0, 10);
}

/** The series of the metrics the caller asked for and may see. */
export async function readMetrics(caller: Caller, query: MetricsQuery, today = new Date()): Promise<MetricsResponse> {
  const line = await getLineCached(query.line);
  const requested: MetricsDimension | undefined = query.group
    ? { kind: 'group', value: query.group }
    : query.channel
      ? { kind: 'channel', value: query.channel }
      : query.operator
        ? { kind: 'operator', value: query.operator }
        : undefined;
  const dimension = metricsDimension(caller, line, requested);
  const granularity = query.granularity;
  const to = query.to ?? today.toISOString().slice(0, 10);
  const from = query.from ?? defaultFrom(granularity, to);
  const periods = periodsBetween(granularity, from, to);
  if (periods.length > MAX_PERIODS) throw invalid('from', `the range holds ${periods.length} ${granularity}s; at most ${MAX_PERIODS}`);

  const series = dimensionId(dimension.kind, dimension.value);
  const types = query.type ? [query.type] : Object.values(LineMetricType);
  const wantsPeriods = types.some((t) => t !== 'sessionsByState');

  const rows = new Map<string, Item>();
  if (wantsPeriods) {
    const found = await rollupsBetween(line.__id, series, `${granularity}#${periodOf(granularity, from)}`, `${granularity}#${periodOf(granularity, to)}`);
    for (const { bucket, item } of found) rows.set(bucket.slice(granularity.length + 1), item);
  }
  const live = types.includes('sessionsByState') ? await readRollup(line.__id, series, LIVE_BUCKET) : undefined;
  const asOf = (await readWatermark()) ?? null;

  const num = (item: Item | undefined, field: string) => Number(item?.[field] ?? 0);
  const metrics: MetricsResponse['metrics'] = types.map((type) => {
    if (type === 'sessionsByState') {
      return {
        type,
        unit: METRIC_UNITS.sessionsByState,
        series: [],
        states: Object.fromEntries(LIVE_STATES.map((s) => [s, num(live, liveField(s))])),
      };
    }
    const metric = PERIOD_METRICS.find((m) => m === type)!;
    return {
      type,
      unit: METRIC_UNITS[metric],
      series: periods.map((period) => {
        const row = rows.get(period);
        const sum = num(row, sumField(metric));
        const count = num(row, countField(metric));
        return { period, value: figureValue(metric, sum, count), sum, count };
      }),
    };
  });
  return { line: line.__id, dimension, granularity, from, to, asOf, metrics };
}
