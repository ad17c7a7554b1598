/**
 * File records: one item per file, keyed by its id (`FILE#<id>`), so a download is one GetItem.
 * A record is written when an upload is signed (`pending`) or an inbound file is stored; a
 * message that sends it binds it in the message's own transaction (session, message,
 * visibility, the verdict), once: a file is sent by one message only.
 */
import { type FileRecord, FileRecordSchema } from '../../contract/files.ts';
import { batchWrite, getItem, getItems, type Item, putItem, type TransactItem, tableName, updateItem } from './db.ts';

export const fileKey = (id: string) => ({ pk: `FILE#${id}`, sk: '#FILE' });

/** How long a record of a file never sent is kept (seconds): the table's TTL removes it. */
export const UNSENT_FILE_TTL_SECONDS = 2 * 24 * 60 * 60;

const KEYS = new Set(['pk', 'sk', 'entity', 'expiresAt']);
function readFile(item: Item): FileRecord {
  const out: Item = {};
  for (const [k, v] of Object.entries(item)) if (!KEYS.has(k)) out[k] = v;
  const parsed = FileRecordSchema.safeParse(out);
  if (!parsed.success) throw new Error(`stored file ${String(item.pk)} is malformed: ${parsed.error.message}`);
  return parsed.data;
}

export const fileItem = (file: FileRecord, now = Date.now()): Item => ({
  ...fileKey(file.__id),
  entity: 'file',
  ...file,
  // Unsent records expire; a sent one is kept (its message refers to it).
  ...(file.message ? {} : { expiresAt: Math.floor(now / 1000) + UNSENT_FILE_TTL_SECONDS }),
});

export async function findFile(id: string): Promise<FileRecord | undefined> {
  const item = await getItem(fileKey(id));
  return item ? readFile(item) : undefined;
}

/** Several files in one BatchGetItem, in the order asked (undefined: none with that id). */
export async function findFiles(ids: readonly string[]): Promise<(FileRecord | undefined)[]> {
  const items = await getItems(ids.map(fileKey));
  return items.map((item) => (item ? readFile(item) : undefined));
}

/** A new record (a fresh id: never overwrites). */
export async function insertFile(file: FileRecord): Promise<void> {
  const written = await putItem(fileItem(file), { ConditionExpression: 'attribute_not_exists(pk)' });
  if (!written) throw new Error(`file ${file.__id} exists already`);
}

/** A new record written with a message (an inbound file), in the message's transaction. */
export const newFileWrite = (file: FileRecord): TransactItem => ({
  Put: { TableName: tableName(), Item: fileItem(file), ConditionExpression: 'attribute_not_exists(pk)' },
});

/**
 * Binds an uploaded file to the message that sends it, in that message's transaction: only if
 * it is still unsent and in the state the check read (a concurrent send of the same file loses).
 */
export function bindFileWrite(file: FileRecord, bound: Pick<FileRecord, 'session' | 'message' | 'visibility' | 'state' | 'type' | 'reason'>): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: fileKey(file.__id),
      UpdateExpression:
        'SET #session = :session, #message = :message, #visibility = :visibility, #state = :state, #type = :type, #reason = :reason REMOVE expiresAt',
      ConditionExpression: 'attribute_exists(pk) AND #message = :null AND #state = :was',
      ExpressionAttributeNames: {
        '#session': 'session',
        '#message': 'message',
        '#visibility': 'visibility',
        '#state': 'state',
        '#type': 'type',
        '#reason': 'reason',
      },
      ExpressionAttributeValues: {
        ':session': bound.session,
        ':message': bound.message,
        ':visibility': bound.visibility,
        ':state': bound.state,
        ':type': bound.type,
        ':reason': bound.reason,
        ':null': null,
        ':was': file.state,
      },
    },
  };
}

/** Marks an unsent file rejected (it is never served); false when it was sent or changed meanwhile. */
export async function rejectFile(file: FileRecord, reason: FileRecord['reason'], type: string | null): Promise<boolean> {
  const out = await updateItem({
    Key: fileKey(file.__id),
    UpdateExpression: 'SET #state = :rejected, #reason = :reason, #type = :type',
    ConditionExpression: 'attribute_exists(pk) AND #message = :null',
    ExpressionAttributeNames: { '#state': 'state', '#reason': 'reason', '#type': 'type', '#message': 'message' },
    ExpressionAttributeValues: { ':rejected': 'rejected', ':reason': reason, ':type': type, ':null': null },
  });
  return out !== undefined;
}

/** Deletes file records (a client's erasure); a record already gone is no error. */
export async function deleteFiles(ids: readonly string[]): Promise<void> {
  await batchWrite([], ids.map(fileKey));
}
