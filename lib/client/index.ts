/**
 * The typed chatlines client: the seed SDK's `System.lines` over HTTPS.
 *
 * ```ts
 * const lines = createLinesClient({ baseUrl, token });
 * const session = await lines.sessions.search()
 *   .where((f, g) => g.and(f.__deletedAt.eq(null), f.__id.eq(id)))
 *   .first();
 * await session.assignToOperator(user);
 * ```
 *
 * Depends on nothing but `fetch` and lib/contract/enums.ts (which imports nothing), so it runs
 * in Node and in browsers and never pulls in server code; `import '@chatlines/client'` (the npm workspace lib/client).
 */
import type { LineChannelState, LineChannelType, LineClientBlockedStatus, LineMetricType, LineSessionPriority, LineSessionState } from '../contract/enums.ts';
import type { RefTo, Time } from './filter.ts';
import {
  type ChannelRef,
  idOf,
  LineChannelItem,
  LineChannelItemRef,
  LineClientItem,
  LineClientItemRef,
  LineItem,
  LineItemRef,
  LineSessionItem,
  LineSessionItemRef,
} from './items.ts';
import { type LiveSubscribeOptions, type LiveSubscription, liveUrlOf, subscribeLive } from './live.ts';
import { Search } from './search.ts';
import { type LinesClientOptions, Transport } from './transport.ts';
import type {
  AppItemRef,
  CreateChannelInput,
  CreateLineInput,
  LineChannelData,
  LineClientData,
  LineData,
  LineMetricsData,
  LineSessionData,
  OperatorData,
} from './types.ts';

export {
  LineChannelState,
  LineChannelType,
  LineClientBlockedStatus,
  LineMessageType,
  LineMetricType,
  LineSessionPriority,
  LineSessionState,
  OperatorStatusType,
} from '../contract/enums.ts';
export type { ArrayField, Combinators, FieldOperators, Fields, Filter, RefTo, ScalarField, Time } from './filter.ts';
export {
  type ChannelRef,
  LineChannelItem,
  LineChannelItemRef,
  LineClientItem,
  LineClientItemRef,
  LineItem,
  LineItemRef,
  LineMessageItem,
  LineSessionItem,
  LineSessionItemRef,
  type PrincipalRef,
} from './items.ts';
export type { LiveState, LiveSubscribeOptions, LiveSubscription, WebSocketConstructor, WebSocketLike } from './live.ts';
export { DEFAULT_SEARCH_SIZE, Search, type SearchPage, type SearchRequestBody, type SortKey } from './search.ts';
export { ChatlinesApiError, type LinesClientOptions } from './transport.ts';
export type * from './types.ts';

// ---------------------------------------------------------------- searchable fields

/** Base fields every collection can search by. */
export interface BaseSearchFields {
  __id: string;
  __name: string;
  __createdAt: Time;
  __createdBy: string;
  __updatedAt: Time;
  __updatedBy: string;
  __deletedAt: Time | null;
}

/** Fields of `lines.search()` (LineSearch). */
export interface LineSearchFields extends BaseSearchFields {
  _operatorGroups: string[];
  _supervisorGroups: string[];
  _botId: string | null;
  _accountApp: string | null;
  _sessionApps: string[];
}

/** Fields of `channels.search()` (LineChannelSearch). */
export interface LineChannelSearchFields extends BaseSearchFields {
  _line: RefTo<'line'>;
  _type: LineChannelType;
  _state: LineChannelState;
}

/** Fields of `clients.search()` (LineClientSearch). */
export interface LineClientSearchFields extends BaseSearchFields {
  _line: RefTo<'line'>;
  _channel: RefTo<'channel'>;
  _username: string;
  _applicationItem: AppItemRef | null;
  _blockedStatus: LineClientBlockedStatus;
}

/** Fields of `sessions.search()` (LineSessionSearch). */
export interface LineSessionSearchFields extends BaseSearchFields {
  _line: RefTo<'line'>;
  _channel: RefTo<'channel'>;
  _clients: RefTo<'client'>[];
  _state: LineSessionState;
  _priority: LineSessionPriority | null;
  _userId: string | null;
  _userGroupId: string | null;
  _botId: string | null;
  _acceptedAt: Time | null;
  _closedAt: Time | null;
  _apps: AppItemRef[];
  _lastActivityAt: Time;
  _externalChatId: string | null;
  _externalChatName: string | null;
  _version: number;
}

// ---------------------------------------------------------------- collections

/** `lines.lines` (Lines). */
export class Lines {
  constructor(private readonly transport: Transport) {}
  search(): Search<LineSearchFields, LineData, LineItem> {
    return new Search(this.transport, 'lines', (d: LineData) => new LineItem(this.transport, d));
  }
  /** A reference by id (no request). */
  ref(id: string): LineItemRef {
    return new LineItemRef(this.transport, id);
  }
  /** Creates a line (admin). */
  async create(input: CreateLineInput): Promise<LineItem> {
    return new LineItem(this.transport, await this.transport.request<LineData>('POST', '/v1/lines', { body: input }));
  }
}

/** `lines.channels` (LineChannels). */
export class LineChannels {
  constructor(private readonly transport: Transport) {}
  search(): Search<LineChannelSearchFields, LineChannelData, LineChannelItem> {
    return new Search(this.transport, 'channels', (d: LineChannelData) => new LineChannelItem(this.transport, d));
  }
  ref(id: string): LineChannelItemRef {
    return new LineChannelItemRef(this.transport, id);
  }
  /** Connects a messenger account to a line (admin). */
  async create(input: CreateChannelInput): Promise<LineChannelItem> {
    const body = { ...input, _line: idOf(input._line) };
    return new LineChannelItem(this.transport, await this.transport.request<LineChannelData>('POST', '/v1/channels', { body }));
  }
}

