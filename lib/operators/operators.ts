/** Operator presence: online operators act, offline operators only read. */
import type { Caller } from '../auth/caller.ts';
import { requireRole } from '../auth/caller.ts';
import { nowIso } from '../ids.ts';
import type { OperatorStatusType } from '../model/enums.ts';
import type { Operator } from '../model/schemas.ts';
import type { TransactItem } from '../store/db.ts';
import { putOperator } from '../store/repository.ts';

/**
 * Sets the caller's status. The operator's groups are recorded from the token at the same
 * time, so that assigning a session to this operator can check line membership.
 */
export async function setOperatorStatus(
  caller: Caller,
  status: OperatorStatusType,
  extra: (operator: Operator) => TransactItem[],
): Promise<Operator> {
  requireRole(caller, 'operator');
  const operator: Operator = { __id: caller.sub, status, groups: [...caller.groups], __updatedAt: nowIso() };
  await putOperator(operator, extra(operator));
  return operator;
}
