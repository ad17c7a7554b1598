/**
 * Live visibility: `mayReceiveEvent` of lib/domain/auth/policy.ts (the one rule) with the events' own
 * client-visibility test, and the lines a caller's socket follows.
 */

import { TtlCache } from '../../adapters/cache.ts';
import { getItems, queryPage } from '../../adapters/dynamodb/db.ts';
import { readLine } from '../../adapters/dynamodb/items.ts';
import { channelKey, INDEX, LINES_PARTITION, lineKey } from '../../adapters/dynamodb/keys.ts';
import type { ChatlinesEvent } from '../../contract/events.ts';
import type { Line } from '../../contract/schemas.ts';
import { type Caller, hasRole } from '../../domain/auth/caller.ts';
import { canSeeLine, mayReceiveEvent } from '../../domain/auth/policy.ts';
import { isClientVisible } from '../../domain/events/map.ts';

export const maySee = (caller: Caller, line: Line, event: ChatlinesEvent): boolean =>
  mayReceiveEvent(caller, line, event, (e) => isClientVisible(e as ChatlinesEvent));

/** Every line (gsi1 `LINES`; lines are configuration, a short partition). */
export async function allLines(): Promise<Line[]> {
  const out: Line[] = [];
  let lastKey: Record<string, unknown> | undefined;
  do {
    const page = await queryPage({
      IndexName: INDEX.linesByName,
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': LINES_PARTITION },
      ...(lastKey ? { ExclusiveStartKey: lastKey } : {}),
    });
    for (const item of page.items) if (item.entity === 'line') out.push(readLine(item));
    lastKey = page.lastKey;
  } while (lastKey);
  return out;
}

/**
 * The lines whose events may reach this caller: every line for an admin (`'all'`), the lines
 * of its channels for an integration, the lines it sees (`canSeeLine`) for staff.
 */
export async function linesOfCaller(caller: Caller): Promise<'all' | Line[]> {
  if (hasRole(caller, 'admin')) return 'all';
  const lines = new Map<string, Line>();
  if (hasRole(caller, 'supervisor', 'operator', 'bot')) for (const line of await allLines()) if (canSeeLine(caller, line)) lines.set(line.__id, line);
  if (hasRole(caller, 'integration') && caller.channels.length > 0) {
    const channels = await getItems(caller.channels.slice(0, 100).map((c) => channelKey(c)));
    const lineIds = [...new Set(channels.filter((c) => c?.entity === 'channel').map((c) => String(c!._line)))].filter((id) => !lines.has(id));
    if (lineIds.length > 0) for (const item of await getItems(lineIds.map((id) => lineKey(id)))) if (item) lines.set(String(item.__id), readLine(item));
  }
  return [...lines.values()];
}

const LINE_CACHE_MS = 5_000;
const cache = new TtlCache<Line | undefined>(LINE_CACHE_MS);
/**
 * The lines of a batch of events, read together (one BatchGetItem) and kept 5 s per instance:
 * a change of a line's groups reaches live visibility within 5 s.
 */
export async function linesById(ids: readonly string[]): Promise<Map<string, Line>> {
  const known = new Map<string, Line | undefined>();
  const missing: string[] = [];
  for (const id of new Set(ids)) {
    const hit = cache.get(id);
    if (hit) known.set(id, hit.value);
    else missing.push(id);
  }
  const items = await getItems(missing.map((id) => lineKey(id)));
  missing.forEach((id, j) => {
    const line = items[j] ? readLine(items[j]!) : undefined;
    cache.set(id, line);
    known.set(id, line);
  });
  const out = new Map<string, Line>();
  for (const id of ids) {
    const line = known.get(id);
    if (line) out.set(id, line);
  }
  return out;
}
