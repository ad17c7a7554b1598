import { getItems } from '../../adapters/dynamodb/db.ts';
import { readLine } from '../../adapters/dynamodb/items.ts';
import { channelKey, lineKey } from '../../adapters/dynamodb/keys.ts';
import { allLines, linesById } from '../../adapters/dynamodb/lines.ts';
import { type Caller, hasRole } from '../../contract/caller.ts';
import type { ChatlinesEvent } from '../../contract/events.ts';
import type { Line } from '../../contract/schemas.ts';
import { canSeeLine, mayReceiveEvent } from '../../domain/auth/policy.ts';
import { isClientVisible } from '../../domain/events/map.ts';

export const maySee = (caller: Caller, line: Line, event: ChatlinesEvent): boolean =>
  mayReceiveEvent(caller, line, event, (e) => isClientVisible(e as ChatlinesEvent));

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

/** How old a cached line live visibility trusts: a change of a line's groups reaches it within 5 s. */
const LINE_MAX_AGE_MS = 5_000;
/** The lines of a batch of events, read together (one BatchGetItem) from the instance's line cache. */
export const linesOfEvents = (ids: readonly string[]): Promise<Map<string, Line>> => linesById(ids, LINE_MAX_AGE_MS);
