/** Lines (Live Chats): created by admins, read by whoever works on them. */
import type * as z from 'zod';
import type { Caller } from '../auth/caller.ts';
import { requireAdmin, visibleLine } from '../auth/policy.ts';
import { newBaseFields, nowIso } from '../ids.ts';
import { DEFAULT_ROUTING, type CreateLineBody, type Line, type UpdateLineBody } from '../model/schemas.ts';
import type { TransactItem } from '../store/db.ts';
import { getLine, insertLine, replaceLine } from '../store/repository.ts';

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
    _routing: { ...DEFAULT_ROUTING, ...body._routing },
  };
  await insertLine(line, extra(line));
  return line;
}

export async function fetchLine(caller: Caller, id: string): Promise<Line> {
  return visibleLine(caller, await getLine(id));
}

/**
 * `PATCH /v1/lines/{id}` (admin): routing settings; fields not given are kept. Function
 * instances trust a line they read for up to a minute (LINE_CACHE_MS), so a change reaches every
 * instance within that time.
 */
export async function updateLine(
  caller: Caller,
  id: string,
  body: z.output<typeof UpdateLineBody>,
  extra: (line: Line) => TransactItem[],
): Promise<Line> {
  requireAdmin(caller);
  const before = await getLine(id);
  const now = nowIso();
  const after: Line = { ...before, _routing: { ...before._routing, ...body._routing }, __updatedAt: now, __updatedBy: caller.sub };
  await replaceLine(before, after, extra(after));
  return after;
}
