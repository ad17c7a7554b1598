/**
 * Zod schemas: the single source of the request, response and item types of chatlines.
 * The functions validate with them, the store validates what it reads with them, and the
 * OpenAPI document is generated from them.
 */
// Namespace import: the named `z` export keeps every locale in the bundle (~450 KB).
import * as z from 'zod';
import {
  LineChannelState,
  LineChannelType,
  LineClientBlockedStatus,
  LineMessageType,
  LineSessionPriority,
  LineSessionState,
  OperatorStatusType,
} from './enums.ts';
import { CredentialsInput, credentialIssues } from './messengers.ts';
import { CsatSettingsSchema, OfflineMessageSchema, RatingSchema, ScheduleSchema } from './schedule.ts';

/** Longest free-text field we accept (names, accounts). */
export const MAX_NAME_LENGTH = 256;
/** Longest message body we accept. */
export const MAX_BODY_LENGTH = 16_384;
/** The largest file chatlines takes (bytes); a line's `_maxFileSize` may lower it. */
export const MAX_FILE_SIZE = 20 * 1024 * 1024;
/** A line's own file limit: 1 byte to 20 MB. */
const MaxFileSize = z.number().int().min(1).max(MAX_FILE_SIZE, { error: 'at most 20 MB (20971520 bytes)' });

export const Id = z.uuid({ error: 'must be a UUID' });
/** Ids of users, groups, bots: whatever the identity provider issues (`sub`, group names). */
export const PrincipalId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:@+-]+$/, { error: 'letters, digits and ._:@+- only' });
export const Timestamp = z.iso.datetime({ offset: true });
export const Name = z.string().trim().min(1).max(MAX_NAME_LENGTH);
export const AppCode = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, { error: 'letters, digits, _ and - only' });

export const SessionStateSchema = z.enum(LineSessionState);
export const SessionPrioritySchema = z.enum(LineSessionPriority);
export const ChannelStateSchema = z.enum(LineChannelState);
export const ChannelTypeSchema = z.enum(LineChannelType);
export const ClientBlockedStatusSchema = z.enum(LineClientBlockedStatus);
export const MessageTypeSchema = z.enum(LineMessageType);
export const OperatorStatusSchema = z.enum(OperatorStatusType);

/** Base fields every object carries. */
export const BaseFields = {
  __id: Id,
  __name: z.string(),
  __createdAt: Timestamp,
  __createdBy: z.string(),
  __updatedAt: Timestamp,
  __updatedBy: z.string(),
  __deletedAt: Timestamp.nullable(),
};

/** A link to an app item (`{ code, id }`), as in `_apps` and `_applicationItem`. */
export const AppItemRef = z.strictObject({ code: AppCode, id: z.string().min(1).max(128) });
export type AppItemRef = z.infer<typeof AppItemRef>;

/** Largest per-operator capacity a line or an override may set. */
export const MAX_CAPACITY = 1000;
export const Capacity = z.number().int().min(1).max(MAX_CAPACITY);
export const RoutingModeSchema = z.enum(['manual', 'auto']);

/**
 * A line's routing: `manual` (staff assign by hand) or `auto` (lib/app/routing picks);
 * `capacity`: how many sessions an operator of the line may hold at once (null: no limit);
 * `botFirst`: in `auto` mode new sessions go to the line's bot first.
 */
export const RoutingSchema = z.object({
  mode: RoutingModeSchema,
  capacity: Capacity.nullable(),
  botFirst: z.boolean(),
});
export type Routing = z.infer<typeof RoutingSchema>;
/** The routing of a line created without `_routing`. */
export const DEFAULT_ROUTING: Routing = { mode: 'manual', capacity: null, botFirst: false };
// --- timers: line policies, in seconds (≥ 1; at most 30 days). See lib/app/timers.
const PolicySeconds = z
  .number()
  .int()
  .min(1)
  .max(30 * 86_400);
