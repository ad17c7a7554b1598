/**
 * Files: sign an upload, check a file when a message sends it, sign a download — and the API
 * the messengers and e-mail use to carry files both ways.
 *
 * Where the check runs: when a message sends the file (not on upload). The sender's request
 * reads the object's head (its size), its first 4,100 bytes (a ranged GET, sniffed for the
 * content's signature) and, with the malware scan on, its scan tag; the verdict is written with
 * the message in one transaction (`ready`), or the file is marked `rejected` and the send is
 * refused naming the reason. No event or queue is needed (the local s3rver's and S3's events
 * would only move the same check earlier), a file nobody sends costs no check, and the bytes
 * never pass through a function beyond the few sniffed.
 *
 * For messengers and e-mail (inbound): `storeInboundFile` puts the bytes, checks them the same
 * way and returns a `MessageFile`; pass it in `receiveInbound`'s `files` (lib/app/sessions/open.ts)
 * and the message's transaction writes the file record and a `file` message.
 * For outbound: `filesOf(message)` gives each ready file as the port's `OutboundFile`
 * (name, type, size, a pre-signed URL, and the bytes on demand).
 */
import { randomUUID } from 'node:crypto';
import type { TransactItem } from '../../adapters/dynamodb/db.ts';
import { bindFileWrite, deleteFiles, findFile, findFiles, insertFile, newFileWrite, rejectFile } from '../../adapters/dynamodb/files.ts';
import { clientIdByAccount, findChannel, getLineCached } from '../../adapters/dynamodb/lines.ts';
import { findOperator } from '../../adapters/dynamodb/operators.ts';
import { findSession } from '../../adapters/dynamodb/sessions.ts';
import {
  deleteObject,
  filesConfigured,
  firstBytes,
  headObject,
  keepObject,
  MALWARE_SCAN_TAG,
  objectBytes,
  objectTags,
  presignGet,
  presignPut,
  putObject,
} from '../../adapters/files/s3.ts';
import { SNIFF_BYTES, sniff } from '../../adapters/files/sniff.ts';
import type { OutboundFile } from '../../adapters/messengers/port.ts';
import { type Caller, hasRole } from '../../contract/caller.ts';
import { ChatlinesError, conflict, notFound } from '../../contract/errors.ts';
import { type CreateFileBody, cleanFileName, type FileRecord, type FileRef, MAX_FILES_PER_MESSAGE } from '../../contract/files.ts';
import type { Line, Message, Session } from '../../contract/schemas.ts';
import type { VisitorClaims } from '../../contract/visitors.ts';
import type * as z from '../../contract/zod.ts';
import { authorizeSessionCommand, canSeeSession, sessionActor, visibleSession } from '../../domain/auth/policy.ts';
import { isImage, judge, maxFileSize, uploadRefusal } from '../../domain/files/rules.ts';
import { nowIso } from '../../domain/ids.ts';
import { nextState } from '../../domain/sessions/session.ts';
import { isLivechat } from '../../domain/visitors/rules.ts';

/** How long a signed upload is valid (seconds). */
export const UPLOAD_SECONDS = 10 * 60;
/** How long a signed download is valid (seconds). */
export const DOWNLOAD_SECONDS = 5 * 60;

/** The object key of a file: under `files/`, by its id only (names never reach the key). */
export const objectKey = (id: string) => `files/${id}`;

type UploadBody = z.output<typeof CreateFileBody>;

/** With the malware scan on (stack parameter), only files with a clean verdict are sent. */
const scanOn = () => process.env.FILES_MALWARE_SCAN === 'true';

function requireStore(): void {
  if (!filesConfigured()) throw new ChatlinesError('unavailable', 'file storage is not configured on this host');
}

/** A file of a message, ready to be written with it: what the message carries and the record's write. */
export interface MessageFile {
  readonly ref: FileRef;
  /** The record's write in the message's transaction, once the session and the message are known. */
  write(session: string, message: string, visibility: 'client' | 'staff'): TransactItem;
}

