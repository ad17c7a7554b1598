/** Identifiers and clocks, in one place so tests and rules agree on their shape. */
import { randomBytes, randomUUID } from 'node:crypto';

export const newId = (): string => randomUUID();

let lastMs = 0;
let sequence = 0;
/**
 * A message id that sorts by time: `<epoch ms, 13 digits>-<sequence, 4 digits>-<random>`.
 * Messages written by one process in the same millisecond keep their order.
 */
export function newMessageId(epochMs: number): string {
  if (epochMs === lastMs) sequence = (sequence + 1) % 10_000;
  else {
    lastMs = epochMs;
    sequence = 0;
  }
  return `${String(epochMs).padStart(13, '0')}-${String(sequence).padStart(4, '0')}-${randomBytes(4).toString('hex')}`;
}

export const nowIso = (): string => new Date().toISOString();

/** The base fields of a new object (`__id`, `__name`, created/updated stamps, not deleted). */
export function newBaseFields(name: string, by: string, now: string = nowIso()) {
  return {
    __id: newId(),
    __name: name,
    __createdAt: now,
    __createdBy: by,
    __updatedAt: now,
    __updatedBy: by,
    __deletedAt: null,
  };
}
