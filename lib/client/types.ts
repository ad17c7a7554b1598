/**
 * Wire types of the objects the API returns, written out by hand so that the client needs
 * neither zod nor any server module. `test/client/types.check.ts` proves at compile time that
 * each of them equals the `z.output` of the server's schema in lib/contract/schemas.ts, so the
 * two cannot drift apart silently.
 */
import type {
  LineChannelState,
  LineChannelType,
  LineClientBlockedStatus,
  LineMessageType,
  LineMetricType,
  LineSessionPriority,
  LineSessionState,
  OperatorStatusType,
} from '../contract/enums.ts';

/** Base fields every object carries. Timestamps are ISO 8601 strings. */
export interface BaseData {
  __id: string;
  __name: string;
  __createdAt: string;
  __createdBy: string;
  __updatedAt: string;
  __updatedBy: string;
  __deletedAt: string | null;
}

/** A link to an app item, as in a session's `_apps` and a client's `_applicationItem`. */
export interface AppItemRef {
  code: string;
  id: string;
}

/** A Live Chat (line). */
export interface LineData extends BaseData {
  _operatorGroups: string[];
  _supervisorGroups: string[];
  _botId: string | null;
  _accountApp: string | null;
  _sessionApps: string[];
  _routing: LineRouting;
  /** Timer policies, seconds ≥ 1 (null or absent: none). */
  _sla?: SlaPolicy | null | undefined;
  _autoClose?: AutoClosePolicy | null | undefined;
  _returnToQueue?: ReturnToQueuePolicy | null | undefined;
  /** The largest file a message on this line may carry (bytes; null or absent: 20 MB). */
  _maxFileSize?: number | null | undefined;
  /** Business hours (null or absent: open around the clock). */
  _schedule?: LineSchedule | null | undefined;
  /** The one reply a session opened while the line is closed gets (null: a default text). */
  _offlineMessage?: string | null | undefined;
  /** The satisfaction survey after a close. */
  _csat?: CsatSettings | null | undefined;
  /** `GET /v1/lines/{id}` only, computed: open now, and when that changes. */
  _openNow?: boolean | undefined;
  _nextChangeAt?: string | null | undefined;
}

/** One opening interval, local `HH:MM` (`to` ≤ `from`: ends the next day; `24:00`: end of day). */
export interface OpeningInterval {
  from: string;
  to: string;
}
/** A line's business hours: an IANA zone, weekly intervals, dated exceptions (`hours: []` closed). */
export interface LineSchedule {
  timeZone: string;
  weekly: {
    mon?: OpeningInterval[] | undefined;
    tue?: OpeningInterval[] | undefined;
    wed?: OpeningInterval[] | undefined;
    thu?: OpeningInterval[] | undefined;
    fri?: OpeningInterval[] | undefined;
    sat?: OpeningInterval[] | undefined;
    sun?: OpeningInterval[] | undefined;
  };
  exceptions: { date: string; hours: OpeningInterval[]; name?: string | undefined }[];
}
/** `_csat` of a line. */
export interface CsatSettings {
  enabled: boolean;
  message?: string | undefined;
}
/** A client's rating of a closed session (`_rating`). */
export interface SessionRating {
  score: number;
  comment: string | null;
  at: string;
  via: 'widget' | 'message';
}

/** A line's routing: manual or automatic assignment, per-operator capacity, bot first. */
export interface LineRouting {
  mode: 'manual' | 'auto';
  capacity: number | null;
  botFirst: boolean;
}

/** Where a Waiting session stands in its line's queue (`GET /v1/sessions/{id}/queue`). */
export interface QueuePositionData {
  position: number;
  ahead: number;
  expectedWaitSeconds: number | null;
  basis: string;
}

/** `_sla` of a line: response and resolution targets in seconds. */
export interface SlaPolicy {
  firstResponse?: number | undefined;
  nextResponse?: number | undefined;
  resolution?: number | undefined;
}
/** `_autoClose` of a line: close after the client has been silent this long (seconds). */
export interface AutoClosePolicy {
  afterInactive?: number | undefined;
  botAfterInactive?: number | undefined;
}
/** `_returnToQueue` of a line: back to the queue when the operator has not replied within (seconds). */
export interface ReturnToQueuePolicy {
  afterNoReply?: number | undefined;
}