/** `_sla`: response and resolution targets; a breach appends a history entry and `session.sla_breached`. */
export const SlaPolicySchema = z.strictObject({
  firstResponse: PolicySeconds.optional(),
  nextResponse: PolicySeconds.optional(),
  resolution: PolicySeconds.optional(),
});
/** `_autoClose`: close a session whose client has been silent this long (`botAfterInactive` while the bot holds it). */
export const AutoClosePolicySchema = z.strictObject({
  afterInactive: PolicySeconds.optional(),
  botAfterInactive: PolicySeconds.optional(),
});
/** `_returnToQueue`: an operator who has not replied within `afterNoReply` loses the session to the queue. */
export const ReturnToQueuePolicySchema = z.strictObject({
  afterNoReply: PolicySeconds.optional(),
});
export type SlaPolicy = z.infer<typeof SlaPolicySchema>;
export type AutoClosePolicy = z.infer<typeof AutoClosePolicySchema>;
export type ReturnToQueuePolicy = z.infer<typeof ReturnToQueuePolicySchema>;

export const LineSchema = z.object({
  ...BaseFields,
  _operatorGroups: z.array(PrincipalId),
  _supervisorGroups: z.array(PrincipalId),
  _botId: PrincipalId.nullable(),
  _accountApp: AppCode.nullable(),
  _sessionApps: z.array(AppCode),
  _routing: RoutingSchema.default(DEFAULT_ROUTING),
  /** Timer policies (null or absent: none). See lib/app/timers. */
  _sla: SlaPolicySchema.nullable().optional(),
  _autoClose: AutoClosePolicySchema.nullable().optional(),
  _returnToQueue: ReturnToQueuePolicySchema.nullable().optional(),
  /** Business hours (null or absent: open around the clock). See lib/domain/schedule. */
  _schedule: ScheduleSchema.nullable().optional(),
  /** The one reply a session opened while the line is closed gets (null: a default text). */
  _offlineMessage: OfflineMessageSchema.nullable().optional(),
  /** The satisfaction survey after a close (null or absent: off). */
  _csat: CsatSettingsSchema.nullable().optional(),
  /** Computed when read (`GET /v1/lines/{id}`), never stored: open now per `_schedule`, and when that changes (null: never). */
  _openNow: z.boolean().optional(),
  _nextChangeAt: Timestamp.nullable().optional(),
  /** The largest file a message on this line may carry (bytes; null or absent: 20 MB). */
  _maxFileSize: z.number().int().nullable().optional(),
});
export type Line = z.infer<typeof LineSchema>;

export const ChannelSchema = z.object({
  ...BaseFields,
  _line: Id,
  _type: ChannelTypeSchema,
  _state: ChannelStateSchema,
  /** The integration endpoint that delivers replies to the messenger (signed like webhooks); null = none. */
  _deliveryUrl: z.string().nullable().default(null),
  /** An `inbox` channel's mail address (lower case, unique across channels): mail to it opens or continues sessions; replies go out from it. */
  _address: z.string().nullable().optional(),
  /** Why the channel went to `error` (a natively connected messenger refused its credentials); null = none. */
  _lastError: z.string().nullable().optional(),
});
export type Channel = z.infer<typeof ChannelSchema>;

export const ClientSchema = z.object({
  ...BaseFields,
  _line: Id,
  _channel: Id,
  _username: z.string(),
  _applicationItem: AppItemRef.nullable(),
  _extraData: z.record(z.string(), z.string()),
  _blockedStatus: ClientBlockedStatusSchema,
});
export type Client = z.infer<typeof ClientSchema>;

/** What unmarking spam restores. */
export const SpamRestoreSchema = z.object({
  _state: SessionStateSchema,
  _userId: PrincipalId.nullable(),
  _userGroupId: PrincipalId.nullable(),
  _botId: PrincipalId.nullable(),
  _priority: SessionPrioritySchema.nullable(),
});