const refOf = (file: FileRecord): FileRef => ({
  id: file.__id,
  name: file.name,
  type: file.type ?? file.contentType,
  size: file.size,
  state: file.state,
  reason: file.reason,
});

async function signUpload(record: FileRecord, body: UploadBody, limit: number) {
  const refusal = uploadRefusal(body, limit);
  if (refusal) throw new ChatlinesError('invalid', refusal, [{ path: refusal.includes('limit') ? 'size' : 'contentType', message: refusal }]);
  await insertFile(record);
  const put = await presignPut(record.key, body.contentType, body.size, UPLOAD_SECONDS);
  return { __id: record.__id, uploadUrl: put.url, method: 'PUT' as const, headers: put.headers, expiresAt: put.expiresAt };
}

function newRecord(body: UploadBody, by: string, channel: string, session: string | null, account: string | null): FileRecord {
  const id = randomUUID();
  return {
    __id: id,
    __createdAt: nowIso(),
    __createdBy: by,
    key: objectKey(id),
    name: body.name,
    contentType: body.contentType,
    size: body.size,
    type: null,
    state: 'pending',
    reason: null,
    channel,
    session,
    account,
    message: null,
    visibility: null,
  };
}

/** May the caller write to the session at all: add a note or reply to the client? Throws the note's refusal. */
function requireWriter(caller: Caller, line: Line, session: Session, operator: Parameters<typeof sessionActor>[3]): void {
  const actor = sessionActor(caller, line, session, operator);
  const take = { caller: caller.sub, groups: caller.groups };
  let refusal: unknown;
  for (const command of ['sendSystemMessage', 'reply'] as const) {
    try {
      nextState(session, command);
      authorizeSessionCommand(actor, command, session, take);
      return;
    } catch (error) {
      refusal ??= error;
    }
  }
  throw refusal;
}

/** `POST /v1/sessions/{id}/files`: an upload for anyone who may write to the session. */
export async function requestSessionUpload(caller: Caller, sessionId: string, body: UploadBody) {
  requireStore();
  const operatorRecord = hasRole(caller, 'operator') && !hasRole(caller, 'admin') ? findOperator(caller.sub) : undefined;
  const session = await findSession(sessionId);
  if (!session) throw notFound('session', sessionId);
  const line = await getLineCached(session._line);
  visibleSession(caller, line, session);
  requireWriter(caller, line, session, await operatorRecord);
  return signUpload(newRecord(body, caller.sub, session._channel, session.__id, null), body, maxFileSize(line));
}

/** `POST /v1/visitors/files`: an upload for the visitor's next message (bound to its session when sent). */
export async function requestVisitorUpload(claims: VisitorClaims, body: UploadBody) {
  requireStore();
  const channel = await findChannel(claims.channel);
  if (!channel || !isLivechat(channel)) throw notFound('livechat channel', claims.channel);
  if (channel._state !== 'active') throw conflict('this chat is not available right now (the channel is disconnected)');
  const line = await getLineCached(channel._line);
  return signUpload(newRecord(body, `visitor:${claims.account}`, channel.__id, null, claims.account), body, maxFileSize(line));
}

/** Who sends the files: staff on a session, or a client (visitor, integration) on a channel. */
export type Sender = { kind: 'staff'; session: string } | { kind: 'client'; channel: string; account: string };

/**
 * The files a message is about to send, checked: each must be the sender's own upload (staff:
 * of that session; a client: of its channel and account), unsent, uploaded, of the declared
 * size within the line's limit and of an allowed type by its content. A file that fails is
 * marked `rejected` (never served; its object deleted) and the whole send is refused naming
 * the reason; one not uploaded yet (or still being scanned) is a 409, try again.
 */
