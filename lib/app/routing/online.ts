/**
 * `GET /v1/lines/{id}/operators`: who is online on a line and how loaded — the supervisor
 * dashboard's "operators online and their load against capacity". Reads the presence items of
 * the line's operator groups (the routing index) and their operator records: no Scan.
 */

import { getLineCached } from '../../adapters/dynamodb/lines.ts';
import { type Caller, hasRole } from '../../contract/caller.ts';
import { forbidden } from '../../contract/errors.ts';
import type { Operator } from '../../contract/schemas.ts';
import { operatesLine, supervisesLine, visibleLine } from '../../domain/auth/policy.ts';
import { effectiveCapacity } from '../../domain/routing/capacity.ts';
import { onlineOperatorsOf } from './store.ts';

export async function lineOperators(caller: Caller, lineId: string): Promise<(Operator & { effectiveCapacity: number | null })[]> {
  const line = visibleLine(caller, await getLineCached(lineId));
  if (!hasRole(caller, 'admin') && !supervisesLine(caller, line) && !operatesLine(caller, line)) {
    throw forbidden("only the line's staff (admins, supervisors, operators) see who is online on it");
  }
  const operators = await onlineOperatorsOf(line._operatorGroups);
  return operators
    .map((o) => ({ ...o, effectiveCapacity: effectiveCapacity(o, line) }))
    .sort((a, b) => b.activeSessions - a.activeSessions || a.__id.localeCompare(b.__id));
}
