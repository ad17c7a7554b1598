/**
 * Routing a batch of arrivals in a few calls. One at a time (runner.ts `routeSession`) each
 * session costs a GetItem, the online operators' Query and BatchGetItem, and its transaction;
 * and a few routed side by side all pick the same least-loaded operator, so all but one lose the
 * race on that operator's count and read everything again. Here a batch reads its sessions in one
 * BatchGetItem and the operators of each set of eligible groups once, decides every assignment in
 * memory in arrival order (the same ranking: fewest active sessions, then idle longest — each
 * assignment counts at once, so the next arrival goes to the next operator), then writes each
 * operator's assignments one after the other (no two transactions on one operator's count at
 * once) and the operators side by side. Each write is the same conditional transaction as one at
 * a time; a session whose write lost a race (it moved on, the operator filled up or went
 * offline) is routed again one at a time, as are the cases that path decides alone (bot first).
 */

import { mapPool } from '../../adapters/concurrency.ts';
import { getItems } from '../../adapters/dynamodb/db.ts';
import { sessionKey } from '../../adapters/dynamodb/keys.ts';
import { getLineCached } from '../../adapters/dynamodb/lines.ts';
import { readSession } from '../../adapters/dynamodb/sessions.ts';
import { isConflict } from '../../contract/errors.ts';
import type { Line, Operator, Session } from '../../contract/schemas.ts';
import { nowIso } from '../../domain/ids.ts';
import { eligibleGroups, rankOperators } from '../../domain/routing/decide.ts';
import { allows } from '../../domain/sessions/transitions.ts';
import { assignRouted, assignRoutedTogether, type RoutedAssignment, routedAssignment, routeSession } from './runner.ts';
import { onlineOperatorsOf } from './store.ts';

/** How many operators' assignments are written at once (each operator's in order). */
export const BATCH_WRITERS = 8;

/** At most this many assignments per transaction (and DynamoDB's 100 items). */
export const ASSIGNMENTS_PER_TRANSACTION = 25;
const ITEMS_PER_TRANSACTION = 100;

export interface BatchRoutingReport {
  /** Assigned by the batch's own writes. */
  assigned: number;
  /** Handed to the one-at-a-time path (lost a race, or bot first). */
  oneByOne: number;
}

interface Planned {
  session: Session;
  line: Line;
  /** The operator as the batch counted it just before this assignment. */
  operator: Operator;
  created: boolean;
}

/** Routes these sessions (arrival order; `created`: the trigger is the session's creation). */
export async function routeSessions(sessions: readonly (readonly [string, { created: boolean }])[]): Promise<BatchRoutingReport> {
  const report: BatchRoutingReport = { assigned: 0, oneByOne: 0 };
  if (sessions.length === 0) return report;
  const items = await getItems(sessions.map(([id]) => sessionKey(id)));
  const oneByOne: (readonly [string, { created: boolean }])[] = [];
  /** Every operator read in this batch, one object each, counted as the batch assigns. */
  const operators = new Map<string, Operator>();
  const operatorsAsRead = new Map<string, Operator>();
  const byGroups = new Map<string, Operator[]>();
  const plans = new Map<string, Planned[]>();
  for (const [i, entry] of sessions.entries()) {
    const item = items[i];
    if (!item) continue;
    const session = readSession(item);
    if (!allows('routeToOperator', session._state)) continue;
    const line = await getLineCached(session._line);
    if (line._routing.mode !== 'auto') continue;
    if (entry[1].created && line._routing.botFirst && line._botId && session._version === 1 && !session._botId) {
      oneByOne.push(entry);
      continue;
    }
    const groups = [...new Set(eligibleGroups(session, line))].sort();
    const key = groups.join('\u0000');
    let online = byGroups.get(key);
    if (!online) {
      online = (await onlineOperatorsOf(groups)).map((o) => {
        const known = operators.get(o.__id);
        if (known) return known;
        operators.set(o.__id, o);
        operatorsAsRead.set(o.__id, { ...o });
        return o;
      });
      byGroups.set(key, online);
    }
    const best = rankOperators(online, session, line)[0];
    if (!best) continue;
    const planned = plans.get(best.__id) ?? [];
    planned.push({ session, line, operator: { ...best }, created: entry[1].created });
    plans.set(best.__id, planned);
    best.activeSessions += 1;
    best.idleSince = nowIso();
  }
  // The assignments go out in a few transactions, each with whole operators' shares (one count
  // update per operator); the transactions one after the other, so an operator's count is never
  // in two at once. What one of them could not write goes the way of one transaction each.
  const now = nowIso();
  for (const chunk of chunksOf([...plans.values()], now)) {
    const write = () =>
      assignRoutedTogether(
        chunk.map((c) => c.assignment),
        operatorsAsRead,
        now,
      );
    let outcome = await write();
    // Only a concurrent transaction won (nothing was found changed): the same write once more.
    if (outcome === 'lost-race') outcome = await write();
    if (outcome === 'written') {
      report.assigned += chunk.length;
      continue;
    }
    const byOperator = new Map<string, Planned[]>();
    for (const { planned } of chunk) {
      const share = byOperator.get(planned.operator.__id);
      if (share) share.push(planned);
      else byOperator.set(planned.operator.__id, [planned]);
    }
    await mapPool([...byOperator.values()], BATCH_WRITERS, async (planned) => {
      for (const [at, { session, line, operator }] of planned.entries()) {
        try {
          await assignRouted(session, line, operator);
          report.assigned += 1;
        } catch (error) {
          if (!isConflict(error)) throw error;
          // The rest of this operator's share goes the one-at-a-time way: its count is not as planned.
          for (const rest of planned.slice(at)) oneByOne.push([rest.session.__id, { created: rest.created }]);
          return;
        }
      }
    });
  }
  report.oneByOne = oneByOne.length;
  await mapPool(oneByOne, BATCH_WRITERS, ([id, { created }]) => routeSession(id, { created }));
  return report;
}

/**
 * The planned assignments (per operator, in order) in transactions: whole operators' shares
 * while they fit, a share too large for one split over consecutive transactions (in order).
 */
function chunksOf(shares: readonly Planned[][], now: string): { planned: Planned; assignment: RoutedAssignment }[][] {
  const chunks: { planned: Planned; assignment: RoutedAssignment }[][] = [];
  let chunk: { planned: Planned; assignment: RoutedAssignment }[] = [];
  let items = 0;
  const operatorsIn = new Set<string>();
  const close = () => {
    if (chunk.length > 0) chunks.push(chunk);
    chunk = [];
    items = 0;
    operatorsIn.clear();
  };
  for (const share of shares) {
    const entries = share.map((planned) => ({ planned, assignment: routedAssignment(planned.session, planned.line, planned.operator.__id, now) }));
    const size = entries.reduce((n, e) => n + e.assignment.size, 0) + 1;
    if (chunk.length + entries.length > ASSIGNMENTS_PER_TRANSACTION || items + size > ITEMS_PER_TRANSACTION) close();
    for (const entry of entries) {
      // Its items, and its operator's count update unless the transaction has it already (again after a close).
      const cost = () => entry.assignment.size + (operatorsIn.has(entry.assignment.operatorId) ? 0 : 1);
      if (chunk.length + 1 > ASSIGNMENTS_PER_TRANSACTION || items + cost() > ITEMS_PER_TRANSACTION) close();
      chunk.push(entry);
      items += cost();
      operatorsIn.add(entry.assignment.operatorId);
    }
  }
  close();
  return chunks;
}
