/** Operator presence: online operators act, offline operators only read. Capacity overrides. */

import { type TransactItem, tableName, transact } from '../../adapters/dynamodb/db.ts';
import { operatorKey } from '../../adapters/dynamodb/keys.ts';
import { allLines } from '../../adapters/dynamodb/lines.ts';
import { findOperator, saveOperatorStatus } from '../../adapters/dynamodb/operators.ts';
import type { Caller } from '../../contract/caller.ts';
import { hasRole, requireRole } from '../../contract/caller.ts';
import type { OperatorStatusType } from '../../contract/enums.ts';
import { forbidden, notFound } from '../../contract/errors.ts';
import type { Operator } from '../../contract/schemas.ts';
import { intersects, supervisesLine } from '../../domain/auth/policy.ts';
import { nowIso } from '../../domain/ids.ts';
import { presenceItems } from '../routing/presence.ts';

/**
 * Sets the caller's status. The operator's groups are recorded from the token at the same
 * time, so that assigning a session to this operator can check line membership. Written as an
 * update (the counts and the override are kept), with the group presence items routing reads
 * (lib/app/routing/presence.ts); going online stamps `idleSince`.
 */
export async function setOperatorStatus(caller: Caller, status: OperatorStatusType, extra: (operator: Operator) => TransactItem[]): Promise<Operator> {
  requireRole(caller, 'operator');
  const before = await findOperator(caller.sub);
  const now = nowIso();
  const comesOnline = status === 'online' && before?.status !== 'online';
  const operator: Operator = {
    __id: caller.sub,
    status,
    groups: [...caller.groups],
    __updatedAt: now,
    capacity: before?.capacity ?? null,
    activeSessions: before?.activeSessions ?? 0,
    idleSince: comesOnline ? now : (before?.idleSince ?? null),
  };
  await saveOperatorStatus(operator, presenceItems(before, operator), extra(operator));
  return operator;
}

/**
 * `PUT /v1/operators/{id}`: an operator's capacity override (null: the line's applies). Admins,
 * or a supervisor of one of the operator's lines (lines whose operator groups it belongs to).
 * Anyone else: 404, as for an operator that has no record (it never set its status).
 */
export async function setOperatorCapacity(
  caller: Caller,
  id: string,
  capacity: number | null,
  extra: (operator: Operator) => TransactItem[],
): Promise<Operator> {
  if (!hasRole(caller, 'admin') && !hasRole(caller, 'supervisor')) throw forbidden("only an admin or a supervisor of the operator's line may set its capacity");
  const before = await findOperator(id);
  if (!before) throw notFound('operator', id);
  if (!hasRole(caller, 'admin')) {
    const lines = (await allLines()).filter((l) => intersects(before.groups, l._operatorGroups));
    if (!lines.some((l) => supervisesLine(caller, l))) throw notFound('operator', id);
  }
  const now = nowIso();
  const after: Operator = { ...before, capacity, __updatedAt: now };
  await transact(
    [
      {
        Update: {
          TableName: tableName(),
          Key: operatorKey(id),
          UpdateExpression: 'SET #c = :c, #u = :u',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#c': 'capacity', '#u': '__updatedAt' },
          ExpressionAttributeValues: { ':c': capacity, ':u': now },
        },
      },
      ...extra(after),
    ],
    'the operator was changed concurrently; retry',
  );
  return after;
}