export const SessionSchema = z.object({
  ...BaseFields,
  _line: Id,
  _channel: Id,
  _clients: z.array(Id),
  _state: SessionStateSchema,
  _priority: SessionPrioritySchema.nullable(),
  _userId: PrincipalId.nullable(),
  _userGroupId: PrincipalId.nullable(),
  _botId: PrincipalId.nullable(),
  _apps: z.array(AppItemRef),
  _acceptedAt: Timestamp.nullable(),
  _closedAt: Timestamp.nullable(),
  _lastActivityAt: Timestamp,
  _externalChatId: z.string().nullable(),
  _externalChatName: z.string().nullable(),
  /** What `unmarkAsSpam` restores: set when marked as spam, cleared when unmarked. */
  _beforeSpam: SpamRestoreSchema.nullable(),
  /** When the rating request went out (the close, on a line with `_csat` on); null: none. */
  _csatRequestedAt: Timestamp.nullable().optional(),
  /** The client's rating (once). */
  _rating: RatingSchema.nullable().optional(),
  /** Optimistic-concurrency version; every change increments it. */
  _version: z.number().int(),
});
export type Session = z.infer<typeof SessionSchema>;

/** One field change in a history entry. */
export const SessionFieldChangeSchema = z.object({
  field: z.string(),
  old: z.unknown(),
  new: z.unknown(),
});
export type SessionFieldChange = z.infer<typeof SessionFieldChangeSchema>;

/** Structured content of a `payload` history message. */
export const SessionPayloadSchema = z.object({
  kind: z.enum(['SessionChanged', 'SessionReassigned', 'SessionCreated']),
  command: z.string(),
  by: z.string(),
  at: Timestamp,
  changes: z.array(SessionFieldChangeSchema),
  from: z.object({ operator: z.string().nullable(), group: z.string().nullable(), bot: z.string().nullable() }).optional(),
  to: z.object({ operator: z.string().nullable(), group: z.string().nullable(), bot: z.string().nullable() }).optional(),
  silent: z.boolean().optional(),
  /** `slaBreached`: the policy that was breached. */
  policy: z.string().optional(),
  /** `SessionCreated`: the line's SLA targets (seconds) when the session was created; metrics measure `sla_met_share_*` against them. */
  sla: z.object({ firstResponse: z.number().optional(), nextResponse: z.number().optional(), resolution: z.number().optional() }).optional(),
  /** `SessionCreated` on a line with SLA targets and business hours: the schedule the targets count open time by. */
  schedule: ScheduleSchema.optional(),
});
export type SessionPayload = z.infer<typeof SessionPayloadSchema>;

/** A file's state: `pending` until a message sends it and it passes the check, then `ready` or `rejected`. */
export const FileStateSchema = z.enum(['pending', 'ready', 'rejected']);
/** Why a file was refused. */
export const FileRejectionSchema = z.enum(['size', 'type', 'malware', 'missing']);

/** A file as a message carries it (`attachments` of a message, its events and webhooks). */
export const FileRefSchema = z.object({
  id: Id,
  name: z.string(),
  /** The type decided from the content once checked. */
  type: z.string(),
  size: z.number().int(),
  state: FileStateSchema,
  /** Why it was refused (`rejected` only). */
  reason: FileRejectionSchema.nullable().default(null),
});
export type FileRef = z.infer<typeof FileRefSchema>;
/** A verdict of a mail authentication check (SES's receipt verdicts; `Authentication-Results` locally; `none` when nothing said). */
export const MailVerdictSchema = z.enum(['pass', 'fail', 'softfail', 'neutral', 'temperror', 'permerror', 'none']);
export const MailAuthSchema = z.object({ spf: MailVerdictSchema, dkim: MailVerdictSchema, dmarc: MailVerdictSchema });
export type MailAuth = z.infer<typeof MailAuthSchema>;

