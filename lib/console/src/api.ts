/** The console's only way to chatlines: its public HTTP API, with the signed-in token. Every refusal is an ApiError carrying the problem's `detail`. */
import { current } from './auth.ts';
import { config } from './config.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
  }
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const cfg = await config();
  const token = current()?.token;
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && !path.endsWith('/search')) headers['idempotency-key'] = crypto.randomUUID();
  let r: Response;
  try {
    r = await fetch(`${cfg.apiUrl}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch {
    throw new ApiError(0, 'chatlines cannot be reached; check the connection');
  }
  const text = await r.text();
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  if (!r.ok) {
    const p = parsed as { detail?: string; title?: string } | undefined;
    throw new ApiError(r.status, p?.detail ?? p?.title ?? `HTTP ${r.status}`);
  }
  return parsed as T;
}

// The wire shapes the console reads (a subset of lib/client/types.ts).
export interface Session {
  __id: string;
  __name: string;
  __createdAt: string;
  __updatedAt: string;
  _line: string;
  _channel: string;
  _clients: string[];
  _state: 'Waiting' | 'AssignedToBot' | 'AssignedToOperator' | 'MarkedAsSpam' | 'Closed';
  _priority: 'Low' | 'Medium' | 'High' | null;
  _userId: string | null;
  _userGroupId: string | null;
  _botId: string | null;
  _acceptedAt: string | null;
  _lastActivityAt: string;
}
export interface Line {
  __id: string;
  __name: string;
  _operatorGroups: string[];
  _supervisorGroups: string[];
  _botId: string | null;
  [k: string]: unknown;
}
export interface FileRef {
  id: string;
  name: string;
  type: string;
  size: number;
  state: 'pending' | 'ready' | 'rejected';
  reason: string | null;
}
export interface Message {
  __id: string;
  __createdAt: string;
  type: 'text' | 'file' | 'system' | 'payload';
  author: 'client' | 'operator' | 'bot' | 'system';
  body: string;
  operator: string | null;
  attachments?: FileRef[];
  /** Read by the other side (a client message by staff, a reply by the client). */
  isRead: boolean;
  payload: { kind: string; command: string; by: string; changes: { field: string; old: unknown; new: unknown }[] } | null;
  /** A client's mail: the sender's SPF/DKIM/DMARC verdicts (docs/email.md). */
  _mailAuth?: { spf: string; dkim: string; dmarc: string };
}

export interface Template {
  __id: string;
  __name: string;
  _line: string;
  _shortcut: string;
  _text: string;
}

export const search = <T>(collection: string, body: unknown) => api<{ items: T[]; total?: number }>('POST', `/v1/${collection}/search`, body);

/**
 * Uploads a file for a session in the two steps of the API: a pre-signed PUT is asked for
 * (declared name, type and size), then the bytes go straight to storage. Answers the file's id,
 * to send with a `file` message (or a note).
 */
export async function uploadFile(sessionId: string, file: File): Promise<string> {
  const u = await api<{ __id: string; uploadUrl: string; headers: Record<string, string> }>('POST', `/v1/sessions/${sessionId}/files`, {
    name: file.name,
    contentType: file.type || 'application/octet-stream',
    size: file.size,
  });
  let put: Response;
  try {
    put = await fetch(u.uploadUrl, { method: 'PUT', headers: u.headers, body: file });
  } catch {
    throw new ApiError(0, `${file.name} could not be uploaded (storage unreachable)`);
  }
  if (!put.ok) throw new ApiError(put.status, `${file.name} was refused by the storage (HTTP ${put.status})`);
  return u.__id;
}

/** A short-lived download URL of a sent file (`GET /v1/files/{id}?redirect=false`). */
export const fileLink = (id: string) => api<{ url: string; type: string; name: string }>('GET', `/v1/files/${id}?redirect=false`);