export async function checkFilesForSend(ids: readonly string[], sender: Sender, line: Line): Promise<MessageFile[]> {
  if (ids.length === 0) return [];
  requireStore();
  if (new Set(ids).size !== ids.length) throw new ChatlinesError('invalid', 'a file is listed twice', [{ path: 'files', message: 'duplicate id' }]);
  if (ids.length > MAX_FILES_PER_MESSAGE) {
    throw new ChatlinesError('invalid', `a message carries at most ${MAX_FILES_PER_MESSAGE} files`, [{ path: 'files', message: 'too many' }]);
  }
  const records = await findFiles(ids);
  const limit = maxFileSize(line);
  const checked = await Promise.all(
    records.map(async (file, i) => {
      const own =
        file &&
        (sender.kind === 'staff'
          ? file.session === sender.session && file.account === null
          : file.session === null && file.channel === sender.channel && file.account === sender.account);
      if (!file || !own)
        throw new ChatlinesError('invalid', `files.${i}: no such file of this session`, [{ path: `files.${i}`, message: 'not an upload of this sender' }]);
      if (file.message !== null)
        throw new ChatlinesError('invalid', `files.${i}: the file was sent already`, [{ path: `files.${i}`, message: 'already sent' }]);
      if (file.state === 'rejected') {
        throw new ChatlinesError('invalid', `files.${i}: the file was refused (${file.reason})`, [{ path: `files.${i}`, message: `rejected: ${file.reason}` }]);
      }
      return { i, file, verdict: await inspect(file, limit) };
    }),
  );
  const refused = checked.filter((c) => c.verdict.ok === false);
  if (refused.length > 0) {
    await Promise.all(
      refused.map(async ({ file, verdict }) => {
        if (verdict.ok !== false) return;
        if (await rejectFile(file, verdict.reason, verdict.detected ?? null)) await deleteObject(file.key).catch(() => undefined);
      }),
    );
    const errors = refused.map(({ i, verdict }) => ({ path: `files.${i}`, message: verdict.ok === false ? `${verdict.reason}: ${verdict.detail}` : '' }));
    throw new ChatlinesError('invalid', `a file was refused: ${errors.map((e) => `${e.path} (${e.message})`).join('; ')}`, errors);
  }
  const waiting = checked.find((c) => c.verdict.ok === 'wait');
  if (waiting && waiting.verdict.ok === 'wait') throw conflict(`files.${waiting.i}: ${waiting.verdict.detail}; try again shortly`);
  // Past the check: the objects are kept (the lifecycle rule expires only pending ones).
  await Promise.all(checked.map(({ file }) => keepObject(file.key)));
  return checked.map(({ file, verdict }) => {
    const type = verdict.ok === true ? verdict.type : file.contentType;
    const ref: FileRef = { id: file.__id, name: file.name, type, size: file.size, state: 'ready', reason: null };
    return {
      ref,
      write: (session, message, visibility) => bindFileWrite(file, { session, message, visibility, state: 'ready', type, reason: null }),
    };
  });
}

type Inspection = ReturnType<typeof judge> & { detected?: string | undefined };

/** Reads what the verdict needs: the head, then (uploaded) the first bytes and the scan tag in parallel. */
async function inspect(file: FileRecord, limit: number): Promise<Inspection> {
  const object = await headObject(file.key);
  const base = { name: file.name, declaredType: file.contentType, declaredSize: file.size, limit, object };
  if (!object || object.size !== file.size || object.size > limit) return judge({ ...base, detected: undefined, scan: 'off' });
  const [bytes, tags] = await Promise.all([firstBytes(file.key, SNIFF_BYTES), scanOn() ? objectTags(file.key) : Promise.resolve(undefined)]);
  const detected = await sniff(bytes);
  return { ...judge({ ...base, detected, scan: tags ? tags[MALWARE_SCAN_TAG] : 'off' }), detected };
}

// ------------------------------------------------------------------ downloads

const link = async (file: FileRecord) => {
  const type = file.type ?? file.contentType;
  const url = await presignGet(file.key, { seconds: DOWNLOAD_SECONDS, contentType: type, attachment: isImage(type) ? undefined : file.name });
  return { url, expiresAt: new Date(Date.now() + DOWNLOAD_SECONDS * 1000).toISOString(), name: file.name, type, size: file.size };
};