export const MessageSchema = z.object({
  __id: z.string(),
  __createdAt: Timestamp,
  session: Id,
  type: MessageTypeSchema,
  /** Who wrote it: the client, an operator, the line's bot, or the system (history). */
  author: z.enum(['client', 'operator', 'bot', 'system']),
  body: z.string(),
  client: Id.nullable(),
  operator: z.string().nullable(),
  externalId: z.string().nullable(),
  /** The ids of its files (as before files had records; `attachments` says what each is). */
  files: z.array(z.string()),
  /** Each file of the message: id, name, type, size, state (in the order of `files`). */
  attachments: z.array(FileRefSchema).default([]),
  isRead: z.boolean(),
  payload: SessionPayloadSchema.nullable(),
  /** A reply's fate in the messenger, as reported by the channel's integration; null until reported. */
  _deliveryStatus: z.enum(['sent', 'delivered', 'read', 'failed']).nullable().default(null),
  /** A client's mail (inbox channels): the sender's SPF, DKIM and DMARC verdicts as the receiving side saw them. */
  _mailAuth: MailAuthSchema.optional(),
});
export type Message = z.infer<typeof MessageSchema>;

export const OperatorSchema = z.object({
  __id: PrincipalId,
  status: OperatorStatusSchema,
  groups: z.array(PrincipalId),
  __updatedAt: Timestamp,
  /** Capacity override (PUT /v1/operators/{id}); null: the line's `_routing.capacity` applies. */
  capacity: Capacity.nullable().default(null),
  /** Sessions the operator holds (AssignedToOperator): changed in the transaction of every change of holder. */
  activeSessions: z.number().int().default(0),
  /** Since when the operator has had nothing new: going online or its last change of load (ties in routing). */
  idleSince: Timestamp.nullable().default(null),
});
export type Operator = z.infer<typeof OperatorSchema>;

// ---------------------------------------------------------------- request bodies

export const CreateLineBody = z.strictObject({
  __name: Name,
  _operatorGroups: z.array(PrincipalId).max(100).default([]),
  _supervisorGroups: z.array(PrincipalId).max(100).default([]),
  _botId: PrincipalId.nullable().optional(),
  _accountApp: AppCode.nullable().optional(),
  _sessionApps: z.array(AppCode).max(100).default([]),
  _routing: z.strictObject({ mode: RoutingModeSchema.optional(), capacity: Capacity.nullable().optional(), botFirst: z.boolean().optional() }).optional(),
  _sla: SlaPolicySchema.nullable().optional(),
  _autoClose: AutoClosePolicySchema.nullable().optional(),
  _returnToQueue: ReturnToQueuePolicySchema.nullable().optional(),
  _schedule: ScheduleSchema.nullable().optional(),
  _offlineMessage: OfflineMessageSchema.nullable().optional(),
  _csat: CsatSettingsSchema.nullable().optional(),
  _maxFileSize: MaxFileSize.nullable().optional(),
});

/**
 * `PATCH /v1/lines/{id}` (admin): any of the line's settings. `_routing` fields given are
 * changed, the others kept; a timer policy given replaces the line's, `null` removes it.
 * Unknown fields are 400 naming them.
 */
export const UpdateLineBody = z.strictObject({
  __name: Name.optional(),
  _routing: z
    .strictObject({
      mode: RoutingModeSchema.optional(),
      capacity: Capacity.nullable().optional(),
      botFirst: z.boolean().optional(),
    })
    .optional(),
  _sla: SlaPolicySchema.nullable().optional(),
  _autoClose: AutoClosePolicySchema.nullable().optional(),
  _returnToQueue: ReturnToQueuePolicySchema.nullable().optional(),
  _schedule: ScheduleSchema.nullable().optional(),
  _offlineMessage: OfflineMessageSchema.nullable().optional(),
  _csat: CsatSettingsSchema.nullable().optional(),
  _maxFileSize: MaxFileSize.nullable().optional(),
});

/** `PUT /v1/operators/{id}`: the operator's capacity override (null: the line's applies). */
export const OperatorCapacityBody = z.strictObject({ capacity: Capacity.nullable() });
export const OperatorParams = z.strictObject({ id: PrincipalId });

/** `GET /v1/sessions/{id}/queue`: where a Waiting session stands. */
export const QueuePositionSchema = z.object({
  /** 1 = next. */
  position: z.number().int().min(1),
  ahead: z.number().int().min(0),
  /** null when nothing allows an estimate (nobody online, no recent assignments). */
  expectedWaitSeconds: z.number().int().min(0).nullable(),
  basis: z.string(),
});

