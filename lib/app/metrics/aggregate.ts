/**
 * The metrics aggregation: incremental, and exact under retries and overlapping runs.
 *
 * - What changed: the change index (gsi5, `CHANGES#<hour>#<shard>` / `<last change>#<id>`)
 *   follows every session's last command and last message. A run reads the hour partitions
 *   from its watermark minus an overlap up to now — never the whole table — and advances the
 *   watermark to its own start only after every changed session was applied.
 * - Exactly once: each session has a *contribution* item that records, per rollup cell, what
 *   the session has added to it. A run recomputes the session's cells from its messages
 *   (lib/domain/metrics/definitions.ts) and, in one transaction conditioned on the contribution's
 *   version, adds (new − old) to every rollup that moved and stores the new contribution.
 *   The invariant "each rollup = Σ contributions" holds after every transaction, so a repeated
 *   run finds nothing to add, a concurrent run loses the version race and re-reads, and a run
 *   that crashed half way leaves rollups that the rerun completes.
 * - Several sessions share one transaction (hot partitions): every session of a line
 *   adds to the same few rollup items (`METRIC#<line>#line:all`, its channel's), so one
 *   transaction per session would write those items once per session — at 1,000 new sessions a
 *   second, 6,000 WCU/s on one partition. A run reads a window of sessions (contributions in one
 *   BatchGetItem, messages in parallel) and writes them in transactions of up to
 *   `sessionsPerTransaction` sessions: each session's contribution (conditioned on its version)
 *   plus the *summed* deltas of the rollups they move, each rollup once. The invariant still
 *   holds after every transaction. Transactions are written one after another, so a run never
 *   races itself on a rollup item; when a grouped transaction fails (a concurrent run moved one
 *   of its sessions, or a TransactionConflict), each of its sessions is applied on its own with
 *   a fresh read, as below.
 * - A session whose cells touch more rollups than one transaction may hold is applied on its own,
 *   in chunks; each chunk moves exactly its rollups and their recorded contribution together, so
 *   the invariant still holds between chunks.
 */
import { mapPool, retry } from '../../adapters/concurrency.ts';
import { transact } from '../../adapters/dynamodb/db.ts';
import {
  advanceWatermark,
  type ChangedSession,
  type Contribution,
  changedSince,
  contributionPut,
  readContribution,
  readContributions,
  readWatermark,
  rollupUpdate,
} from '../../adapters/dynamodb/metrics.ts';
import { listMessages } from '../../adapters/dynamodb/sessions.ts';
import { ChatlinesError, isConflict } from '../../contract/errors.ts';
import type { Message } from '../../contract/schemas.ts';
import { type Cells, contributionCells, diffCells, parseCellId, sessionFigures } from '../../domain/metrics/definitions.ts';

export interface AggregateOptions {
  /** The run's clock (tests); default now. */
  now?: Date;
  /** How far before the watermark a run re-reads (late index updates, clock skew). Default 5 min. */
  overlapMs?: number;
  /** Where the very first run starts (no watermark yet). Default 48 h before now. */
  backfillMs?: number;
  /** Read changes from here instead of the watermark (a re-run over a known window). */
  since?: Date;
  /**
   * Epoch ms after which the run takes no further session (a Lambda's remaining time). The
   * watermark then moves only up to the earliest change not yet applied; the next run goes on
   * from there.
   */
  deadline?: number;
  /** Sessions read in parallel (their messages). Default 4. */
  concurrency?: number;
  /** Rollup updates per transaction of one session (DynamoDB allows 100 items, one is the contribution). */
  rollupsPerTransaction?: number;
  /** Sessions that may share one transaction (default 25; 1 = one transaction per session). */
  sessionsPerTransaction?: number;
}

export interface AggregateReport {
  /** The changes read: last change in [from, …). */
  from: string;
  /** The run's start: the next watermark. */
  watermark: string;
  /** Distinct sessions found in the change index. */
  sessions: number;
  /** Sessions whose contribution moved. */
  updated: number;
  /** Transactions written. */
  transactions: number;
  /** Items read: index entries, contributions and messages. */
  itemsRead: number;
  /** Whether the watermark item was advanced (false when a concurrent run got further). */
  advanced: boolean;
  /** Sessions left for the next run because the deadline came (0 normally). */
  deferred: number;
}

