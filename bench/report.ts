/**
 * The report of `npm run bench`: one JSON file with every figure and a Markdown file with a
 * table per step, pass/fail per budget, and the cause next to every failure.
 */
import { type BundleResult, COLD_BUDGET, SIZE_BUDGET } from './bundles.ts';
import { type CostResult, costBaseline, costMarkdown } from './cost.ts';
import { type EventsResult, eventsMarkdown } from './events.ts';
import type { GrowthResult } from './growth.ts';
import { describe as describeItems, totalOf } from './item-work.ts';
import { type LiveResult, liveMarkdown } from './live.ts';
import type { LoadResult } from './load.ts';
import type { OpsResult } from './ops.ts';
import { COMMAND_FLOORS } from './ops.ts';
import { type PartitionsResult, partitionsMarkdown } from './partitions.ts';
import { ROUTING_P99_MS, ROUTING_RATE, type RoutingResult } from './routing.ts';
import { SCREEN_BUDGETS_MS, type ScreenResult, screenMarkdown } from './screen.ts';
import { type TimersResult, timersMarkdown } from './timers.ts';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  java: string;
  os: string;
}

export interface BenchReport {
  date: string;
  mode: 'full' | 'quick';
  machine: Machine;
  durationSeconds: number;
  steps: string[];
  bundles?: BundleResult;
  ops?: OpsResult;
  growth?: GrowthResult;
  load?: LoadResult;
  events?: EventsResult;
  live?: LiveResult;
  screen?: ScreenResult;
  routing?: RoutingResult;
  timers?: TimersResult;
  cost?: CostResult;
  partitions?: PartitionsResult;
  errors: Record<string, string>;
  budgets: BudgetLine[];
}

export interface BudgetLine {
  budget: string;
  result: string;
  pass: boolean | null;
  cause?: string;
}

/** The steps of a full run, in the order bench/run.ts runs them; a report of fewer says which it holds. */
export const STEPS = ['bundles', 'ops', 'load', 'events', 'live', 'screen', 'cost', 'partitions', 'timers', 'growth', 'routing'] as const;
const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
/** A command through the host may take at most this many times its own DynamoDB time (p99 against p99). */
export const COMMAND_HOST_RATIO = 2;

const mark = (pass: boolean | null | undefined) => (pass === true ? '✅ pass' : pass === false ? '❌ fail' : '—');
const cell = (v: unknown) => String(v ?? '—').replace(/\|/g, '\\|');
const row = (cells: unknown[]) => `| ${cells.map(cell).join(' | ')} |`;