/** `GET /v1/files/{id}`: a sent, ready file of a session the caller may see; 404 to everyone else. */
export async function staffFileLink(caller: Caller, id: string) {
  requireStore();
  const file = await findFile(id);
  if (file?.state !== 'ready' || !file.session || !file.message) throw notFound('file', id);
  const session = await findSession(file.session);
  if (!session) throw notFound('file', id);
  const line = await getLineCached(session._line);
  if (!canSeeSession(caller, line, session)) throw notFound('file', id);
  return link(file);
}

/** `GET /v1/visitors/files/{id}`: a ready file of a client-visible message of the visitor's own session. */
export async function visitorFileLink(claims: VisitorClaims, id: string) {
  requireStore();
  const [file, clientId] = await Promise.all([findFile(id), clientIdByAccount(claims.channel, claims.account)]);
  if (!file || !clientId || file.state !== 'ready' || !file.session || file.visibility !== 'client' || file.channel !== claims.channel) {
    throw notFound('file', id);
  }
  const session = await findSession(file.session);
  if (!session || session._channel !== claims.channel || session._clients[0] !== clientId) throw notFound('file', id);
  return link(file);
}

// ------------------------------------------------- messengers and e-mail

export interface InboundFileInput {
  /** The channel the file arrives on (its line's limit applies). */
  channel: string;
  name: string;
  /** What the messenger says it is; the content decides. */
  contentType?: string | undefined;
  bytes: Uint8Array;
  /** Who stored it (the integration's or the hook's principal). */
  by?: string;
}

/**
 * Stores an inbound file (a messenger's photo, an e-mail attachment) and checks it as an upload
 * is checked. The answer goes into `receiveInbound`'s `files`: the message's transaction writes
 * the record. A file that fails the check is kept as `rejected` (the operator sees that the
 * client sent something refused) and its bytes are deleted, never served.
 */
export async function storeInboundFile(input: InboundFileInput): Promise<MessageFile> {
  requireStore();
  const channel = await findChannel(input.channel);
  if (!channel) throw notFound('channel', input.channel);
  const line = await getLineCached(channel._line);
  const limit = maxFileSize(line);
  const id = randomUUID();
  const size = input.bytes.byteLength;
  const detected = await sniff(input.bytes.subarray(0, SNIFF_BYTES));
  // A messenger's generic type (or none) says nothing: the content's type stands in for it.
  const declared =
    input.contentType && uploadRefusal({ name: 'x', contentType: input.contentType, size: 1 }, limit) === undefined
      ? input.contentType
      : (detected ?? 'application/octet-stream');
  const name = cleanFileName(input.name);
  // Bytes in hand: nothing to wait for (the scan, when on, runs on the stored object as on any upload).
  const verdict = judge({ name, declaredType: declared, declaredSize: size, limit, object: { size }, detected, scan: 'off' });
  const record: FileRecord = {
    __id: id,
    __createdAt: nowIso(),
    __createdBy: input.by ?? 'system:inbound',
    key: objectKey(id),
    name,
    contentType: declared,
    size,
    type: detected ?? null,
    state: verdict.ok === true ? 'ready' : 'rejected',
    reason: verdict.ok === false ? verdict.reason : null,
    channel: channel.__id,
    session: null,
    account: null,
    message: null,
    visibility: null,
  };
  // Only what passed is stored; with the malware scan on it is scanned as any upload is.
  if (record.state === 'ready') await putObject(record.key, input.bytes, detected ?? declared);
  return {
    ref: refOf(record),
    write: (session, message, visibility) => newFileWrite({ ...record, session, message, visibility }),
  };
}

/**
 * Deletes the stored bytes of inbound files whose message was never written (a duplicate that
 * lost the race to its original, or a message that failed): no record names them, so nothing
 * else would. Best effort: a failure is left to the caller to log.
 */
