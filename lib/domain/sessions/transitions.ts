/**
 * The session state machine: state × command → next state, or the reason it is refused.
 * This table is the only place that knows which command may run in which state; docs/sessions.md
 * shows it as it is (test/unit/transitions.test.ts keeps the two equal).
 */
import type { LineSessionState } from '../../contract/enums.ts';

export type SessionCommand =
  | 'assignToOperator'
  | 'assignToOperatorGroup'
  | 'assignToBot'
  | 'close'
  | 'markAsSpam'
  | 'unmarkAsSpam'
  | 'setPriority'
  | 'save'
  | 'reply'
  | 'sendSystemMessage';

/** `'restore'`: the state kept from before the spam mark (see unmarkAsSpam). `'same'`: unchanged. */
export type Outcome = LineSessionState | 'same' | 'restore' | { refused: string };

const closedRefusal = { refused: 'the session is closed' };
const spamRefusal = { refused: 'the session is marked as spam' };

export const TRANSITIONS: Record<SessionCommand, Record<LineSessionState, Outcome>> = {
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
};

/** The outcome of a command in a state (never undefined: the table is total). */
export function transition(command: SessionCommand, state: LineSessionState): Outcome {
  return TRANSITIONS[command][state];
}

/** The table as Markdown, for docs/sessions.md (`npm run docs`). */
export function transitionsMarkdown(): string {
  const states = Object.keys(TRANSITIONS.close) as LineSessionState[];
  const head = `| command | ${states.join(' | ')} |\n|---|${states.map(() => '---').join('|')}|`;
  const rows = (Object.keys(TRANSITIONS) as SessionCommand[]).map((command) => {
    const cells = states.map((s) => {
      const o = TRANSITIONS[command][s];
      return typeof o === 'string' ? (o === 'same' ? '= (unchanged)' : o === 'restore' ? 'state before spam ¹' : `→ ${o}`) : `409: ${o.refused}`;
    });
    return `| ${command} | ${cells.join(' | ')} |`;
  });
  const note =
    "¹ back to the operator who held it (if online and still an operator of the line), else to the line's bot if it held it, else the queue (`Waiting`, with its earlier group).";
  return [head, ...rows, '', note].join('\n');
}
