/**
 * Crashes on demand, from outside the code under test: a middleware on the shared DynamoDB
 * client's stack (lib/adapters/dynamodb/db.ts) that makes chosen calls fail before they reach
 * the database, as if the process had died at that point. Nothing of a failed call is written.
 */
import { db } from '../../lib/adapters/dynamodb/db.ts';

/** One DynamoDB call about to be sent: its command (`TransactWriteItems`, `PutItem`, …) and input. */
export interface Call {
  command: string;
  input: Record<string, unknown>;
}

let installed = 0;
/** Fails every call for which `fail` returns an error (with that error); returns the undo. */
export function failDynamo(fail: (call: Call) => Error | undefined): () => void {
  const client = db();
  const name = `testFault${installed++}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const error = fail({ command: String(context.commandName).replace(/Command$/, ''), input: args.input as Record<string, unknown> });
      if (error) throw error;
      return next(args);
    },
    { step: 'initialize', name },
  );
  return () => {
    client.middlewareStack.remove(name);
  };
}

type TransactItems = { Put?: { Item?: Record<string, unknown> }; Delete?: { Key?: Record<string, unknown> }; Update?: { Key?: Record<string, unknown> } }[];
/** The items of a TransactWriteItems call (none for any other call). */
export const transactItems = (call: Call): TransactItems => (call.command === 'TransactWriteItems' ? ((call.input.TransactItems ?? []) as TransactItems) : []);
