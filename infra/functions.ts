/**
 * Where a function's entry file lives. Handlers are grouped by what triggers them —
 * `functions/http` (a route of the manifest), `functions/stream` (the table's stream),
 * `functions/schedule` (EventBridge Scheduler), `functions/live` (the WebSocket API),
 * `functions/queue` (an SQS queue), `functions/mail` (SES: received mail, sending events) — and are
 * named by their file, which is unique across the groups.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const FUNCTIONS_DIR = join(import.meta.dirname, '..', 'functions');
export const TRIGGERS = ['http', 'stream', 'schedule', 'live', 'queue', 'mail'] as const;

/** The absolute path of `functions/<trigger>/<name>.ts`; throws when no group has it. */
export function functionEntry(name: string): string {
  for (const trigger of TRIGGERS) {
    const path = join(FUNCTIONS_DIR, trigger, `${name}.ts`);
    if (existsSync(path)) return path;
  }
  throw new Error(`no function file ${name}.ts under functions/{${TRIGGERS.join(',')}}`);
}

/** Every function file's name, from the folders themselves. */
export function allFunctionNames(): string[] {
  return TRIGGERS.flatMap((trigger) => {
    const dir = join(FUNCTIONS_DIR, trigger);
    return existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.endsWith('.ts'))
          .map((f) => f.slice(0, -3))
      : [];
  }).sort();
}