export const DEFAULT_OVERLAP_MS = 5 * 60_000;
export const DEFAULT_BACKFILL_MS = 48 * 3_600_000;
const MAX_ATTEMPTS = 20;

/** Every message of a session, in order (consistent reads). */
async function allMessages(sessionId: string): Promise<Message[]> {
  return listMessages(sessionId, 0, Number.MAX_SAFE_INTEGER);
}

const retriable = (error: unknown) => isConflict(error) || (error instanceof ChatlinesError && error.kind === 'throttled');

/** What a session's contribution should become, read and computed, not yet written. */
interface Prepared {
  session: ChangedSession;
  stored: Contribution | undefined;
  target: Cells;
  delta: Cells;
}

/** Computes a session's target cells and delta from its stored contribution and its messages. */
async function prepare(session: ChangedSession, stored: Contribution | undefined, counter: { itemsRead: number }): Promise<Prepared> {
  const messages = await allMessages(session.id);
  counter.itemsRead += messages.length;
  const target = contributionCells(session, sessionFigures(messages));
  return { session, stored, target, delta: diffCells(stored?.cells ?? {}, target) };
}

const clampRollups = (n: number | undefined) => Math.max(1, Math.min(n ?? 99, 99));

/**
 * Recomputes one session's contribution and applies the difference to the rollups, in its own
 * transactions (chunks of `rollupsPerTransaction` rollups). Returns the number of transactions
 * written (0: nothing had changed).
 */
export async function applySession(
  session: ChangedSession,
  options: Pick<AggregateOptions, 'rollupsPerTransaction'> & { counter?: { itemsRead: number }; prepared?: Prepared },
): Promise<number> {
  const perTransaction = clampRollups(options.rollupsPerTransaction);
  const counter = options.counter ?? { itemsRead: 0 };
  let transactions = 0;
  let prepared = options.prepared;
  // Another run applied this session, or touched the same rollups: read again.
  return retry(
    async () => {
      if (!prepared) {
        // The contribution is read before the messages: whatever this run writes is then at
        // least as fresh as what the contribution's version stands for.
        const stored = await readContribution(session.id);
        counter.itemsRead += stored ? 1 : 0;
        prepared = await prepare(session, stored, counter);
      }
      const { stored, target, delta } = prepared;
      prepared = undefined;
      const moved = Object.keys(delta);
      if (moved.length === 0) return transactions;
      let version = stored?.version;
      const applied: Cells = { ...(stored?.cells ?? {}) };
      for (let start = 0; start < moved.length; start += perTransaction) {
        const ids = moved.slice(start, start + perTransaction);
        for (const id of ids) {
          if (target[id]) applied[id] = target[id];
          else delete applied[id];
        }
        const at = new Date().toISOString();
        await transact(
          [contributionPut(session, { ...applied }, version, at), ...ids.map((id) => rollupUpdate(parseCellId(id), delta[id]!))],
          `the metrics of session ${session.id} were applied concurrently`,
        );
        transactions += 1;
        version = (version ?? 0) + 1;
      }
      return transactions;
    },
    { attempts: MAX_ATTEMPTS + 1, baseMs: 10, capMs: 250, retryOn: retriable },
  );
}

/**
 * Several prepared sessions in one transaction: each one's contribution, conditioned on the
 * version read, and every rollup they move once, with their deltas summed. Returns false when
 * the transaction was refused (a concurrent run, a conflict): nothing was written.
 */
async function applyGroup(group: readonly Prepared[]): Promise<boolean> {
  const rollups: Cells = {};
  for (const p of group) {
    for (const [id, delta] of Object.entries(p.delta)) {
      const sum = (rollups[id] ??= {});
      for (const [field, value] of Object.entries(delta)) sum[field] = (sum[field] ?? 0) + value;
    }
  }
  const at = new Date().toISOString();
  try {
    await transact(
      [
        ...group.map((p) => contributionPut(p.session, p.target, p.stored?.version, at)),
        // A rollup whose summed delta is zero in every field is left alone.
        ...Object.entries(rollups)
          .filter(([, delta]) => Object.values(delta).some((v) => v !== 0))
          .map(([id, delta]) => rollupUpdate(parseCellId(id), delta)),
      ],
      'the metrics of these sessions were applied concurrently',
    );
    return true;
  } catch (error) {
    if (retriable(error)) return false;
    throw error;
  }
}

