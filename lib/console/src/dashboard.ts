/**
 * The supervisor dashboard: per line, the live queue (length, oldest wait), who holds sessions
 * and their load against the line's capacity, SLA breaches today, and plots of the metrics
 * over days or weeks (uPlot).
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { ApiError, api, type Line, type Session, search } from './api.ts';
import type { Identity } from './auth.ts';
import { duration, h, mount } from './dom.ts';
import { watch } from './live.ts';

interface MetricsResponse {
  metrics: { type: string; unit: 'ms' | 'ratio' | 'count' | 'score'; series?: { period: string; value: number | null; sum?: number; count?: number }[] }[];
  asOf: string | null;
}

const TITLES: Record<string, string> = {
  responseTime: 'Response time',
  waitingTime: 'Waiting time',
  firstResponseTime: 'First response',
  sessionDuration: 'Session duration',
  processedSessions: 'Processed sessions',
  botAnswerShare: 'Bot share',
  queueWait: 'Queue wait',
  sla_met_share_firstResponse: 'SLA met: first response',
  sla_met_share_nextResponse: 'SLA met: next response',
  sla_met_share_resolution: 'SLA met: resolution',
  csat: 'Satisfaction (CSAT)',
};
/** SLA metrics appear when the API has them (timers); the dashboard plots whatever `sla*` series it gets. */
const isPlotted = (type: string) => type in TITLES || type.toLowerCase().startsWith('sla');
const titleOf = (type: string) => TITLES[type] ?? (type.toLowerCase().startsWith('sla') ? `SLA met (${type})` : type);

function fmt(unit: string, v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (unit === 'ms') return duration(v);
  if (unit === 'ratio') return `${Math.round(v * 100)} %`;
  if (unit === 'score') return `${(Math.round(v * 10) / 10).toFixed(1)} / 5`;
  return String(Math.round(v * 100) / 100);
}

function chart(target: HTMLElement, metric: MetricsResponse['metrics'][number]): uPlot | undefined {
  const series = metric.series ?? [];
  const xs = series.map((p) => Date.parse(`${p.period.length === 7 ? `${p.period}-01` : p.period}T00:00:00Z`) / 1000);
  // Durations in minutes, or in seconds while every value is under two minutes.
  const seconds = metric.unit === 'ms' && series.every((p) => p.value === null || p.value < 120_000);
  const scale = metric.unit === 'ms' ? (seconds ? 1 / 1000 : 1 / 60_000) : metric.unit === 'ratio' ? 100 : 1;
  const ys = series.map((p) => (p.value === null ? null : p.value * scale));
  const label = metric.unit === 'ms' ? (seconds ? 'seconds' : 'minutes') : metric.unit === 'ratio' ? '%' : metric.unit === 'score' ? 'score 1–5' : 'count';
  const width = Math.max(260, Math.min(420, target.clientWidth || 360));
  return new uPlot(
    {
      width,
      height: 170,
      legend: { show: false },
      scales: { x: { time: true } },
      axes: [{ size: 30 }, { label, size: 50 }],
      series: [{}, { label: titleOf(metric.type), stroke: '#2563eb', width: 2, fill: 'rgba(37,99,235,.08)', spanGaps: false, points: { size: 5 } }],
    },
    [xs, ys],
    target,
  );
}

