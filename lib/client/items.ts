/**
 * Item references and items, as in the seed: a ref knows its `id` and can `fetch()` the full
 * item and run the object's commands; an item also holds `data` and can `save()` and
 * `normalize()`. Commands on an item refresh its `data` with the object as the server
 * answered it.
 */
import type { LineSessionPriority } from '../contract/enums.ts';
import type { RefTo } from './filter.ts';
import { ChatlinesApiError, type Transport } from './transport.ts';
import type {
  AppItemRef,
  LineChannelData,
  LineClientData,
  LineData,
  LineFileUploadData,
  LineMessageData,
  LineSessionData,
  QueuePositionData,
} from './types.ts';

/** A user, operator group or other principal: its id, or anything carrying it as `id`. */
export type PrincipalRef = string | { readonly id: string };

const enc = encodeURIComponent;

/** The id of a ref given as an id string or an object with `id`. */
export function idOf(ref: string | { readonly id: string }): string {
  const id = typeof ref === 'string' ? ref : ref?.id;
  if (typeof id !== 'string' || id === '') throw new TypeError('expected an id or an object with an id');
  return id;
}

/** Removes duplicates from a list, keeping the first of each (by `key`). */
function dedupe<T>(list: T[], key: (value: T) => string): T[] {
  const seen = new Set<string>();
  return list.filter((value) => {
    const k = key(value);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** One object by id through the collection's search; a 404 error when there is none. */
async function fetchById<D>(transport: Transport, collection: string, id: string): Promise<D> {
  const page = await transport.request<{ items: D[] }>('POST', `/v1/${collection}/search`, {
    body: { where: { eq: ['__id', id] }, from: 0, size: 1 },
    readOnly: true,
  });
  const found = page.items[0];
  if (found === undefined) {
    throw new ChatlinesApiError(
      { type: 'https://chatlines.dev/problems/not-found', title: 'Not found', status: 404, detail: `${collection} ${id} does not exist` },
      `POST /v1/${collection}/search`,
    );
  }
  return found;
}

const appKey = (a: AppItemRef) => `${a.code}\u0000${a.id}`;
/** Only `{ code, id }` of an app item travels (a platform ref may carry more, e.g. `namespace`). */
const appRef = (a: AppItemRef): AppItemRef => ({ code: a.code, id: a.id });

// ---------------------------------------------------------------- lines

/** A reference to a line (LineItemRef). */
export class LineItemRef {
  readonly kind = 'line' as const;
  constructor(
    protected readonly transport: Transport,
    readonly id: string,
  ) {}

  /** The full line. */
  async fetch(): Promise<LineItem> {
    return new LineItem(this.transport, await this.transport.request<LineData>('GET', `/v1/lines/${enc(this.id)}`));
  }
}

/** A line with its data (LineItem). */
export class LineItem extends LineItemRef {
  constructor(
    transport: Transport,
    public data: LineData,
  ) {
    super(transport, data.__id);
  }

  /** Removes duplicate ids from the array fields. */
  normalize(): void {
    this.data._operatorGroups = dedupe(this.data._operatorGroups, String);
    this.data._supervisorGroups = dedupe(this.data._supervisorGroups, String);
    this.data._sessionApps = dedupe(this.data._sessionApps, String);
  }
}

// ---------------------------------------------------------------- channels

/** A reference to a channel (LineChannelItemRef). */
export class LineChannelItemRef {
  readonly kind = 'channel' as const;
  constructor(
    protected readonly transport: Transport,
    readonly id: string,
  ) {}

  /** The full channel (the API has no `GET /v1/channels/{id}`: a search by `__id`). */
  async fetch(): Promise<LineChannelItem> {
    return new LineChannelItem(this.transport, await fetchById<LineChannelData>(this.transport, 'channels', this.id));
  }

  /** `active` → `disconnected`. */
  async disconnect(): Promise<void> {
    this.refresh(await this.transport.request<LineChannelData>('POST', `/v1/channels/${enc(this.id)}/disconnect`));
  }

  /** Back to `active`; only channel types that can reconnect (`inbox`, `telegramBot`, `viberbot`, `livechat`, `instagram`). */
  async reconnect(): Promise<void> {
    this.refresh(await this.transport.request<LineChannelData>('POST', `/v1/channels/${enc(this.id)}/reconnect`));
  }

  protected refresh(_data: LineChannelData): void {
    // A bare reference holds no data.
  }
}

/** A channel with its data (LineChannelItem). */
export class LineChannelItem extends LineChannelItemRef {
  constructor(
    transport: Transport,
    public data: LineChannelData,
  ) {
    super(transport, data.__id);
  }

  protected override refresh(data: LineChannelData): void {
    this.data = data;
  }

  /** Nothing to deduplicate on a channel; kept for the seed's surface. */
  normalize(): void {}
}

// ---------------------------------------------------------------- clients

/** A reference to a client (LineClientItemRef). */
export class LineClientItemRef {
  readonly kind = 'client' as const;
  constructor(
    protected readonly transport: Transport,
    readonly id: string,
  ) {}

  /** The full client (the API has no `GET /v1/clients/{id}`: a search by `__id`). */
  async fetch(): Promise<LineClientItem> {
    return new LineClientItem(this.transport, await fetchById<LineClientData>(this.transport, 'clients', this.id));
  }
}

/** A client with its data (LineClientItem). */
export class LineClientItem extends LineClientItemRef {
  constructor(
    transport: Transport,
    public data: LineClientData,
  ) {
    super(transport, data.__id);
  }

  /**
   * Saves the client's link to an app item (`_applicationItem`, the only editable field): the
   * app must be the one the client's line allows for account links.
   */
  async save(): Promise<void> {
    const item = this.data._applicationItem;
    this.data = await this.transport.request<LineClientData>('PATCH', `/v1/clients/${enc(this.id)}`, {
      body: { _applicationItem: item ? appRef(item) : null },
    });
  }

  /** Nothing to deduplicate on a client; kept for the seed's surface. */
  normalize(): void {}
}

// ---------------------------------------------------------------- messages

/** A message of a session (LineMessageItem). */
export class LineMessageItem {
  readonly kind = 'message' as const;
  readonly id: string;
  constructor(readonly data: LineMessageData) {
    this.id = data.__id;
  }
}

// ---------------------------------------------------------------- sessions

/** A reference to a session (LineSessionItemRef): every session command. */
export class LineSessionItemRef {
  readonly kind = 'session' as const;
  constructor(
    protected readonly transport: Transport,
    readonly id: string,
  ) {}

  private path(suffix = ''): string {
    return `/v1/sessions/${enc(this.id)}${suffix}`;
  }

  private async command(method: 'POST' | 'PUT' | 'DELETE', suffix: string, body?: unknown): Promise<void> {
    const session = await this.transport.request<LineSessionData>(method, this.path(suffix), body === undefined ? {} : { body });
    this.refresh(session);
  }

  protected refresh(_data: LineSessionData): void {
    // A bare reference holds no data.
  }

  /** The full session. */
  async fetch(): Promise<LineSessionItem> {
    return new LineSessionItem(this.transport, await this.transport.request<LineSessionData>('GET', this.path()));
  }

  /** Assigns the line's bot; `silent` suppresses the bot-start event. */
  assignToBot(silent?: boolean): Promise<void> {
    return this.command('POST', '/assign', { bot: true, silent: silent ?? false });
  }

  /** Assigns an operator (an online one); `comment` becomes a staff-only note for it, written with the transfer. */
  assignToOperator(operator: PrincipalRef, options?: { comment?: string }): Promise<void> {
    return this.command('POST', '/assign', { operator: idOf(operator), ...(options?.comment ? { comment: options.comment } : {}) });
  }

  /** Puts the session in the queue of one of the line's operator groups; `comment`: a staff-only note for whoever takes it. */
  assignToOperatorGroup(userGroup: PrincipalRef, options?: { comment?: string }): Promise<void> {
    return this.command('POST', '/assign', { group: idOf(userGroup), ...(options?.comment ? { comment: options.comment } : {}) });
  }

  /** Closes the session; only the operator or bot assigned may. */
  close(): Promise<void> {
    return this.command('POST', '/close');
  }

  /** Marks the session as spam (not on `internal` and `support` channels). */
  markAsSpam(): Promise<void> {
    return this.command('PUT', '/spam');
  }

  /** Takes the session out of spam: back to its earlier operator, or into the queue. */
  unmarkAsSpam(): Promise<void> {
    return this.command('DELETE', '/spam');
  }

  /** Sets the priority, or clears it when called without one. */
  setPriority(priority?: LineSessionPriority | null): Promise<void> {
    return this.command('PUT', '/priority', { priority: priority ?? null });
  }

  /** Adds a staff-only system message (never delivered to the client); returns it. */
  async sendSystemMessage(message: string): Promise<LineMessageItem> {
    return new LineMessageItem(await this.transport.request<LineMessageData>('POST', this.path('/messages'), { body: { type: 'system', body: message } }));
  }

  /** Replies to the client as the assigned operator or bot; returns the message. */
  async sendMessage(text: string): Promise<LineMessageItem> {
    return new LineMessageItem(await this.transport.request<LineMessageData>('POST', this.path('/messages'), { body: { type: 'text', body: text } }));
  }

  /** Replies with one of the line's response templates, filled by the server; returns the message. */
  async sendTemplate(templateId: string): Promise<LineMessageItem> {
    return new LineMessageItem(await this.transport.request<LineMessageData>('POST', this.path('/messages'), { body: { template: templateId } }));
  }

  /**
   * Asks for an upload to the session: a pre-signed PUT bound to the declared size and type.
   * PUT the bytes there, then send the file with {@link sendFiles} (its content is checked then).
   */
  createUpload(file: { name: string; contentType: string; size: number }): Promise<LineFileUploadData> {
    return this.transport.request<LineFileUploadData>('POST', this.path('/files'), { body: file });
  }

  /** Replies to the client with uploaded files (ids from {@link createUpload}) and an optional caption; returns the message. */
  async sendFiles(files: readonly string[], caption?: string): Promise<LineMessageItem> {
    const body = { type: 'file', files: [...files], ...(caption ? { body: caption } : {}) };
    return new LineMessageItem(await this.transport.request<LineMessageData>('POST', this.path('/messages'), { body }));
  }

  /** The session's messages in order: skips `from`, at most `size` (default 10). */
  async getAllMessages(from?: number, size?: number): Promise<LineMessageItem[]> {
    const answer = await this.transport.request<LineMessageData[] | { items: LineMessageData[] }>('GET', this.path('/messages'), {
      query: { from, size },
    });
    const list = Array.isArray(answer) ? answer : answer.items;
    return list.map((m) => new LineMessageItem(m));
  }

  /** The last message; throws a 404 {@link ChatlinesApiError} when the session has none. */
  async getLastMessage(): Promise<LineMessageItem> {
    return new LineMessageItem(await this.transport.request<LineMessageData>('GET', this.path('/messages/last')));
  }

  /** A Waiting session's place in the queue and its expected wait (409 {@link ChatlinesApiError} otherwise). */
  async getQueuePosition(): Promise<QueuePositionData> {
    return this.transport.request<QueuePositionData>('GET', this.path('/queue'));
  }
}

/** A session with its data (LineSessionItem). */
export class LineSessionItem extends LineSessionItemRef {
  constructor(
    transport: Transport,
    public data: LineSessionData,
  ) {
    super(transport, data.__id);
  }

  protected override refresh(data: LineSessionData): void {
    this.data = data;
  }

  /** Saves the editable fields, `__name` and `_apps` (duplicates removed first). */
  async save(): Promise<void> {
    this.normalize();
    const data = await this.transport.request<LineSessionData>('PATCH', `/v1/sessions/${enc(this.id)}`, {
      body: { __name: this.data.__name, _apps: this.data._apps.map(appRef) },
    });
    this.refresh(data);
  }

  /** Removes duplicate links from the array fields (`_apps`, `_clients`). */
  normalize(): void {
    this.data._apps = dedupe(this.data._apps.flat() as AppItemRef[], appKey);
    this.data._clients = dedupe(this.data._clients, String);
  }
}

/** What a session may be created in: a channel item, a channel ref or a channel id. */
export type ChannelRef = RefTo<'channel'>;