/** A channel: a connected messenger account. */
export interface LineChannelData extends BaseData {
  _line: string;
  _type: LineChannelType;
  _state: LineChannelState;
  /** The messenger endpoint replies are delivered to (null: none). */
  _deliveryUrl: string | null;
  /** Why the channel went to `error` (its messenger refused the credentials). */
  _lastError?: string | null | undefined;
}

/** A client: someone who writes in through a channel. */
export interface LineClientData extends BaseData {
  _line: string;
  _channel: string;
  _username: string;
  _applicationItem: AppItemRef | null;
  _extraData: Record<string, string>;
  _blockedStatus: LineClientBlockedStatus;
}

/** What `unmarkAsSpam` restores. */
export interface LineSessionSpamRestore {
  _state: LineSessionState;
  _userId: string | null;
  _userGroupId: string | null;
  _botId: string | null;
  _priority: LineSessionPriority | null;
}

/** A session: one conversation. References (`_line`, `_channel`, `_clients`) are ids. */
export interface LineSessionData extends BaseData {
  _line: string;
  _channel: string;
  _clients: string[];
  _state: LineSessionState;
  _priority: LineSessionPriority | null;
  _userId: string | null;
  _userGroupId: string | null;
  _botId: string | null;
  _apps: AppItemRef[];
  _acceptedAt: string | null;
  _closedAt: string | null;
  _lastActivityAt: string;
  _externalChatId: string | null;
  _externalChatName: string | null;
  _beforeSpam: LineSessionSpamRestore | null;
  /** When the rating request went out (a close on a line with `_csat` on). */
  _csatRequestedAt?: string | null | undefined;
  /** The client's rating (once). */
  _rating?: SessionRating | null | undefined;
  _version: number;
}

/** One field change in a history entry (SessionFieldChange). */
export interface SessionFieldChange {
  field: string;
  old: unknown;
  new: unknown;
}

/** Who a session was with before/after a reassignment. */
export interface SessionAssignee {
  operator: string | null;
  group: string | null;
  bot: string | null;
}

/** Structured content of a `payload` history message (SessionChangedPayload / SessionReassignedPayload). */
export interface SessionPayload {
  kind: 'SessionChanged' | 'SessionReassigned' | 'SessionCreated';
  command: string;
  by: string;
  at: string;
  changes: SessionFieldChange[];
  from?: SessionAssignee | undefined;
  to?: SessionAssignee | undefined;
  silent?: boolean | undefined;
  /** `slaBreached`: the policy breached. */
  policy?: string | undefined;
  /** `SessionCreated`: the line's SLA targets at creation (seconds). */
  sla?: { firstResponse?: number | undefined; nextResponse?: number | undefined; resolution?: number | undefined } | undefined;
}

/** A file of a message. */
export interface LineFileData {
  id: string;
  name: string;
  type: string;
  size: number;
  state: 'pending' | 'ready' | 'rejected';
  /** Why it was refused (`rejected` only). */
  reason: 'size' | 'type' | 'malware' | 'missing' | null;
}

/** `createUpload`: PUT the bytes to `uploadUrl` with `headers` before `expiresAt`, then send the file by its id. */
export interface LineFileUploadData {
  __id: string;
  uploadUrl: string;
  method: 'PUT';
  headers: Record<string, string>;
  expiresAt: string;
}

/** A message of a session; immutable once written. */
export interface LineMessageData {
  __id: string;
  __createdAt: string;
  session: string;
  type: LineMessageType;
  author: 'client' | 'operator' | 'bot' | 'system';
  body: string;
  client: string | null;
  operator: string | null;
  externalId: string | null;
  /** The ids of its files. */
  files: string[];
  /** Each file: id, name, type (by content), size, state; download with `GET /v1/files/{id}`. */
  attachments: LineFileData[];
  isRead: boolean;
  payload: SessionPayload | null;
  /** A reply's fate in the messenger, as reported by the channel's integration. */
  _deliveryStatus: 'sent' | 'delivered' | 'read' | 'failed' | null;
}

