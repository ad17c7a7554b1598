/**
 * Who receives which live frame: staff and integrations by `mayReceiveEvent` (lib/domain/auth/policy.ts),
 * visitors by `visitorMayReceive` (lib/domain/visitors/rules.ts, the same rules the visitor routes
 * read with) and in the visitor's shape (`visitorEvent`).
 */
import { getItems } from '../../adapters/dynamodb/db.ts';
import { readLine } from '../../adapters/dynamodb/items.ts';
import { channelKey, lineKey } from '../../adapters/dynamodb/keys.ts';
import { allLines, clientIdByAccount, findChannel, getLineCached, linesById } from '../../adapters/dynamodb/lines.ts';
import { type Caller, hasRole } from '../../contract/caller.ts';
import type { ChatlinesEvent } from '../../contract/events.ts';
import type { Line } from '../../contract/schemas.ts';
import type { VisitorClaims } from '../../contract/visitors.ts';
import { canSeeLine, mayReceiveEvent } from '../../domain/auth/policy.ts';
import { isClientVisible } from '../../domain/events/map.ts';
import { type VisitorScope, visitorEvent, visitorMayReceive } from '../../domain/visitors/rules.ts';

/**
 * A live socket's caller: staff or an integration (a `Caller` from its JWT), or a visitor (no
 * roles, and the scope of its visitor token). Kept as JSON on AWS connection items.
 */
export type LiveCaller = Caller & { readonly visitor?: VisitorScope | undefined };

export const maySee = (caller: LiveCaller, line: Line, event: ChatlinesEvent): boolean =>
  caller.visitor ? visitorMayReceive(caller.visitor, event) : mayReceiveEvent(caller, line, event, (e) => isClientVisible(e as ChatlinesEvent));

/** The frame a caller receives for an event it may see: the event itself, or a visitor's view of it. */
export const frameOf = (caller: LiveCaller, event: ChatlinesEvent): object => (caller.visitor ? visitorEvent(event) : event);

/**
 * A visitor's caller whose client was not known yet (its socket opened before its first
 * message), looked up again (one GetItem); the same caller when it is known or still missing.
 */
export async function resolveVisitorClient(caller: LiveCaller): Promise<LiveCaller> {
  const v = caller.visitor;
  if (!v || v.client !== null) return caller;
  const client = (await clientIdByAccount(v.channel, v.account)) ?? null;
  return client ? { ...caller, visitor: { ...v, client } } : caller;
}

/** Where a visitor's connections are kept (AWS): a partition of their own per client, beside the lines'. */
export const visitorPartition = (clientId: string) => `visitor#${clientId}`;

/**
 * The live caller of a visitor token: no roles, its channel and account, and its client (one
 * GetItem; `null` before the visitor's first message: such a socket receives nothing and the
 * widget opens it after its first message).
 */
export async function visitorLiveCaller(claims: VisitorClaims): Promise<LiveCaller> {
  const client = (await clientIdByAccount(claims.channel, claims.account)) ?? null;
  return {
    sub: `visitor:${claims.account}`.slice(0, 128),
    roles: [],
    groups: [],
    channels: [],
    visitor: { channel: claims.channel, account: claims.account, client },
  };
}

/**
 * The lines whose events may reach this caller: every line for an admin (`'all'`), the lines
 * of its channels for an integration, the lines it sees (`canSeeLine`) for staff.
 */
export async function linesOfCaller(caller: LiveCaller): Promise<'all' | Line[]> {
  if (caller.visitor) {
    const channel = await findChannel(caller.visitor.channel);
    return channel ? [await getLineCached(channel._line)] : [];
  }
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
