/**
 * The table's changes that make events, as a stream record carries them once its items are read
 * (lib/adapters/dynamodb/stream.ts `readChange`) and as the event rules take them
 * (lib/domain/events/map.ts `eventsOfChange`): one definition for both.
 */
import type { OutboxEntry } from './events.ts';
import type { Channel, Session } from './schemas.ts';

/** What the stream record says happened to its item. */
export type ChangeKind = 'INSERT' | 'MODIFY' | 'REMOVE';

/** A session's change: the session before and after, and the outbox of the write. */
export interface SessionChange {
  entity: 'session';
  eventName: ChangeKind;
  before: Session | null;
  after: Session;
  /** The outbox sequence after the write, and before it (0 for a new session). */
  sequence: number;
  previousSequence: number;
  /** The outbox entries of the write (the last `entries.length` sequence numbers). */
  entries: readonly OutboxEntry[];
}

/** A channel's change. */
export interface ChannelChange {
  entity: 'channel';
  eventName: ChangeKind;
  before: Channel | null;
  after: Channel;
}

/** A client erasure's change (lib/adapters/dynamodb/clients.ts): its state before and after; only its `done` makes an event. */
export interface ErasureChange {
  entity: 'erasure';
  eventName: ChangeKind;
  client: string;
  line: string;
  channel: string;
  before: string | null;
  after: string;
  by: string;
  at: string;
  sessions: number;
  messages: number;
}

/** A change that makes events. */
export type ItemChange = SessionChange | ChannelChange | ErasureChange;