/** A messenger endpoint (`https`; loopback `http` on the local host): checked by lib/adapters/http/urls.ts. */
export const DeliveryUrl = z.string().min(1).max(2048);

/** A mail address (`inbox` channels), kept in lower case: addresses compare case-insensitively. */
export const MailAddress = z
  .email()
  .max(254)
  .transform((a) => a.toLowerCase());

export const CreateChannelBody = z
  .strictObject({
    _line: Id,
    _type: ChannelTypeSchema,
    __name: Name,
    _deliveryUrl: DeliveryUrl.nullable().optional(),
    /** A natively connected messenger's credentials (lib/contract/messengers.ts), checked against `_type`. */
    _credentials: CredentialsInput.optional(),
    /** `inbox` only: the channel's mail address (409 when another channel has it). */
    _address: MailAddress.nullable().optional(),
  })
  .superRefine((body, ctx) => {
    if (body._credentials === undefined) return;
    for (const issue of credentialIssues(body._type, body._credentials)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    if (body._deliveryUrl)
      ctx.addIssue({ code: 'custom', path: ['_deliveryUrl'], message: 'a natively connected channel delivers by itself: no _deliveryUrl' });
  });

/** `PATCH /v1/channels/{id}` (admin): rename, set or clear the delivery endpoint, replace a native channel's credentials, an inbox channel's address. */
export const UpdateChannelBody = z.strictObject({
  __name: Name.optional(),
  _deliveryUrl: DeliveryUrl.nullable().optional(),
  /** New credentials of a natively connected messenger (checked against the channel's type). */
  _credentials: CredentialsInput.optional(),
  /** `inbox` only: set, change or clear (null) the channel's mail address. */
  _address: MailAddress.nullable().optional(),
});

/** A channel as answered by the call that set its endpoint: with the signing secret, shown once. */
export const ChannelWithSecretSchema = ChannelSchema.extend({ _deliverySecret: z.string().optional() });

export const DeliveryStatusReportSchema = z.enum(['sent', 'delivered', 'read', 'failed']);
/** `POST /v1/channels/{id}/messages/{messageId}/status`: the integration reports what became of a reply. */
export const MessageStatusBody = z.strictObject({
  status: DeliveryStatusReportSchema,
  error: z.string().min(1).max(1024).optional(),
});
export const ChannelMessageParams = z.strictObject({
  id: Id,
  messageId: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[0-9]{13}-[0-9]{4}-[0-9a-f]{8}$/, { error: 'not a message id' }),
});

export const InboundBody = z.strictObject({
  account: Name,
  body: z.string().min(1).max(MAX_BODY_LENGTH),
  externalId: z.string().min(1).max(256).optional(),
  extraData: z.record(z.string().max(64), z.string().max(1024)).optional(),
});

export const OperatorStatusBody = z.strictObject({ status: OperatorStatusSchema });

export const CreateSessionBody = z.strictObject({ channel: Id, account: Name });

export const IdParams = z.strictObject({ id: Id });

export const HealthResponse = z.object({ status: z.literal('ok'), time: Timestamp });

export const InboundResponse = z.object({
  client: ClientSchema,
  session: SessionSchema,
  message: MessageSchema,
  /** true when the channel had taken a message with this `externalId` already: the original is answered, nothing added. */
  duplicate: z.boolean().optional(),
});

/** Problem details (RFC 9457), the body of every error. */
export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type Problem = z.infer<typeof ProblemSchema>;

// ------------------------------------------------ session, channel and client commands

/** Longest transfer comment: a note for the receiving operator, not a conversation. */
export const MAX_TRANSFER_COMMENT_LENGTH = 2_000;
/** A transfer's comment: a staff-only note written with the transfer. */
export const TransferComment = z.string().trim().min(1).max(MAX_TRANSFER_COMMENT_LENGTH);

/** `POST /v1/sessions/{id}/assign`: exactly one of an operator, an operator group or the line's bot. */
export const AssignSessionBody = z.union([
  z.strictObject({ operator: PrincipalId, comment: TransferComment.optional() }),
  z.strictObject({ group: PrincipalId, comment: TransferComment.optional() }),
  z.strictObject({ bot: z.literal(true), silent: z.boolean().default(false), comment: TransferComment.optional() }),
]);
export type AssignSessionBody = z.output<typeof AssignSessionBody>;