/** An operator's presence. */
export interface OperatorData {
  __id: string;
  status: OperatorStatusType;
  groups: string[];
  __updatedAt: string;
  capacity: number | null;
  activeSessions: number;
  idleSince: string | null;
}

/** One period of a metric series. */
export interface LineMetricPoint {
  /** Period start: `2025-03-31` (day), the ISO week's Monday, `2025-03` (month). */
  period: string;
  /** Mean in ms, share 0..1, or count; null when nothing happened in the period. */
  value: number | null;
  sum: number;
  count: number;
}

/** One metric's series (LineMetricData). */
export interface LineMetricSeries {
  type: LineMetricType;
  unit: 'ms' | 'ratio' | 'count' | 'score';
  series: LineMetricPoint[];
  /** sessionsByState only: open sessions per state as of the last aggregation run. */
  states?: Partial<Record<'Waiting' | 'AssignedToBot' | 'AssignedToOperator', number>> | undefined;
}

/** Answer of `GET /v1/metrics`. */
export interface LineMetricsData {
  line: string;
  dimension: { kind: 'line' | 'group' | 'channel' | 'operator'; value: string };
  granularity: 'day' | 'week' | 'month';
  from: string;
  to: string;
  /** Start of the last successful aggregation run. */
  asOf: string | null;
  metrics: LineMetricSeries[];
}

/** Problem details (RFC 9457): the body of every error answer. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { path: string; message: string }[] | undefined;
}

/** Body of `POST /v1/lines`. */
export interface CreateLineInput {
  __name: string;
  _operatorGroups?: string[];
  _supervisorGroups?: string[];
  _botId?: string | null;
  _accountApp?: string | null;
  _sessionApps?: string[];
  _routing?: Partial<LineRouting>;
  _sla?: SlaPolicy | null;
  _autoClose?: AutoClosePolicy | null;
  _returnToQueue?: ReturnToQueuePolicy | null;
  _schedule?: (Omit<LineSchedule, 'exceptions'> & { exceptions?: LineSchedule['exceptions'] }) | null;
  _offlineMessage?: string | null;
  _csat?: CsatSettings | null;
}

/** Body of `PATCH /v1/lines/{id}` (admin): `_routing` fields given change, the rest is kept; a policy given replaces the line's, `null` removes it. */
export interface UpdateLineInput {
  __name?: string;
  _routing?: Partial<LineRouting>;
  _sla?: SlaPolicy | null;
  _autoClose?: AutoClosePolicy | null;
  _returnToQueue?: ReturnToQueuePolicy | null;
  _schedule?: (Omit<LineSchedule, 'exceptions'> & { exceptions?: LineSchedule['exceptions'] }) | null;
  _offlineMessage?: string | null;
  _csat?: CsatSettings | null;
}

/** Body of `POST /v1/channels` (the line may be given as an item or a ref). */
export interface CreateChannelInput {
  _line: string | { readonly id: string };
  _type: LineChannelType;
  __name: string;
  _deliveryUrl?: string | null;
  /** A natively connected messenger's credentials (write-only), e.g. `{ botToken }` for telegramBot. */
  _credentials?: Record<string, string>;
}

/** Event types (contract: "Events"). */
export type LiveEventType =
  | 'session.created'
  | 'session.assigned'
  | 'session.priority_changed'
  | 'session.updated'
  | 'session.closed'
  | 'session.marked_spam'
  | 'session.unmarked_spam'
  | 'session.returned_to_queue'
  | 'session.sla_breached'
  | 'session.rated'
  | 'message.created'
  | 'message.status_changed'
  | 'message.read'
  | 'channel.disconnected'
  | 'channel.reconnected'
  | 'client.erased';

/** One event, as webhooks, the bus and the live socket carry it. */
export interface LiveEventData {
  /** `<session>.<sequence>` (or `<channel>.<time>` for channel events): stable, unique. */
  id: string;
  type: LiveEventType;
  time: string;
  line: string;
  channel: string;
  session: string | null;
  /** Per session, +1 with every event; absent on channel events. */
  sequence?: number | undefined;
  data: Record<string, unknown>;
}
