/**
 * The one event shape of chatlines (contract: "Second part", Events): the same object goes to
 * webhooks, to the EventBridge bus (as `detail`) and to live WebSocket subscribers.
 * Pure: no AWS imports.
 */
import * as z from './zod.ts';

export const EVENT_TYPES = [
  'session.created',
  'session.assigned',
  'session.priority_changed',
  'session.updated',
  'session.closed',
  'session.marked_spam',
  'session.unmarked_spam',
  'session.returned_to_queue',
  'session.sla_breached',
  'session.rated',
  'message.created',
  'message.status_changed',
  'message.read',
  'channel.disconnected',
  'channel.reconnected',
  'client.erased',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export const EventTypeSchema = z.enum(EVENT_TYPES);

/** `session.*`, `message.created`, `*`: an exact type or a prefix ending in `.*`. */
export const EventPatternSchema = z.string().check(
  z.maxLength(64),
  z.refine((p) => p === '*' || (EVENT_TYPES as readonly string[]).includes(p) || /^[a-z]+\.\*$/.test(p), {
    error: 'an event type (e.g. session.closed) or a prefix ending in .* (e.g. session.*)',
  }),
);

export const ChatlinesEventSchema = z.object({
  /** Unique and stable across retries: `<session id>.<sequence>` or `<channel id>.<version>`. */
  id: z.string(),
  type: EventTypeSchema,
  time: z.iso.datetime({ offset: true }),
  line: z.string(),
  channel: z.string(),
  session: z.nullable(z.string()),
  /** Per session, +1 with every event of that session; absent on channel events. */
  sequence: z.optional(z.number().check(z.int(), z.positive())),
  data: z.record(z.string(), z.unknown()),
});
export type ChatlinesEvent = z.infer<typeof ChatlinesEventSchema>;

/** Does `type` match a subscription pattern (`session.*`, `message.created`, `*`)? */
export function matchesPattern(type: string, pattern: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return type === pattern;
}

/**
 * One event as a write records it in the session item's outbox: just enough to rebuild the event
 * from the session's stream images (lib/domain/events/outbox.ts makes them, map.ts reads them).
 */
export interface OutboxEntry {
  /** Event type. */
  t: EventType;
  /** When it happened (ISO). */
  at: string;
  /** Who did it: an operator, the bot, an integration, `system`, `routing`. */
  by: string;
  /** The message the event is about (message events). */
  m?: string;
  /** `session.assigned` to the bot without telling the client. */
  silent?: boolean;
  /** `session.sla_breached`: which policy. */
  policy?: string;
  /** `message.status_changed`: the reported status and error. */
  status?: string;
  error?: string;
  /** `message.read`: who read (`operator`: the client's messages; `client`: the staff replies), up to which message, which were marked. */
  reader?: 'operator' | 'client';
  upTo?: string;
  ids?: string[];
}
