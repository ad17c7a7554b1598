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
import { assignRouted, routeSession } from './runner.ts';
import { onlineOperatorsOf } from './store.ts';

/** How many operators' assignments are written at once (each operator's in order). */
export const BATCH_WRITERS = 8;

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
  await mapPool([...plans.values()], BATCH_WRITERS, async (planned) => {
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
  report.oneByOne = oneByOne.length;
  await mapPool(oneByOne, BATCH_WRITERS, ([id, { created }]) => routeSession(id, { created }));
  return report;
}