/** The pass/fail summary, one line per budget, each failure with its cause. */
export function budgets(r: Omit<BenchReport, 'budgets'>): BudgetLine[] {
  const out: BudgetLine[] = [];
  if (r.bundles) {
    const deployed = r.bundles.rows.filter((x) => x.variant === 'deployed');
    const big = deployed.filter((x) => !x.sizePass);
    const heavy = big[0]?.heaviest.map((h) => `${h.input} ${kb(h.bytes)}`).join(', ');
    out.push({
      budget: `bundle ≤ ${kb(SIZE_BUDGET)} minified per function (SDK external; the lazy modules apart${r.bundles.lazyBytes ? `: ${Object.keys(r.bundles.lazyBytes).join(', ')}` : ''})`,
      result: `${deployed.length - big.length}/${deployed.length} within; largest ${kb(Math.max(...deployed.map((x) => x.bytes)))}`,
      pass: big.length === 0,
      ...(big.length
        ? {
            cause: `over: ${big.length} bundles; heaviest inputs of ${big[0]!.function}: ${heavy}${r.bundles.whatIf.length ? `; ${r.bundles.whatIf.map((w) => `${w.change} ${kb(w.bytes)}`).join(' · ')}` : ''}`,
          }
        : {}),
    });
    const slow = deployed.filter((x) => !x.coldPass);
    out.push({
      budget: `cold load ≤ ${COLD_BUDGET} × floor (median, process start → import done)`,
      result: `${deployed.length - slow.length}/${deployed.length} within; worst ${Math.max(...deployed.map((x) => x.ratioTotal))}× (floor ${r.bundles.floor.deployed.coldTotalMs} ms); import alone: median ${[...deployed.map((x) => x.ratioImport)].sort((a, b) => a - b)[Math.floor(deployed.length / 2)]}×, worst ${Math.max(...deployed.map((x) => x.ratioImport))}×`,
      pass: slow.length === 0,
      ...(slow.length ? { cause: `over: ${slow.map((x) => `${x.function} ${x.ratioTotal}×`).join(', ')}` } : {}),
    });
  }
  if (r.ops) {
    const measured = r.ops.rows.filter((x) => x.status === 'measured');
    // Samples that met an expired line cache (its refresh read counted apart: bench/ops.ts isCacheRefresh).
    const refreshNote = (rows: typeof measured) => {
      const met = rows.filter((x) => x.cacheRefreshes);
      return met.length ? `; line cache refreshed (counted apart) in ${met.map((x) => `${x.label} ${x.cacheRefreshes}/${x.samples}`).join(', ')}` : '';
    };
    for (const kind of ['command', 'fetch', 'search'] as const) {
      const rows = measured.filter((x) => x.kind === kind && x.pass !== undefined);
      if (!rows.length) continue;
      const failed = rows.filter((x) => !x.pass);
      const name =
        kind === 'command'
          ? '≤ 2 DynamoDB round trips per single-session command (a read, then one transaction), or its stated floor'
          : kind === 'fetch'
            ? 'a fetch is one GetItem'
            : 'a page of search = one Query per index touched (+ one BatchGetItem of its items)';
      const floors = kind === 'command' ? rows.filter((x) => COMMAND_FLOORS[x.routeKey] && x.pass) : [];
      const floorOf = (x: (typeof rows)[number]) => {
        const f = COMMAND_FLOORS[x.routeKey]!;
        return f.roundTrips === undefined ? `${f.calls} calls` : `${f.roundTrips} round trips, ${f.calls} calls`;
      };
      out.push({
        budget: name,
        result: `${rows.length - failed.length}/${rows.length} within${floors.length ? ` (${floors.map((x) => `${x.label} at its stated floor of ${floorOf(x)}`).join('; ')})` : ''}${refreshNote(rows)}`,
        pass: failed.length === 0,
        ...(failed.length
          ? {
              cause: failed
                .map(
                  (x) =>
                    `${x.label}: ${x.pattern}${x.roundTrips !== undefined && x.roundTrips !== x.calls ? ` (${x.roundTrips} round trips)` : ''}${x.worstPattern ? `; at worst ${x.worstPattern}` : ''}`,
                )
                .join('; '),
            }
          : {}),
      });
    }
    const commands = measured.filter((x) => x.kind === 'command' && x.dynamo && Number.isFinite(x.dynamo.ratio));
    if (commands.length) {
      const over = commands.filter((x) => x.dynamo!.ratio > COMMAND_HOST_RATIO);
      const worst = commands.reduce((a, b) => (b.dynamo!.ratio > a.dynamo!.ratio ? b : a));
      out.push({
        budget: `a command's p99 through the local host ≤ ${COMMAND_HOST_RATIO} × the p99 of its own DynamoDB calls`,
        result: `${commands.length - over.length}/${commands.length} within; worst ${worst.label} ${worst.seq!.p99} ms vs ${worst.dynamo!.p99} ms = ${worst.dynamo!.ratio}×`,
        pass: over.length === 0,
        ...(over.length ? { cause: over.map((x) => `${x.label}: ${x.seq!.p99} ms vs ${x.dynamo!.p99} ms (${x.dynamo!.ratio}×)`).join('; ') } : {}),
      });
    }
    if (r.ops.fetchRatio) {
      const f = r.ops.fetchRatio;
      out.push({
        budget: 'p99 of a fetch through the local host ≤ 3 × p99 of the bare GetItem',
        result: `${f.fetchP99} ms vs ${f.bareP99} ms = ${f.ratio}×`,
        pass: f.pass,
        ...(f.pass ? {} : { cause: 'host + handler overhead (JWT verify, event build, zod, policy) dominates a sub-millisecond local GetItem' }),
      });
    }
    const notAvailable = r.ops.rows.filter((x) => x.status !== 'measured');
    const routeCount = new Set(r.ops.rows.map((x) => x.routeKey)).size;
    out.push({
      budget: 'every route measured',
      result: notAvailable.length ? `${notAvailable.length} not measured` : `${routeCount}/${routeCount} routes`,
      pass: notAvailable.length === 0,
      ...(notAvailable.length ? { cause: notAvailable.map((x) => `${x.label}: ${x.status}${x.note ? ` (${x.note})` : ''}`).join('; ') } : {}),
    });
  }
  if (r.cost) {
    const baseline = costBaseline().cost;
    const before = baseline.dollarsPer1000.total;
    const after = r.cost.dollarsPer1000.total;
    const [p, b] = [r.cost.perSession, baseline.perSession];
    out.push({
      budget: 'cost of a session ≤ ½ of the stored baseline (before the hot-partition work)',
      result: `$${after} vs $${before} per 1,000 sessions = ${Math.round((after / before) * 100) / 100}×`,
      pass: after <= before / 2,
      ...(after <= before / 2
        ? {}
        : {
            cause: `write units per session (baseline in brackets): API requests ${p.requestWcu} (${b.requestWcu}), stream consumer with its deliveries ${p.consumerWcu} (${b.consumerWcu}), aggregation ${p.aggregationWcu} (${b.aggregationWcu}); DynamoDB $${r.cost.dollarsPer1000.dynamodb} of the $${after}`,
          }),
    });
  }
  if (r.growth) {
    const sizes = r.growth.sizes.map((s) => s.sessions);
    for (const b of r.growth.budget) {
      out.push({
        budget: `${b.label}: cost at ${sizes.at(-1)?.toLocaleString('en')} ≤ 1.2 × at ${sizes[0]?.toLocaleString('en')}`,
        result: `${b.at1k} → ${b.atMax} ${b.unit} (${b.ratio}×)`,
        pass: b.pass,
        ...(b.pass ? {} : { cause: 'reads grow with the partition instead of stopping at the page: see the growth table (items read)' }),
      });
    }
    for (const note of r.growth.notes.filter((n) => n.includes('not available'))) out.push({ budget: note.split(':')[0]!, result: note, pass: false });
  }
  if (r.load) {
    const l = r.load;
    out.push({
      budget: `zero errors under load (autocannon, ${l.connections} connections, ${l.durationSeconds} s, mixed workload)`,
      result: `${l.requests} requests, ${l.errors + l.non2xx} errors (${l.errors} socket, ${l.non2xx} non-2xx)`,
      pass: l.pass,
      ...(l.pass
        ? {}
        : {
            cause: [
              l.missing.length ? `missing routes: ${l.missing.join(', ')}` : '',
              Object.entries(l.byStep)
                .map(([step, codes]) => [step, Object.entries(codes).filter(([c]) => !c.startsWith('2'))] as const)
                .filter(([, bad]) => bad.length)
                .map(([step, bad]) => `${step}: ${bad.map(([c, n]) => `${n}× ${c}`).join(', ')}`)
                .join('; '),
            ]
              .filter(Boolean)
              .join('; '),
          }),
    });
  }
  if (r.screen) {
    for (const limit of SCREEN_BUDGETS_MS)
      for (const x of r.screen.rows)
        out.push({
          budget: `message to screen: ${x.path} p99 ≤ ${limit} ms (local host, one at a time)`,
          result: `p50 ${x.p50} ms, p99 ${x.p99} ms (${x.samples} samples)`,
          pass: x.p99 <= limit,
          ...(x.p99 <= limit ? {} : { cause: 'the path: request and commit, the local stream poll, the consumer (message read), the push' }),
        });
  }
  for (const [step, error] of Object.entries(r.errors)) out.push({ budget: `step ${step}`, result: `failed: ${error}`, pass: false });
  if (r.routing) {
    const top = r.routing.rates.find((x) => x.rate === ROUTING_RATE);
    if (top) {
      const pass = top.routed === top.sessions && top.p99Ms <= ROUTING_P99_MS && top.refused === 0;
      out.push({
        budget: `the local host routes ${ROUTING_RATE} new sessions/s: routing delay p99 ≤ ${ROUTING_P99_MS / 1000} s, no arrival refused (503/429)`,
        result: `${top.routed}/${top.sessions} routed; p50 ${top.p50Ms} ms, p99 ${top.p99Ms} ms; ${top.refused} refused; ${top.callsPerSession} calls per routed session`,
        pass,
        ...(pass
          ? {}
          : {
              cause: [
                top.routed < top.sessions ? `${top.sessions - top.routed} not routed within two minutes` : '',
                top.p99Ms > ROUTING_P99_MS
                  ? r.routing.ceiling && r.routing.ceiling.arrivalsPerSecond < ROUTING_RATE
                    ? `the host itself takes at most ${r.routing.ceiling.arrivalsPerSecond} arrivals/s on this machine (closed loop, routing included): the arrivals' own writes queue in DynamoDB Local (their answers p99 ${top.answerP99Ms ?? '?'} ms), so the delay grows before routing sees them${
                        r.routing.ceiling.withinRate
                          ? `; at ${r.routing.ceiling.withinRate.rate}/s (80 % of that) the delay is p99 ${r.routing.ceiling.withinRate.p99Ms} ms`
                          : ''
                      }${top.itemWork ? `; each new session writes ${totalOf(top.itemWork.writes)} items and reads ${totalOf(top.itemWork.reads)} there` : ''}`
                    : 'the delay grows while arrivals come faster than the stream consumer routes them'
                  : '',
                top.refused > 0 ? 'DynamoDB Local answered too slowly (the SDK timed out): 503' : '',
              ]
                .filter(Boolean)
                .join('; '),
            }),
      });
    }
  }
  if (r.timers) {
    const t = r.timers;
    const first = t.sweeps[0]!;
    const last = t.sweeps.at(-1)!;
    out.push({
      budget: 'timer sweep flat in the clocks not due (100 due)',
      result: `${first.running} → ${last.running} running: ${first.queries} → ${last.queries} queries, ${first.rcu} → ${last.rcu} RCU; lateness p50 ${t.lateness.p50} ms, p99 ${t.lateness.p99} ms (sweep every ${t.lateness.periodSeconds} s)`,
      pass: t.pass,
    });
  }
  if (r.partitions) {
    const p = r.partitions;
    const at = p.model.newSessionsPerSecond.toLocaleString('en');
    for (const [kind, unit, limit] of [
      ['write', 'WCU', p.model.writeLimit],
      ['read', 'RCU', p.model.readLimit],
    ] as const) {
      const busiest = p.busiest[kind];
      const over = p.overLimit[kind];
      out.push({
        budget: `busiest partition ≤ ${limit.toLocaleString('en')} ${unit}/s at ${at} new sessions/s on one line (${kind}s)`,
        result: busiest ? `${busiest.target} \`${busiest.partition}\`: ${busiest.perSecond.toLocaleString('en')} ${unit}/s` : 'no partition',
        pass: over.length === 0,
        ...(over.length
          ? { cause: `over the limit: ${over.map((x) => `${x.target} \`${x.partition}\` ${x.perSecond.toLocaleString('en')} ${unit}/s`).join('; ')}` }
          : {}),
      });
    }
  }
  return out;
}

export function markdown(r: BenchReport): string {
  const lines: string[] = [];
  const push = (...l: string[]) => lines.push(...l);
  push(
    `# chatlines benchmarks — ${r.mode === 'quick' ? 'QUICK run (development, not for publishing)' : 'full run'}`,
    '',
    `Measured ${r.date} by \`npm run bench${r.mode === 'quick' ? ' -- --quick' : ''}\` in ${Math.round(r.durationSeconds / 60)} min${r.steps.length < STEPS.length ? ` (steps: ${r.steps.join(', ')}; the other steps' figures are in the last full run's report)` : ''} on ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGb} GB RAM, ${r.machine.os}, Node ${r.machine.node}, ${r.machine.java}; DynamoDB Local in memory, started by the bench. Latencies are of this shared machine: compare the ratios, not the milliseconds.`,
    '',
    '## Budgets',
    '',
    row(['Budget', 'Result', 'Pass', 'Cause']),
    row(['---', '---', '---', '---']),
    ...r.budgets.map((b) => row([b.budget, b.result, mark(b.pass), b.cause ?? ''])),
    '',
  );

  if (r.bundles) {
    const b = r.bundles;
    push(
      '## 1. Bundles',
      '',
      `${b.options}. Cold load = median of ${b.runs} fresh \`node\` processes importing the bundle (loader: bench/cold-load.mjs); "start→import" counts from process start, "import" the import alone. Floor = a bundle that only builds a DynamoDB document client: deployed ${kb(b.floor.deployed.bytes)}, ${b.floor.deployed.coldTotalMs} ms (import ${b.floor.deployed.coldImportMs} ms); SDK bundled ${kb(b.floor.sdkBundled.bytes)}, ${b.floor.sdkBundled.coldTotalMs} ms (import ${b.floor.sdkBundled.coldImportMs} ms).`,
      '',
      row([
        'Function',
        'Size (deployed)',
        `≤ ${kb(SIZE_BUDGET)}`,
        'Cold start→import',
        '× floor',
        'Import only × floor',
        `≤ ${COLD_BUDGET}×`,
        'Size with SDK',
        'Cold with SDK × floor',
        'Heaviest inputs (deployed)',
      ]),
      row(['---', '---:', '---', '---:', '---:', '---:', '---', '---:', '---:', '---']),
    );
    for (const d of b.rows.filter((x) => x.variant === 'deployed')) {
      const s = b.rows.find((x) => x.variant === 'sdkBundled' && x.function === d.function);
      push(
        row([
          d.function,
          kb(d.bytes),
          mark(d.sizePass),
          `${d.coldTotalMs} ms`,
          d.ratioTotal,
          d.ratioImport,
          mark(d.coldPass),
          s ? kb(s.bytes) : '—',
          s ? s.ratioTotal : '—',
          d.heaviest.map((h) => `${h.input} ${kb(h.bytes)}`).join(', '),
        ]),
      );
    }
    push('');
    if (b.lazyBytes) {
      push(
        `Lazy modules (lib/adapters/lazy.ts), each bundled beside the functions that import it as \`<name>.mjs\` and loaded on first use, not counted above: ${Object.entries(
          b.lazyBytes,
        )
          .map(([name, bytes]) => `${name} ${kb(bytes)}`)
          .join(
            ', ',
          )}. The tracer (Powertools tracer, aws-xray-sdk-core, semver) is imported only when tracing is on (in Lambda, unless POWERTOOLS_TRACE_ENABLED=false); the cold loads above are with tracing off.`,
        '',
      );
    }
    if (b.whatIf.length) {
      push(`The validator in the largest bundle: ${b.whatIf.map((w) => `${w.change} ${kb(w.bytes)}`).join(' · ')} (${b.whatIf[0]!.function}).`, '');
    }
  }

  if (r.ops) {
    const o = r.ops;
    push(
      '## 2. Operations',
      '',
      `Through the local host over DynamoDB Local, ${o.samples} requests sequential and ${o.samples} with 10 in flight per row (setup requests excluded). Calls = DynamoDB calls per request (\`usage.calls\`, median), and the round trips they make when some run in parallel; pattern = the operations one request makes; capacity = ReturnConsumedCapacity as DynamoDB Local reports it (a transactional write counts 2 WCU per KB and item).`,
      '',
      row([
        'Route',
        'Kind',
        'As',
        'Seq p50',
        'Seq p99',
        '10× p50',
        '10× p99',
        'Own DynamoDB p99',
        'Seq p99 ÷ own DynamoDB p99',
        'Calls',
        'Pattern',
        'RCU/req',
        'WCU/req',
        'RCU/call',
        'WCU/call',
        'Errors',
        'Budget',
        'Pass',
      ]),
      row(['---', '---', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---', '---:', '---:', '---:', '---:', '---:', '---', '---']),
    );
    for (const x of o.rows) {
      if (x.status !== 'measured') {
        push(row([x.label, x.kind, '', x.status, '', '', '', '', '', '', x.note ?? '', '', '', '', '', '', '', '']));
        continue;
      }
      push(
        row([
          x.label,
          x.kind,
          x.role,
          `${x.seq!.p50} ms`,
          `${x.seq!.p99} ms`,
          `${x.conc!.p50} ms`,
          `${x.conc!.p99} ms`,
          x.dynamo ? `${x.dynamo.p99} ms` : '—',
          x.dynamo ? `${x.dynamo.ratio}×` : '—',
          `${x.callsMax !== undefined && x.callsMax !== x.calls ? `${x.calls} (max ${x.callsMax})` : x.calls}${x.roundTrips !== undefined && x.roundTrips !== x.calls ? ` in ${x.roundTrips} round trips` : ''}`,
          x.worstPattern ? `${x.pattern}; at worst ${x.worstPattern}` : x.pattern,
          x.rcuPerRequest,
          x.wcuPerRequest,
          x.rcuPerCall,
          x.wcuPerCall,
          x.errors,
          x.budget ?? '',
          mark(x.pass),
        ]),
      );
    }
    push('');
    if (o.fetchRatio) {
      push(
        `Fetch vs bare GetItem (interleaved, ${o.bareGet.samples} each): bare GetItem p50 ${o.bareGet.p50} ms, p99 ${o.bareGet.p99} ms; \`GET /v1/sessions/{id}\` through the host p50 ${o.fetchRatio.fetchP50} ms, p99 ${o.fetchRatio.fetchP99} ms → ${o.fetchRatio.ratio}× (budget ≤ 3×: ${mark(o.fetchRatio.pass)}).`,
        '',
      );
    }
  }

  if (r.growth) {
    const g = r.growth;
    const sizes = g.sizes;
    push(
      '## 3. Growth',
      '',
      `Sessions seeded with BatchWriteItem (items from lib/adapters/dynamodb/items.ts; 4 lines × 2 channels, 20 operators, one client per 4 sessions, 70 % Closed / 10 % with an operator / 8 % Waiting / 5 % bot / 7 % spam, 3–180 days old). Each cell: consumed RCU / items read / DynamoDB calls for one page (size 10) as an admin. Scan baseline: a full-table Scan (bench code only) for the same question — what an unindexed search would pay.`,
      '',
      row([
        'Pattern',
        ...sizes.map((s) => `${s.sessions.toLocaleString('en')} sessions (${s.items.toLocaleString('en')} items, seeded in ${s.seedSeconds} s)`),
      ]),
      row(['---', ...sizes.map(() => '---:')]),
    );
    const fmt = (c?: { rcu: number; itemsRead: number; calls: number; wcu?: number; note?: string }) =>
      !c ? '—' : c.note ? c.note : `${c.rcu} RCU${c.wcu ? ` + ${c.wcu} WCU` : ''} / ${c.itemsRead} items / ${c.calls} calls`;
    for (const p of g.patterns)
      push(row([`search — ${p.label}${p.indexed ? '' : ' *(not indexed, no budget)*'}`, ...sizes.map((s) => fmt(s.search[p.label]))]));
    push(row(['**Scan baseline** (whole table)', ...sizes.map((s) => fmt(s.scan))]));
    push(row(['aggregation after 100 changes', ...sizes.map((s) => fmt(s.aggregation))]));
    push(row(['metrics request (30 days, one line)', ...sizes.map((s) => fmt(s.metrics))]));
    push('');
    if (g.notes.length) push(...g.notes.map((n) => `- ${n}`), '');
  }

  if (r.load) {
    const l = r.load;
    push(
      '## 4. Load',
      '',
      `autocannon, ${l.connections} connections, ${l.durationSeconds} s, each connection cycling: inbound (new session) → inbound (same session) → assign → reply → close → search (waiting queue) → fetch. ${l.requests} requests (${l.rps} req/s), latency p50 ${l.latency.p50} ms, p99 ${l.latency.p99} ms, max ${l.latency.max} ms; errors ${l.errors}, timeouts ${l.timeouts}, non-2xx ${l.non2xx}: ${mark(l.pass)}.`,
      '',
      row(['Step', 'Responses by status']),
      row(['---', '---']),
      ...Object.entries(l.byStep).map(([step, codes]) =>
        row([
          step,
          Object.entries(codes)
            .map(([c, n]) => `${c}: ${n}`)
            .join(', '),
        ]),
      ),
      '',
    );
  }
  for (const [step, error] of Object.entries(r.errors)) push(`**Step ${step} failed:** ${error}`, '');
  if (r.events) push(...eventsMarkdown(r.events, row));
  if (r.live) push(...liveMarkdown(r.live, row));
  if (r.screen) push(...screenMarkdown(r.screen, row));
  if (r.routing) {
    const g = r.routing;
    push(
      '## Routing',
      '',
      `One line in \`auto\` mode, ${g.operators} online operators, capacity ${g.capacity}; new sessions (inbound messages) at a fixed rate, open loop. ${g.note}`,
      '',
      row([
        'New sessions / s',
        'Sessions',
        'Routed',
        'p50 delay (ms)',
        'p99 delay (ms)',
        'max (ms)',
        'DynamoDB calls / routed session',
        'RCU / routed session',
        'WCU / routed session',
        'routing work (ms) / routed session',
        'arrivals refused (503/429)',
        'arrival answered p50 / p99 (ms)',
      ]),
      row(['---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
      ...g.rates.map((x) =>
        row([
          x.rate,
          x.sessions,
          x.routed,
          x.p50Ms,
          x.p99Ms,
          x.maxMs,
          x.callsPerSession,
          x.rcuPerSession,
          x.wcuPerSession,
          x.routingMsPerSession,
          x.refused ?? '—',
          x.answerP50Ms === undefined ? '—' : `${x.answerP50Ms} / ${x.answerP99Ms}`,
        ]),
      ),
      '',
      ...g.rates
        .filter((x) => x.itemWork)
        .flatMap((x) => [
          `What one new session asks of DynamoDB Local at ${x.rate}/s (every call of the host, requests and background, from the first arrival until the stream was drained; DynamoDB Local works item by item on one SQLite thread, see docs/benchmarks.md): item writes ${describeItems(x.itemWork!.writes)}; item reads ${describeItems(x.itemWork!.reads)}; ${x.itemWork!.calls} calls. The stream's own reads (GetRecords) come on top.`,
          '',
        ]),
      ...(g.ceiling
        ? [
            `What the host accepts at most (closed loop: ${g.ceiling.concurrency} senders, each sending its next arrival when the last is answered, ${g.ceiling.seconds} s, the same workers and ${g.operators} operators): **${g.ceiling.arrivalsPerSecond} arrivals/s**, answered in p50 ${g.ceiling.answerP50Ms} ms, p99 ${g.ceiling.answerP99Ms} ms, ${g.ceiling.refused ?? 0} refused.${
              g.ceiling.arrivalsPerSecond < ROUTING_RATE
                ? ` Below ${ROUTING_RATE}/s, no routing keeps the delay flat at ${ROUTING_RATE}/s: the arrivals' own writes queue first.`
                : ''
            }${
              g.ceiling.withinRate
                ? ` At ${g.ceiling.withinRate.rate}/s (80 % of it): ${g.ceiling.withinRate.routed}/${g.ceiling.withinRate.sessions} routed, delay p50 ${g.ceiling.withinRate.p50Ms} ms, p99 ${g.ceiling.withinRate.p99Ms} ms, ${g.ceiling.withinRate.refused} refused, arrivals answered p99 ${g.ceiling.withinRate.answerP99Ms} ms.`
                : ''
            }`,
            '',
          ]
        : []),
    );
  }
  if (r.timers) push(...timersMarkdown(r.timers, row));
  if (r.cost) push(...costMarkdown(r.cost, row));
  if (r.partitions) push(...partitionsMarkdown(r.partitions, row));
  return lines.join('\n');
}