/** `lines.clients` (LineClients). */
export class LineClients {
  constructor(private readonly transport: Transport) {}
  search(): Search<LineClientSearchFields, LineClientData, LineClientItem> {
    return new Search(this.transport, 'clients', (d: LineClientData) => new LineClientItem(this.transport, d));
  }
  ref(id: string): LineClientItemRef {
    return new LineClientItemRef(this.transport, id);
  }
}

/** `lines.sessions` (LineSessions). */
export class LineSessions {
  constructor(private readonly transport: Transport) {}
  search(): Search<LineSessionSearchFields, LineSessionData, LineSessionItem> {
    return new Search(this.transport, 'sessions', (d: LineSessionData) => new LineSessionItem(this.transport, d));
  }
  ref(id: string): LineSessionItemRef {
    return new LineSessionItemRef(this.transport, id);
  }
  /**
   * Creates a session on behalf of the calling operator with the client whose account (nickname,
   * phone, e-mail… by channel type) is given; the client is found or created on that channel.
   */
  async create(channel: ChannelRef, account: string): Promise<LineSessionItem> {
    const session = await this.transport.request<LineSessionData>('POST', '/v1/sessions', {
      body: { channel: idOf(channel), account },
    });
    return new LineSessionItem(this.transport, session);
  }
}

/** Query of `GET /v1/metrics` (LineMetrics); references may be given as items or ids. */
export interface MetricsQuery {
  /** One metric; all of them when omitted. */
  type?: LineMetricType;
  /** The line (required: rollups are kept per line). */
  line: RefTo<'line'>;
  group?: string;
  channel?: RefTo<'channel'>;
  operator?: string;
  granularity?: 'day' | 'week' | 'month';
  from?: Time;
  to?: Time;
}

/** `lines.metrics` (LineMetrics): metric series from the rollups. */
export class LineMetrics {
  constructor(private readonly transport: Transport) {}
  /** Metric series of a line over a period (`GET /v1/metrics`). */
  async get(query: MetricsQuery): Promise<LineMetricsData> {
    const time = (t: Time | undefined) => (t instanceof Date ? t.toISOString() : t);
    const ref = (r: RefTo<string> | undefined) => (r === undefined ? undefined : idOf(r));
    return this.transport.request<LineMetricsData>('GET', '/v1/metrics', {
      query: {
        type: query.type,
        line: ref(query.line),
        group: query.group,
        channel: ref(query.channel),
        operator: query.operator,
        granularity: query.granularity,
        from: time(query.from),
        to: time(query.to),
      },
    });
  }
}

/** `lines.live`: the events the caller may see, pushed over a WebSocket. */
export class LineLive {
  constructor(
    private readonly transport: Transport,
    private readonly options: LinesClientOptions,
  ) {}
  /**
   * Calls `onEvent` with every event the caller may see, as it happens; reconnects with
   * backoff and resumes after the last event seen, so nothing is missed (within an hour) and
   * nothing is delivered twice. `close()` on the result stops it.
   *
   * @example
   * const sub = lines.live.subscribe({ onEvent: (e) => console.log(e.type, e.session) });
   * // …
   * sub.close();
   */
  subscribe(options: LiveSubscribeOptions): LiveSubscription {
    return subscribeLive(
      { url: this.options.liveUrl ?? liveUrlOf(this.transport.baseUrl), token: this.transport.token, WebSocket: this.options.WebSocket },
      options,
    );
  }
}

/** The client: the seed's `System.lines` (LinesCollections). */
export interface LinesClient {
  readonly lines: Lines;
  readonly channels: LineChannels;
  readonly clients: LineClients;
  readonly sessions: LineSessions;
  readonly metrics: LineMetrics;
  /** Live events over a WebSocket (`lines.live.subscribe({ onEvent })`). */
  readonly live: LineLive;
  /** Sets the calling operator online or offline (`PUT /v1/operators/me/status`). */
  setMyStatus(status: 'online' | 'offline'): Promise<void>;
  /** Overrides an operator's capacity, `null` clears it (`PUT /v1/operators/{id}`; admin or its supervisor). */
  setOperatorCapacity(operator: string, capacity: number | null): Promise<OperatorData>;
}

/**
 * Makes a client for one API and one caller.
 *
 * @example
 * const lines = createLinesClient({ baseUrl: 'http://127.0.0.1:3000', token });
 * const open = await lines.sessions.search()
 *   .where((f, g) => g.and(f.__deletedAt.eq(null), f._state.neq(LineSessionState.Closed)))
 *   .size(50).all();
 */
export function createLinesClient(options: LinesClientOptions): LinesClient {
  const transport = new Transport(options);
  return {
    lines: new Lines(transport),
    channels: new LineChannels(transport),
    clients: new LineClients(transport),
    sessions: new LineSessions(transport),
    metrics: new LineMetrics(transport),
    live: new LineLive(transport, options),
    async setMyStatus(status) {
      await transport.request('PUT', '/v1/operators/me/status', { body: { status } });
    },
    async setOperatorCapacity(operator, capacity) {
      return transport.request<OperatorData>('PUT', `/v1/operators/${encodeURIComponent(operator)}`, { body: { capacity } });
    },
  };
}