/** `PUT /v1/sessions/{id}/priority`: `null` clears the priority. */
export const SetPriorityBody = z.strictObject({ priority: SessionPrioritySchema.nullable() });

/** Files one message may carry. */
export const MAX_FILES_PER_MESSAGE = 10;

/**
 * `POST /v1/sessions/{id}/messages`: a text reply (to the client), a file reply (`files`: ids of
 * uploads of this session, with an optional caption) or a staff-only system note (a note may
 * carry files too; the client never sees them).
 */
export const PostMessageBody = z.union([
  z
    .strictObject({
      type: z.enum(['text', 'file', 'system']),
      body: z.string().max(MAX_BODY_LENGTH).optional(),
      files: z.array(Id).min(1).max(MAX_FILES_PER_MESSAGE).optional(),
    })
    .superRefine((m, ctx) => {
      if (m.type === 'file' && !m.files) ctx.addIssue({ code: 'custom', path: ['files'], message: 'a file message needs files' });
      if (m.type === 'text' && m.files) ctx.addIssue({ code: 'custom', path: ['files'], message: 'a message with files has type "file"' });
      if (m.type !== 'file' && !m.body && !m.files) ctx.addIssue({ code: 'custom', path: ['body'], message: 'must not be empty' });
    }),
  z.strictObject({ template: Id, type: z.literal('text').default('text') }),
]);
export type PostMessageBody = z.output<typeof PostMessageBody>;

/** `PATCH /v1/sessions/{id}` (the seed's `save()`): only `__name` and `_apps`; any other field is a 400 naming it. */
export const SaveSessionBody = z.strictObject({
  __name: Name.optional(),
  _apps: z.array(AppItemRef).max(100).optional(),
});

/** `GET /v1/sessions/{id}/messages?from&size`: `from` skips, `size` 1–10,000 (default 10). */
export const MessagesQuery = z.strictObject({
  from: z.coerce.number().int().min(0).default(0),
  size: z.coerce.number().int().min(1).max(10_000).default(10),
});

/** `PATCH /v1/clients/{id}`: the display name and account link, and (supervisors, admins) the block status. */
export const UpdateClientBody = z.strictObject({
  __name: Name.optional(),
  _applicationItem: AppItemRef.nullable().optional(),
  _blockedStatus: ClientBlockedStatusSchema.optional(),
});

/** `GET /v1/sessions/{id}/messages`: the messages in order, as a JSON array (the seed's `getAllMessages()`). */
export const MessagesResponse = z.array(MessageSchema);

/** `GET /v1/lines/{id}/operators`: the line's online operators, each with the capacity that applies to it. */
export const LineOperatorsSchema = z.object({
  items: z.array(OperatorSchema.extend({ effectiveCapacity: z.number().int().nullable() })),
});

// ---------------------------------------------------------------- response templates

/** Longest template shortcut (what the console matches after `/`). */
export const TemplateShortcut = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, { error: 'lowercase letters, digits, _ and - only (starting with a letter or digit)' });

/** A line's response template: `_text` names variables (`{{client.name}}` …) the server fills when it is sent. */
export const TemplateSchema = z.object({
  ...BaseFields,
  _line: Id,
  _shortcut: TemplateShortcut,
  _text: z.string().min(1).max(MAX_BODY_LENGTH),
});
export type Template = z.infer<typeof TemplateSchema>;