export async function discardInboundFiles(files: readonly MessageFile[]): Promise<void> {
  await Promise.all(files.filter((f) => f.ref.state === 'ready').map((f) => deleteObject(objectKey(f.ref.id))));
}

/** A pre-signed GET of a file a message carries (the object's key follows from its id). */
const urlOf = (file: FileRef, seconds: number) =>
  presignGet(objectKey(file.id), { seconds, contentType: file.type, attachment: isImage(file.type) ? undefined : file.name });

/**
 * A message's files for a messenger's media call (lib/adapters/messengers/port.ts `OutboundFile`):
 * each ready file's name, type, size, a pre-signed URL valid `seconds`, and its bytes on demand.
 * Rejected files are left out. Reads nothing: the message's `attachments` say it all.
 */
export async function filesOf(message: Pick<Message, 'attachments'>, seconds = DOWNLOAD_SECONDS): Promise<(OutboundFile & { id: string })[]> {
  // A message without ready files needs no storage: hosts without one send its text alone.
  const ready = (message.attachments ?? []).filter((f) => f.state === 'ready');
  if (ready.length === 0) return [];
  requireStore();
  return Promise.all(
    ready.map(async (f) => ({
      id: f.id,
      name: f.name,
      contentType: f.type,
      size: f.size,
      url: await urlOf(f, seconds),
      bytes: () => objectBytes(objectKey(f.id)),
    })),
  );
}

/** How long the download URLs in a delivery are valid (seconds). */
export const DELIVERY_LINK_SECONDS = 60 * 60;

/**
 * The generic signed delivery to a channel's `_deliveryUrl`: a `message.created` event whose
 * message carries files gets `data.files`, each ready file with a `url` (a pre-signed GET valid
 * an hour), signed for this attempt. Webhooks get the event as it is (file ids; staff download
 * with `GET /v1/files/{id}`).
 */
export async function withFileLinks(target: { kind: 'webhook' | 'channel' }, body: string): Promise<string> {
  if (target.kind !== 'channel' || !filesConfigured() || !body.includes('"attachments"')) return body;
  const event = JSON.parse(body) as { type?: string; data?: { message?: Pick<Message, 'attachments'>; files?: unknown } };
  const attachments = event.data?.message?.attachments ?? [];
  if (event.type !== 'message.created' || !attachments.some((f) => f.state === 'ready')) return body;
  const files = await filesOf({ attachments }, DELIVERY_LINK_SECONDS);
  event.data!.files = files.map(({ bytes: _bytes, ...f }) => ({ ...attachments.find((a) => a.id === f.id)!, url: f.url }));
  return JSON.stringify(event);
}

// ------------------------------------------------------------ a client's data

/** How long the download links of a client's export are valid (seconds). */
export const EXPORT_LINK_SECONDS = 60 * 60;

/**
 * The download links of a client's export: each ready file a message names, a pre-signed GET
 * valid an hour; null for a file refused, never sent or gone (and for all without storage).
 */
export async function exportFileLinks(ids: readonly string[]): Promise<Map<string, string | null>> {
  const links = new Map<string, string | null>(ids.map((id) => [id, null]));
  if (ids.length === 0 || !filesConfigured()) return links;
  for (let start = 0; start < ids.length; start += 100) {
    const records = await findFiles(ids.slice(start, start + 100));
    await Promise.all(
      records.map(async (file) => {
        if (file?.state !== 'ready' || !file.message) return;
        const type = file.type ?? file.contentType;
        links.set(
          file.__id,
          await presignGet(file.key, { seconds: EXPORT_LINK_SECONDS, contentType: type, attachment: isImage(type) ? undefined : file.name }),
        );
      }),
    );
  }
  return links;
}

/**
 * A client's erasure: the stored bytes and the records of these files go (each step idempotent:
 * deleting what is gone already is no error, so an interrupted erasure deletes again).
 */
export async function eraseFiles(ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  if (filesConfigured()) await Promise.all(ids.map((id) => deleteObject(objectKey(id))));
  await deleteFiles(ids);
}