/**
 * One aggregation run: reads the sessions changed since the watermark (minus the overlap),
 * applies each, then advances the watermark to the run's start. A failure anywhere leaves
 * the watermark where it was, so the next run (or the scheduler's retry) covers the same
 * changes again — harmlessly, since applying a session is idempotent.
 */
export async function aggregateMetrics(options: AggregateOptions = {}): Promise<AggregateReport> {
  const now = options.now ?? new Date();
  const watermark = await readWatermark();
  const from = new Date(
    options.since
      ? options.since.getTime()
      : watermark
        ? Date.parse(watermark) - (options.overlapMs ?? DEFAULT_OVERLAP_MS)
        : now.getTime() - (options.backfillMs ?? DEFAULT_BACKFILL_MS),
  );
  const counter = { itemsRead: watermark ? 1 : 0 };
  const sessions = await changedSince(from, now, counter);

  const perTransaction = clampRollups(options.rollupsPerTransaction);
  const sessionsPer = Math.max(1, Math.min(options.sessionsPerTransaction ?? 25, perTransaction));
  const concurrency = Math.max(1, options.concurrency ?? 4);
  let updated = 0;
  let transactions = 0;
  const finished = new Set<string>();
  /** A session is done: `written` transactions of its own, or `moved` in a shared one. */
  const applied = (id: string, written: number, moved = written > 0) => {
    transactions += written;
    if (moved) updated += 1;
    finished.add(id);
  };
  // Windows of sessions, oldest change first: read together, then written one transaction
  // after another (a run never conflicts with itself on a rollup item).
  const windowSize = Math.max(sessionsPer, 4 * concurrency);
  for (let start = 0; start < sessions.length; start += windowSize) {
    if (options.deadline !== undefined && Date.now() >= options.deadline) break;
    const window = sessions.slice(start, start + windowSize);
    // Contributions first (one BatchGetItem), then messages: what is written is at least as
    // fresh as the version it is conditioned on.
    const stored = await readContributions(window.map((s) => s.id));
    const prepared = await mapPool(window, concurrency, (session, i) => {
      const contribution = stored[i];
      counter.itemsRead += contribution ? 1 : 0;
      return prepare(session, contribution, counter);
    });
    let group: Prepared[] = [];
    let groupRollups = new Set<string>();
    const flush = async () => {
      if (group.length === 0) return;
      const members = group;
      group = [];
      groupRollups = new Set();
      if (members.length > 1 && (await applyGroup(members))) {
        transactions += 1;
        for (const p of members) applied(p.session.id, 0, true);
        return;
      }
      // One session, or a refused group: each on its own (re-read after a refusal).
      for (const p of members) applied(p.session.id, await applySession(p.session, { ...options, counter, prepared: members.length > 1 ? undefined : p }));
    };
    for (const p of prepared) {
      const moved = Object.keys(p.delta);
      if (moved.length === 0) {
        applied(p.session.id, 0);
        continue;
      }
      if (moved.length > perTransaction) {
        // Too many rollups to share a transaction: on its own, in chunks.
        await flush();
        applied(p.session.id, await applySession(p.session, { ...options, counter, prepared: p }));
        continue;
      }
      const union = new Set([...groupRollups, ...moved]);
      if (group.length + 1 > sessionsPer || group.length + 1 + union.size > perTransaction + 1) await flush();
      group.push(p);
      for (const id of moved) groupRollups.add(id);
    }
    await flush();
  }

  // Cut short: everything changed before the earliest unapplied change is in the rollups.
  const pending = sessions.filter((s) => !finished.has(s.id));
  const earliestPending = pending[0]?.changedAt;
  const nextWatermark = earliestPending && earliestPending < now.toISOString() ? earliestPending : now.toISOString();
  const report = {
    from: from.toISOString(),
    watermark: nextWatermark,
    deferred: pending.length,
    sessions: sessions.length,
    updated,
    transactions,
    itemsRead: counter.itemsRead,
  };
  const advanced = await advanceWatermark(report.watermark, report);
  return { ...report, advanced };
}