export function dashboard(root: HTMLElement, _me: Identity): () => void {
  const alert = h('p', { class: 'error', role: 'alert' });
  const granularity = h('select', { id: 'granularity' }, h('option', { value: 'day' }, 'Days (last 30)'), h('option', { value: 'week' }, 'Weeks (last 12)'));
  const cards = h('div', { class: 'lines' });
  mount(
    root,
    h(
      'div',
      { class: 'dashboard' },
      h('h1', {}, 'Dashboard'),
      h('p', { class: 'controls' }, h('label', { for: 'granularity' }, 'Plots by '), granularity),
      alert,
      cards,
    ),
  );
  const fail = (err: unknown) => (alert.textContent = err instanceof ApiError ? err.detail : String((err as Error).message ?? err));

  let lines: Line[] = [];
  const live = new Map<string, HTMLElement>();
  const plots = new Map<string, HTMLElement>();
  let charts: uPlot[] = [];

  async function loadLines() {
    lines = (await search<Line>('lines', { size: 100, sort: [{ field: '__name', ascending: true }] })).items;
    mount(
      cards,
      lines.length
        ? lines.map((line) => {
            const liveEl = h('div', { class: 'live' }, h('p', { class: 'muted' }, 'Loading…'));
            const plotsEl = h('div', { class: 'plots' });
            live.set(line.__id, liveEl);
            plots.set(line.__id, plotsEl);
            return h(
              'section',
              { class: 'card line', 'aria-labelledby': `line-${line.__id}` },
              h('h2', { id: `line-${line.__id}` }, line.__name),
              liveEl,
              plotsEl,
            );
          })
        : h('p', { class: 'muted' }, 'You supervise no lines.'),
    );
  }

  async function refreshLive() {
    for (const line of lines) {
      const el = live.get(line.__id)!;
      const [waiting, held, online] = await Promise.all([
        search<Session>('sessions', {
          where: { and: [{ eq: ['_line', line.__id] }, { eq: ['_state', 'Waiting'] }] },
          size: 1,
          count: true,
          sort: [{ field: '__createdAt', ascending: true }],
        }),
        search<Session>('sessions', { where: { and: [{ eq: ['_line', line.__id] }, { eq: ['_state', 'AssignedToOperator'] }] }, size: 1000 }),
        // Who is online, with the capacity that applies to each (routing's presence index).
        api<{ items: { __id: string; activeSessions: number; effectiveCapacity: number | null }[] }>('GET', `/v1/lines/${line.__id}/operators`).catch(() => ({
          items: [],
        })),
      ]);
      // SLA breaches today, as of the last aggregation: per policy, today's sessions that missed it
      // (`count - sum` of the sla_met_share series: each session counts 1 when met, 0 when missed).
      const today = new Date().toISOString().slice(0, 10);
      const slaToday = await api<MetricsResponse>('GET', `/v1/metrics?line=${line.__id}&granularity=day&from=${today}&to=${today}`).catch(() => undefined);
      const slaSeries = (slaToday?.metrics ?? []).filter((m) => m.type.startsWith('sla_met_share'));
      const oldest = waiting.items[0];
      const load = new Map<string, { n: number; capacity: number | null; online: boolean }>();
      for (const o of online.items) load.set(o.__id, { n: 0, capacity: o.effectiveCapacity, online: true });
      const lineCapacity = (line._routing as { capacity?: number | null } | undefined)?.capacity ?? null;
      for (const s of held.items) {
        if (!s._userId) continue;
        const entry = load.get(s._userId) ?? { n: 0, capacity: lineCapacity, online: false };
        entry.n += 1;
        load.set(s._userId, entry);
      }
      const sla = (line as { _sla?: Record<string, number | undefined> | null })._sla;
      const hasSla = !!sla && Object.values(sla).some((v) => v !== undefined);
      const breaches = hasSla
        ? slaSeries.reduce((total, m) => total + (m.series ?? []).reduce((n, p) => n + Math.max(0, (p.count ?? 0) - (p.sum ?? 0)), 0), 0)
        : null;
      mount(
        el,
        h(
          'dl',
          { class: 'stats' },
          h('div', {}, h('dt', {}, 'In the queue'), h('dd', { 'data-stat': 'queue' }, String(waiting.total ?? waiting.items.length))),
          h('div', {}, h('dt', {}, 'Oldest wait'), h('dd', { 'data-stat': 'oldest' }, oldest ? duration(Date.now() - Date.parse(oldest.__createdAt)) : '—')),
          h('div', {}, h('dt', {}, 'Operators online'), h('dd', { 'data-stat': 'online' }, String(online.items.length))),
          h(
            'div',
            {},
            h('dt', {}, 'SLA breaches today'),
            h(
              'dd',
              { 'data-stat': 'sla-breaches', title: 'Sessions that missed an SLA policy today, as of the last metrics aggregation (— : the line has no SLA)' },
              breaches === null ? '—' : String(breaches),
            ),
          ),
        ),
        load.size
          ? h(
              'table',
              { class: 'load' },
              h('caption', {}, 'Load by operator'),
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  h('th', { scope: 'col' }, 'Operator'),
                  h('th', { scope: 'col' }, 'Active sessions'),
                  h('th', { scope: 'col' }, 'Capacity'),
                  h('th', { scope: 'col' }, 'Status'),
                ),
              ),
              h(
                'tbody',
                {},
                [...load].map(([op, { n, capacity, online: isOnline }]) =>
                  h(
                    'tr',
                    {},
                    h('th', { scope: 'row' }, op),
                    h('td', {}, h('meter', { min: 0, max: capacity ?? Math.max(n, 3), value: n, 'aria-label': `${op} load` }), ` ${n}`),
                    h('td', {}, capacity ?? '—'),
                    h('td', {}, isOnline ? 'online' : 'offline'),
                  ),
                ),
              ),
            )
          : null,
      );
    }
  }

  async function refreshPlots() {
    for (const c of charts) c.destroy();
    charts = [];
    for (const line of lines) {
      const el = plots.get(line.__id)!;
      let report: MetricsResponse;
      try {
        report = await api<MetricsResponse>('GET', `/v1/metrics?line=${line.__id}&granularity=${granularity.value}`);
      } catch (err) {
        mount(el, h('p', { class: 'muted' }, err instanceof ApiError ? err.detail : 'No metrics.'));
        continue;
      }
      const figures = report.metrics.filter((m) => isPlotted(m.type) && m.series);
      mount(
        el,
        figures.map((m) => {
          const box = h('figure', { class: 'plot', 'data-metric': m.type });
          const last = [...(m.series ?? [])].reverse().find((p) => p.value !== null);
          // CSAT also says how many ratings the figure rests on (its period's count).
          const basis = m.unit === 'score' && last ? ` (${last.count ?? 0} rating${last.count === 1 ? '' : 's'})` : '';
          box.append(h('figcaption', {}, `${titleOf(m.type)} `, h('span', { class: 'muted' }, `latest ${fmt(m.unit, last?.value)}${basis}`)));
          return box;
        }),
        h('p', { class: 'muted small' }, `Aggregated ${report.asOf ? new Date(report.asOf).toLocaleString() : 'not yet'}.`),
      );
      for (const m of figures) {
        const box = el.querySelector<HTMLElement>(`figure[data-metric="${m.type}"]`)!;
        const c = chart(box, m);
        if (c) charts.push(c);
      }
    }
  }

  let started = false;
  const liveWatch = watch(async () => {
    try {
      if (!started) {
        await loadLines();
        started = true;
        await refreshPlots();
      }
      await refreshLive();
    } catch (err) {
      fail(err);
    }
  }, 5000);
  const plotTimer = setInterval(() => void refreshPlots().catch(fail), 60_000);
  granularity.addEventListener('change', () => void refreshPlots().catch(fail));
  return () => {
    liveWatch.stop();
    clearInterval(plotTimer);
    for (const c of charts) c.destroy();
  };
}
