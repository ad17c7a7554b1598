/** HTTP bodies → session actions. */
import type { AssignSessionBody } from '../../contract/schemas.ts';
import type { SessionAction } from './commands.ts';

/** `{operator}` / `{group}` / `{bot, silent}` → the seed's assignToOperator / assignToOperatorGroup / assignToBot. */
export function assignAction(body: AssignSessionBody): SessionAction {
  if ('operator' in body) return { command: 'assignToOperator', operator: body.operator };
  if ('group' in body) return { command: 'assignToOperatorGroup', group: body.group };
  return { command: 'assignToBot', silent: body.silent };
}
