/**
 * The session state machine: state × change → next state, or the reason it is refused. Every
 * change of a session's state goes through this one table: the commands people send, and the
 * changes the system makes on its own (routing's assignments, the timers' effects). docs/sessions.md
 * shows it as it is (test/unit/transitions.test.ts keeps the two equal).
 */
import type { LineSessionState, SessionCommand } from '../../contract/enums.ts';

export type { SessionCommand } from '../../contract/enums.ts';

/**
 * Changes no person asks for: routing assigns a waiting session to an operator or, bot first, to
 * the line's bot; timers close a silent session and take an unanswered one back to the queue.
 * Where the table refuses one, nothing happens (routing leaves the session, a timer is spent).
 */
export type SystemChange = 'routeToOperator' | 'routeToBot' | 'autoClose' | 'returnToQueue';

export type Transition = SessionCommand | SystemChange;

/** Who makes each system change, and the command its history entry and event record. */
export const SYSTEM_CHANGES: Readonly<
  Record<SystemChange, { by: 'routing' | 'timer'; records: 'assignToOperator' | 'assignToBot' | 'autoClose' | 'returnToQueue' }>
> = {
  routeToOperator: { by: 'routing', records: 'assignToOperator' },
  routeToBot: { by: 'routing', records: 'assignToBot' },
  autoClose: { by: 'timer', records: 'autoClose' },
  returnToQueue: { by: 'timer', records: 'returnToQueue' },
};

/** `'restore'`: the state kept from before the spam mark (see unmarkAsSpam). `'same'`: unchanged. */
export type Outcome = LineSessionState | 'same' | 'restore' | { refused: string };

const closedRefusal = { refused: 'the session is closed' };
const spamRefusal = { refused: 'the session is marked as spam' };
const notWaiting = { refused: 'the session is no longer waiting' };
const notHeld = { refused: 'nobody holds the session' };

export const TRANSITIONS: Record<Transition, Record<LineSessionState, Outcome>> = {
  assignToOperator: {
    Waiting: 'AssignedToOperator',
    AssignedToBot: 'AssignedToOperator',
    AssignedToOperator: 'AssignedToOperator',
    MarkedAsSpam: spamRefusal,
    Closed: closedRefusal,
  },
  assignToOperatorGroup: {
    Waiting: 'Waiting',
    AssignedToBot: 'Waiting',
    AssignedToOperator: 'Waiting',
    MarkedAsSpam: spamRefusal,
    Closed: closedRefusal,
  },
  assignToBot: {
    Waiting: 'AssignedToBot',
    AssignedToBot: { refused: 'the session is already assigned to the bot' },
    AssignedToOperator: 'AssignedToBot',
    MarkedAsSpam: spamRefusal,
    Closed: closedRefusal,
  },
  close: {
    Waiting: { refused: 'the session is in the queue: nobody is assigned who could close it' },
    AssignedToBot: 'Closed',
    AssignedToOperator: 'Closed',
    MarkedAsSpam: spamRefusal,
    Closed: { refused: 'the session is already closed' },
  },
  markAsSpam: {
    Waiting: 'MarkedAsSpam',
    AssignedToBot: 'MarkedAsSpam',
    AssignedToOperator: 'MarkedAsSpam',
    MarkedAsSpam: { refused: 'the session is already marked as spam' },
    Closed: closedRefusal,
  },
  unmarkAsSpam: {
    Waiting: { refused: 'the session is not marked as spam' },
    AssignedToBot: { refused: 'the session is not marked as spam' },
    AssignedToOperator: { refused: 'the session is not marked as spam' },
    MarkedAsSpam: 'restore',
    Closed: { refused: 'the session is not marked as spam' },
  },
  setPriority: {
    Waiting: 'same',
    AssignedToBot: 'same',
    AssignedToOperator: 'same',
    MarkedAsSpam: spamRefusal,
    Closed: closedRefusal,
  },
  save: {
    Waiting: 'same',
    AssignedToBot: 'same',
    AssignedToOperator: 'same',
    MarkedAsSpam: 'same',
    Closed: 'same',
  },
  reply: {
    Waiting: { refused: 'the session is in the queue: take it before replying' },
    AssignedToBot: 'same',
    AssignedToOperator: 'same',
    MarkedAsSpam: spamRefusal,
    Closed: closedRefusal,
  },
  sendSystemMessage: {
    Waiting: 'same',
    AssignedToBot: 'same',
    AssignedToOperator: 'same',
    MarkedAsSpam: spamRefusal,
    Closed: closedRefusal,
  },
  routeToOperator: {
    Waiting: 'AssignedToOperator',
    AssignedToBot: notWaiting,
    AssignedToOperator: notWaiting,
    MarkedAsSpam: spamRefusal,
    Closed: closedRefusal,
  },
  routeToBot: {
    Waiting: 'AssignedToBot',
    AssignedToBot: notWaiting,
    AssignedToOperator: notWaiting,
    MarkedAsSpam: spamRefusal,
    Closed: closedRefusal,
  },
  autoClose: {
    Waiting: notHeld,
    AssignedToBot: 'Closed',
    AssignedToOperator: 'Closed',
    MarkedAsSpam: spamRefusal,
    Closed: closedRefusal,
  },
  returnToQueue: {
    Waiting: { refused: 'the session is in the queue already' },
    AssignedToBot: { refused: 'the bot holds the session: only an operator loses it to the queue' },
    AssignedToOperator: 'Waiting',
    MarkedAsSpam: spamRefusal,
    Closed: closedRefusal,
  },
};

/** The outcome of a change in a state (never undefined: the table is total). */
export function transition(change: Transition, state: LineSessionState): Outcome {
  return TRANSITIONS[change][state];
}

/** Whether the table lets a change happen in a state. */
export const allows = (change: Transition, state: LineSessionState): boolean => typeof transition(change, state) === 'string';

const isSystemChange = (t: Transition): t is SystemChange => t in SYSTEM_CHANGES;

/** The table as Markdown, for docs/sessions.md (`npm run docs`): the commands, then the system's changes. */
export function transitionsMarkdown(): string {
  const states = Object.keys(TRANSITIONS.close) as LineSessionState[];
  const head = `| command | ${states.join(' | ')} |\n|---|${states.map(() => '---').join('|')}|`;
  const rows = (Object.keys(TRANSITIONS) as Transition[]).map((change) => {
    const system = isSystemChange(change);
    const cells = states.map((s) => {
      const o = TRANSITIONS[change][s];
      if (typeof o === 'object') return system ? `— (${o.refused})` : `409: ${o.refused}`;
      return o === 'same' ? '= (unchanged)' : o === 'restore' ? 'state before spam ¹' : `→ ${o}`;
    });
    return `| ${system ? `${change} (${SYSTEM_CHANGES[change].by}) ²` : change} | ${cells.join(' | ')} |`;
  });
  const notes = [
    "¹ back to the operator who held it (if online and still an operator of the line), else to the line's bot if it held it, else the queue (`Waiting`, with its earlier group).",
    '² a change the system makes, no command: routing (`by: "routing"`, recorded as `assignToOperator` / `assignToBot`) or a timer (`by: "system"`). Where the table says — nothing happens: routing leaves the session, the timer is spent.',
  ];
  return [head, ...rows, '', ...notes.flatMap((n, i) => (i === 0 ? [n] : ['', n]))].join('\n');
}
