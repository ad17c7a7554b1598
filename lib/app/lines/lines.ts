/** Lines (Live Chats): created by admins, read by whoever works on them. */

import type { TransactItem } from '../../adapters/dynamodb/db.ts';
import { writeOnly } from '../../adapters/dynamodb/db.ts';
import { getLine, insertLine, replaceLine } from '../../adapters/dynamodb/lines.ts';
import type { Caller } from '../../contract/caller.ts';
import { type CreateLineBody, DEFAULT_ROUTING, type Line, type UpdateLineBody } from '../../contract/schemas.ts';
import type * as z from '../../contract/zod.ts';
import { requireAdmin, visibleLine } from '../../domain/auth/policy.ts';
import { newBaseFields, nowIso } from '../../domain/ids.ts';
import { openState } from '../../domain/schedule/schedule.ts';

export async function createLine(caller: Caller, body: z.output<typeof CreateLineBody>, extra: (line: Line) => TransactItem[]): Promise<Line> {
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
    _sla: emptyToNull(body._sla),
    _autoClose: emptyToNull(body._autoClose),
    _returnToQueue: emptyToNull(body._returnToQueue),
    _schedule: body._schedule ?? null,
    _offlineMessage: body._offlineMessage ?? null,
    _csat: body._csat ?? null,
    _maxFileSize: body._maxFileSize ?? null,
  };
  await insertLine(line, extra(line));
  return line;
}

/** A policy with no field set is no policy. */
function emptyToNull<T extends object>(policy: T | null | undefined): T | null {
  return policy && Object.values(policy).some((v) => v !== undefined) ? policy : null;
}

/**
 * `PATCH /v1/lines/{id}` (admin): the line's settings. Every field is optional; a policy
 * (`_sla`, `_autoClose`, `_returnToQueue`) given replaces the line's whole policy, `null` (or
 * `{}`) removes it. Other areas' line settings (e.g. `_routing`) belong here too: one update.
 * Policies apply to the clocks that the sessions' next changes start (a running clock keeps the
 * due time it was started with); other instances see the change within their line cache's 60 s.
 */
export async function updateLine(caller: Caller, id: string, body: z.output<typeof UpdateLineBody>, extra: (line: Line) => TransactItem[]): Promise<Line> {
  const before = visibleLine(caller, await getLine(id));
  requireAdmin(caller);
  const patch: Partial<Line> = {};
  if (body.__name !== undefined) patch.__name = body.__name;
  if (body._routing !== undefined) patch._routing = { ...before._routing, ...body._routing };
  if (body._sla !== undefined) patch._sla = emptyToNull(body._sla);
  if (body._autoClose !== undefined) patch._autoClose = emptyToNull(body._autoClose);
  if (body._returnToQueue !== undefined) patch._returnToQueue = emptyToNull(body._returnToQueue);
  if (body._schedule !== undefined) patch._schedule = body._schedule;
  if (body._offlineMessage !== undefined) patch._offlineMessage = body._offlineMessage;
  if (body._csat !== undefined) patch._csat = body._csat;
  if (body._maxFileSize !== undefined) patch._maxFileSize = body._maxFileSize;
  const unchanged = Object.entries(patch).every(([k, v]) => JSON.stringify(v) === JSON.stringify(before[k as keyof Line]));
  if (unchanged) {
    await writeOnly(extra(before));
    return before;
  }
  const now = nowIso();
  const after: Line = { ...before, ...patch, __updatedAt: now, __updatedBy: caller.sub };
  await replaceLine(before, after, extra(after));
  return after;
}

/** The line, with whether it is open now and when that changes (computed, see lib/domain/schedule). */
export async function fetchLine(caller: Caller, id: string, now = Date.now()): Promise<Line> {
  const line = visibleLine(caller, await getLine(id));
  const state = openState(line._schedule, now);
  return { ...line, _openNow: state.openNow, _nextChangeAt: state.nextChangeAt };
}
