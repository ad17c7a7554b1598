/**
 * The session item is the outbox. Every transaction that changes a session or adds to it also
 * writes, on the session item, the events that change makes (the session repository stores them
 * and counts their sequence, lib/adapters/dynamodb/sessions.ts). The stream record of that one
 * item then carries everything the consumer needs — the session before and after, and which
 * events with which sequence numbers — so no event exists without its change and every change
 * that should make one does (both come from one write). These rules say which entries a write
 * makes. Pure: no AWS imports.
 */

import type { EventType, OutboxEntry } from '../../contract/events.ts';
import type { Message } from '../../contract/schemas.ts';

/** The event a session command makes (history `payload.command` → type). */
const COMMAND_EVENTS: Record<string, EventType> = {
  create: 'session.created',
  assignToOperator: 'session.assigned',
  assignToOperatorGroup: 'session.assigned',
  assignToBot: 'session.assigned',
  close: 'session.closed',
  autoClose: 'session.closed',
  markAsSpam: 'session.marked_spam',
  unmarkAsSpam: 'session.unmarked_spam',
  setPriority: 'session.priority_changed',
  save: 'session.updated',
  returnToQueue: 'session.returned_to_queue',
  slaBreached: 'session.sla_breached',
  rate: 'session.rated',
};

export const commandEventType = (command: string): EventType => COMMAND_EVENTS[command] ?? 'session.updated';

/**
 * The outbox entries of the messages one transaction writes: a history entry (`payload`) stands
 * for its command's `session.*` event; any other message is a `message.created`.
 */
export function outboxFor(messages: readonly Message[]): OutboxEntry[] {
  return messages.map((m): OutboxEntry => {
    if (m.payload) {
      const p = m.payload;
      return {
        t: p.kind === 'SessionCreated' ? 'session.created' : commandEventType(p.command),
        at: p.at,
        by: p.by,
        ...(p.silent !== undefined ? { silent: p.silent } : {}),
        ...(p.policy !== undefined ? { policy: p.policy } : {}),
      };
    }
    return { t: 'message.created', at: m.__createdAt, by: m.operator ?? m.client ?? m.author, m: m.__id };
  });
}