const TemplateText = z.string().min(1).max(MAX_BODY_LENGTH);
/** A template's fields in the seed's style (`__name`, `_shortcut`, `_text`) or plainly (`name`, `shortcut`, `text`). */
const TemplateFields = z.strictObject({
  __name: Name.optional(),
  _shortcut: TemplateShortcut.optional(),
  _text: TemplateText.optional(),
  name: Name.optional(),
  shortcut: TemplateShortcut.optional(),
  text: TemplateText.optional(),
});
type TemplateFields = z.output<typeof TemplateFields>;
const bothStyles = (b: TemplateFields, ctx: z.RefinementCtx) => {
  for (const [seed, plain] of [
    ['__name', 'name'],
    ['_shortcut', 'shortcut'],
    ['_text', 'text'],
  ] as const) {
    if (b[seed] !== undefined && b[plain] !== undefined) ctx.addIssue({ code: 'custom', path: [plain], message: `give ${seed} or ${plain}, not both` });
  }
};
const canonical = (b: TemplateFields) => ({ __name: b.__name ?? b.name, _shortcut: b._shortcut ?? b.shortcut, _text: b._text ?? b.text });
/**
 * `POST /v1/lines/{id}/templates`: a name and a text, and a shortcut (derived from the name when
 * absent), in the seed's field style or plainly.
 */
export const CreateTemplateBody = TemplateFields.superRefine((b, ctx) => {
  bothStyles(b, ctx);
  if (b.__name === undefined && b.name === undefined) ctx.addIssue({ code: 'custom', path: ['__name'], message: 'required' });
  if (b._text === undefined && b.text === undefined) ctx.addIssue({ code: 'custom', path: ['_text'], message: 'required' });
}).transform((b) => canonical(b) as { __name: string; _shortcut: string | undefined; _text: string });
/** `PATCH /v1/templates/{id}`: any of the fields, in either style. */
export const UpdateTemplateBody = TemplateFields.superRefine(bothStyles).transform(canonical);
/** The most templates a line may hold (one bounded read lists them all). */
export const MAX_TEMPLATES_PER_LINE = 500;
export const TemplateListSchema = z.object({ items: z.array(TemplateSchema) });

// ---------------------------------------------------------------- a client's data on request

/** A session's rating as the export carries it (the CSAT capability fills it; none before). */
export const ExportRatingSchema = z.object({ session: Id, score: z.number().nullable(), comment: z.string().nullable(), at: Timestamp.nullable() });
/** A file a message names, with a download link when a files capability serves it. */
export const ExportFileSchema = z.object({ id: z.string(), url: z.string().nullable() });

/** `GET /v1/clients/{id}/export`: everything chatlines holds about one client. */
export const ClientExportSchema = z.object({
  exportedAt: Timestamp,
  client: ClientSchema,
  /** Whether the client's personal data was erased (`DELETE /v1/clients/{id}`). */
  erased: z.boolean(),
  sessions: z.array(
    SessionSchema.extend({
      messages: z.array(MessageSchema),
      /** More messages than one export carries (MAX_EXPORT_MESSAGES per session). */
      messagesTruncated: z.boolean(),
    }),
  ),
  /** More sessions than this page carries (MAX_EXPORT_SESSIONS, or EXPORT_MAX_BYTES of JSON): ask `?from=<next>`. */
  sessionsTruncated: z.boolean(),
  /** The `from` of the next page of sessions; null when this page has the last one. */
  next: z.number().int().nullable(),
  files: z.array(ExportFileSchema),
  ratings: z.array(ExportRatingSchema),
});
export type ClientExport = z.infer<typeof ClientExportSchema>;
export const MAX_EXPORT_SESSIONS = 500;
export const MAX_EXPORT_MESSAGES = 2_000;
/** About how much JSON one export page carries before it stops at a session (a Lambda answer holds 6 MB). */
export const EXPORT_MAX_BYTES = 4_000_000;
/** `GET /v1/clients/{id}/export?from`: sessions of the client's chain to skip (oldest first). */
export const ExportQuery = z.strictObject({ from: z.coerce.number().int().min(0).max(1_000_000).default(0) });

/** `DELETE /v1/clients/{id}`: where the erasure stands (`running`: call again to finish it). */
export const ClientErasureSchema = z.object({
  client: Id,
  state: z.enum(['running', 'done']),
  startedAt: Timestamp,
  doneAt: Timestamp.nullable(),
  sessions: z.number().int(),
  messages: z.number().int(),
});
export type ClientErasure = z.infer<typeof ClientErasureSchema>;
