/** Lines (Live Chats): created by admins, read by whoever works on them. */
import type * as z from 'zod';
import type { Caller } from '../auth/caller.ts';
import { requireAdmin, visibleLine } from '../auth/policy.ts';
import { newBaseFields, nowIso } from '../ids.ts';
import type { CreateLineBody, Line } from '../model/schemas.ts';
import type { TransactItem } from '../store/db.ts';
import { getLine, insertLine } from '../store/repository.ts';

export async function createLine(
  caller: Caller,
  body: z.output<typeof CreateLineBody>,
  extra: (line: Line) => TransactItem[],
): Promise<Line> {
  requireAdmin(caller);
  const now = nowIso();
  const line: Line = {
    ...newBaseFields(body.__name, caller.sub, now),
    _operatorGroups: [...new Set(body._operatorGroups)],
    _supervisorGroups: [...new Set(body._supervisorGroups)],
    _botId: body._botId ?? null,
    _accountApp: body._accountApp ?? null,
    _sessionApps: [...new Set(body._sessionApps)],
  };
  await insertLine(line, extra(line));
  return line;
}

export async function fetchLine(caller: Caller, id: string): Promise<Line> {
  return visibleLine(caller, await getLine(id));
}
