/**
 * Zod schemas: the single source of the request, response and item types of chatlines.
 * The functions validate with them, the store validates what it reads with them, and the
 * OpenAPI document is generated from them.
 */
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
import * as z from './zod.ts';

/** Longest free-text field we accept (names, accounts). */
export const MAX_NAME_LENGTH = 256;
/** Longest message body we accept. */
export const MAX_BODY_LENGTH = 16_384;
/** The largest file chatlines takes (bytes); a line's `_maxFileSize` may lower it. */
export const MAX_FILE_SIZE = 20 * 1024 * 1024;
/** A line's own file limit: 1 byte to 20 MB. */
const MaxFileSize = z.number().check(z.int(), z.gte(1), z.lte(MAX_FILE_SIZE, { error: 'at most 20 MB (20971520 bytes)' }));

export const Id = z.uuid({ error: 'must be a UUID' });
/** Ids of users, groups, bots: whatever the identity provider issues (`sub`, group names). */
export const PrincipalId = z.string().check(z.minLength(1), z.maxLength(128), z.regex(/^[A-Za-z0-9._:@+-]+$/, { error: 'letters, digits and ._:@+- only' }));
export const Timestamp = z.iso.datetime({ offset: true });
export const Name = z.string().check(z.trim(), z.minLength(1), z.maxLength(MAX_NAME_LENGTH));
export const AppCode = z.string().check(z.minLength(1), z.maxLength(64), z.regex(/^[A-Za-z0-9_-]+$/, { error: 'letters, digits, _ and - only' }));

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
  __deletedAt: z.nullable(Timestamp),
};

/** A link to an app item (`{ code, id }`), as in `_apps` and `_applicationItem`. */
export const AppItemRef = z.strictObject({ code: AppCode, id: z.string().check(z.minLength(1), z.maxLength(128)) });
export type AppItemRef = z.infer<typeof AppItemRef>;

/** Largest per-operator capacity a line or an override may set. */
export const MAX_CAPACITY = 1000;
export const Capacity = z.number().check(z.int(), z.gte(1), z.lte(MAX_CAPACITY));
export const RoutingModeSchema = z.enum(['manual', 'auto']);

/**
 * A line's routing: `manual` (staff assign by hand) or `auto` (lib/app/routing picks);
 * `capacity`: how many sessions an operator of the line may hold at once (null: no limit);
 * `botFirst`: in `auto` mode new sessions go to the line's bot first.
 */
export const RoutingSchema = z.object({
  mode: RoutingModeSchema,
  capacity: z.nullable(Capacity),
  botFirst: z.boolean(),
});
export type Routing = z.infer<typeof RoutingSchema>;
/** The routing of a line created without `_routing`. */
export const DEFAULT_ROUTING: Routing = { mode: 'manual', capacity: null, botFirst: false };
// --- timers: line policies, in seconds (≥ 1; at most 30 days). See lib/app/timers.
const PolicySeconds = z.number().check(z.int(), z.gte(1), z.lte(30 * 86_400));
/** `_sla`: response and resolution targets; a breach appends a history entry and `session.sla_breached`. */
export const SlaPolicySchema = z.strictObject({
  firstResponse: z.optional(PolicySeconds),
  nextResponse: z.optional(PolicySeconds),
  resolution: z.optional(PolicySeconds),
});
/** `_autoClose`: close a session whose client has been silent this long (`botAfterInactive` while the bot holds it). */
export const AutoClosePolicySchema = z.strictObject({
  afterInactive: z.optional(PolicySeconds),
  botAfterInactive: z.optional(PolicySeconds),
});
/** `_returnToQueue`: an operator who has not replied within `afterNoReply` loses the session to the queue. */
export const ReturnToQueuePolicySchema = z.strictObject({
  afterNoReply: z.optional(PolicySeconds),
});
export type SlaPolicy = z.infer<typeof SlaPolicySchema>;
export type AutoClosePolicy = z.infer<typeof AutoClosePolicySchema>;
export type ReturnToQueuePolicy = z.infer<typeof ReturnToQueuePolicySchema>;

export const LineSchema = z.object({
  ...BaseFields,
  _operatorGroups: z.array(PrincipalId),
  _supervisorGroups: z.array(PrincipalId),
  _botId: z.nullable(PrincipalId),
  _accountApp: z.nullable(AppCode),
  _sessionApps: z.array(AppCode),
  _routing: z._default(RoutingSchema, DEFAULT_ROUTING),
  /** Timer policies (null or absent: none). See lib/app/timers. */
  _sla: z.optional(z.nullable(SlaPolicySchema)),
  _autoClose: z.optional(z.nullable(AutoClosePolicySchema)),
  _returnToQueue: z.optional(z.nullable(ReturnToQueuePolicySchema)),
  /** Business hours (null or absent: open around the clock). See lib/domain/schedule. */
  _schedule: z.optional(z.nullable(ScheduleSchema)),
  /** The one reply a session opened while the line is closed gets (null: a default text). */
  _offlineMessage: z.optional(z.nullable(OfflineMessageSchema)),
  /** The satisfaction survey after a close (null or absent: off). */
  _csat: z.optional(z.nullable(CsatSettingsSchema)),
  /** Computed when read (`GET /v1/lines/{id}`), never stored: open now per `_schedule`, and when that changes (null: never). */
  _openNow: z.optional(z.boolean()),
  _nextChangeAt: z.optional(z.nullable(Timestamp)),
  /** The largest file a message on this line may carry (bytes; null or absent: 20 MB). */
  _maxFileSize: z.optional(z.nullable(z.number().check(z.int()))),
});
export type Line = z.infer<typeof LineSchema>;

export const ChannelSchema = z.object({
  ...BaseFields,
  _line: Id,
  _type: ChannelTypeSchema,
  _state: ChannelStateSchema,
  /** The integration endpoint that delivers replies to the messenger (signed like webhooks); null = none. */
  _deliveryUrl: z._default(z.nullable(z.string()), null),
  /** An `inbox` channel's mail address (lower case, unique across channels): mail to it opens or continues sessions; replies go out from it. */
  _address: z.optional(z.nullable(z.string())),
  /** Why the channel went to `error` (a natively connected messenger refused its credentials); null = none. */
  _lastError: z.optional(z.nullable(z.string())),
});
export type Channel = z.infer<typeof ChannelSchema>;

export const ClientSchema = z.object({
  ...BaseFields,
  _line: Id,
  _channel: Id,
  _username: z.string(),
  _applicationItem: z.nullable(AppItemRef),
  _extraData: z.record(z.string(), z.string()),
  _blockedStatus: ClientBlockedStatusSchema,
});
export type Client = z.infer<typeof ClientSchema>;

/** What unmarking spam restores. */
export const SpamRestoreSchema = z.object({
  _state: SessionStateSchema,
  _userId: z.nullable(PrincipalId),
  _userGroupId: z.nullable(PrincipalId),
  _botId: z.nullable(PrincipalId),
  _priority: z.nullable(SessionPrioritySchema),
});

export const SessionSchema = z.object({
  ...BaseFields,
  _line: Id,
  _channel: Id,
  _clients: z.array(Id),
  _state: SessionStateSchema,
  _priority: z.nullable(SessionPrioritySchema),
  _userId: z.nullable(PrincipalId),
  _userGroupId: z.nullable(PrincipalId),
  _botId: z.nullable(PrincipalId),
  _apps: z.array(AppItemRef),
  _acceptedAt: z.nullable(Timestamp),
  _closedAt: z.nullable(Timestamp),
  _lastActivityAt: Timestamp,
  _externalChatId: z.nullable(z.string()),
  _externalChatName: z.nullable(z.string()),
  /** What `unmarkAsSpam` restores: set when marked as spam, cleared when unmarked. */
  _beforeSpam: z.nullable(SpamRestoreSchema),
  /** When the rating request went out (the close, on a line with `_csat` on); null: none. */
  _csatRequestedAt: z.optional(z.nullable(Timestamp)),
  /** The client's rating (once). */
  _rating: z.optional(z.nullable(RatingSchema)),
  /** Optimistic-concurrency version; every change increments it. */
  _version: z.number().check(z.int()),
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
  from: z.optional(z.object({ operator: z.nullable(z.string()), group: z.nullable(z.string()), bot: z.nullable(z.string()) })),
  to: z.optional(z.object({ operator: z.nullable(z.string()), group: z.nullable(z.string()), bot: z.nullable(z.string()) })),
  silent: z.optional(z.boolean()),
  /** `slaBreached`: the policy that was breached. */
  policy: z.optional(z.string()),
  /** `SessionCreated`: the line's SLA targets (seconds) when the session was created; metrics measure `sla_met_share_*` against them. */
  sla: z.optional(z.object({ firstResponse: z.optional(z.number()), nextResponse: z.optional(z.number()), resolution: z.optional(z.number()) })),
  /** `SessionCreated` on a line with SLA targets and business hours: the schedule the targets count open time by. */
  schedule: z.optional(ScheduleSchema),
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
  size: z.number().check(z.int()),
  state: FileStateSchema,
  /** Why it was refused (`rejected` only). */
  reason: z._default(z.nullable(FileRejectionSchema), null),
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
  client: z.nullable(Id),
  operator: z.nullable(z.string()),
  externalId: z.nullable(z.string()),
  /** The ids of its files (as before files had records; `attachments` says what each is). */
  files: z.array(z.string()),
  /** Each file of the message: id, name, type, size, state (in the order of `files`). */
  attachments: z._default(z.array(FileRefSchema), []),
  isRead: z.boolean(),
  payload: z.nullable(SessionPayloadSchema),
  /** A reply's fate in the messenger, as reported by the channel's integration; null until reported. */
  _deliveryStatus: z._default(z.nullable(z.enum(['sent', 'delivered', 'read', 'failed'])), null),
  /** A client's mail (inbox channels): the sender's SPF, DKIM and DMARC verdicts as the receiving side saw them. */
  _mailAuth: z.optional(MailAuthSchema),
});
export type Message = z.infer<typeof MessageSchema>;

export const OperatorSchema = z.object({
  __id: PrincipalId,
  status: OperatorStatusSchema,
  groups: z.array(PrincipalId),
  __updatedAt: Timestamp,
  /** Capacity override (PUT /v1/operators/{id}); null: the line's `_routing.capacity` applies. */
  capacity: z._default(z.nullable(Capacity), null),
  /** Sessions the operator holds (AssignedToOperator): changed in the transaction of every change of holder. */
  activeSessions: z._default(z.number().check(z.int()), 0),
  /** Since when the operator has had nothing new: going online or its last change of load (ties in routing). */
  idleSince: z._default(z.nullable(Timestamp), null),
});
export type Operator = z.infer<typeof OperatorSchema>;

// ---------------------------------------------------------------- request bodies

export const CreateLineBody = z.strictObject({
  __name: Name,
  _operatorGroups: z._default(z.array(PrincipalId).check(z.maxLength(100)), []),
  _supervisorGroups: z._default(z.array(PrincipalId).check(z.maxLength(100)), []),
  _botId: z.optional(z.nullable(PrincipalId)),
  _accountApp: z.optional(z.nullable(AppCode)),
  _sessionApps: z._default(z.array(AppCode).check(z.maxLength(100)), []),
  _routing: z.optional(z.strictObject({ mode: z.optional(RoutingModeSchema), capacity: z.optional(z.nullable(Capacity)), botFirst: z.optional(z.boolean()) })),
  _sla: z.optional(z.nullable(SlaPolicySchema)),
  _autoClose: z.optional(z.nullable(AutoClosePolicySchema)),
  _returnToQueue: z.optional(z.nullable(ReturnToQueuePolicySchema)),
  _schedule: z.optional(z.nullable(ScheduleSchema)),
  _offlineMessage: z.optional(z.nullable(OfflineMessageSchema)),
  _csat: z.optional(z.nullable(CsatSettingsSchema)),
  _maxFileSize: z.optional(z.nullable(MaxFileSize)),
});

/**
 * `PATCH /v1/lines/{id}` (admin): any of the line's settings. `_routing` fields given are
 * changed, the others kept; a timer policy given replaces the line's, `null` removes it.
 * Unknown fields are 400 naming them.
 */
export const UpdateLineBody = z.strictObject({
  __name: z.optional(Name),
  _routing: z.optional(
    z.strictObject({
      mode: z.optional(RoutingModeSchema),
      capacity: z.optional(z.nullable(Capacity)),
      botFirst: z.optional(z.boolean()),
    }),
  ),
  _sla: z.optional(z.nullable(SlaPolicySchema)),
  _autoClose: z.optional(z.nullable(AutoClosePolicySchema)),
  _returnToQueue: z.optional(z.nullable(ReturnToQueuePolicySchema)),
  _schedule: z.optional(z.nullable(ScheduleSchema)),
  _offlineMessage: z.optional(z.nullable(OfflineMessageSchema)),
  _csat: z.optional(z.nullable(CsatSettingsSchema)),
  _maxFileSize: z.optional(z.nullable(MaxFileSize)),
});

/** `PUT /v1/operators/{id}`: the operator's capacity override (null: the line's applies). */
export const OperatorCapacityBody = z.strictObject({ capacity: z.nullable(Capacity) });
export const OperatorParams = z.strictObject({ id: PrincipalId });

/** `GET /v1/sessions/{id}/queue`: where a Waiting session stands. */
export const QueuePositionSchema = z.object({
  /** 1 = next. */
  position: z.number().check(z.int(), z.gte(1)),
  ahead: z.number().check(z.int(), z.gte(0)),
  /** null when nothing allows an estimate (nobody online, no recent assignments). */
  expectedWaitSeconds: z.nullable(z.number().check(z.int(), z.gte(0))),
  basis: z.string(),
});

/** A messenger endpoint (`https`; loopback `http` on the local host): checked by lib/adapters/http/urls.ts. */
export const DeliveryUrl = z.string().check(z.minLength(1), z.maxLength(2048));

/** A mail address (`inbox` channels), kept in lower case: addresses compare case-insensitively. */
export const MailAddress = z.pipe(
  z.email().check(z.maxLength(254)),
  z.transform((a) => a.toLowerCase()),
);

export const CreateChannelBody = z
  .strictObject({
    _line: Id,
    _type: ChannelTypeSchema,
    __name: Name,
    _deliveryUrl: z.optional(z.nullable(DeliveryUrl)),
    /** A natively connected messenger's credentials (lib/contract/messengers.ts), checked against `_type`. */
    _credentials: z.optional(CredentialsInput),
    /** `inbox` only: the channel's mail address (409 when another channel has it). */
    _address: z.optional(z.nullable(MailAddress)),
  })
  .check(
    z.superRefine((body, ctx) => {
      if (body._credentials === undefined) return;
      for (const issue of credentialIssues(body._type, body._credentials)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
      if (body._deliveryUrl)
        ctx.addIssue({ code: 'custom', path: ['_deliveryUrl'], message: 'a natively connected channel delivers by itself: no _deliveryUrl' });
    }),
  );

/** `PATCH /v1/channels/{id}` (admin): rename, set or clear the delivery endpoint, replace a native channel's credentials, an inbox channel's address. */
export const UpdateChannelBody = z.strictObject({
  __name: z.optional(Name),
  _deliveryUrl: z.optional(z.nullable(DeliveryUrl)),
  /** New credentials of a natively connected messenger (checked against the channel's type). */
  _credentials: z.optional(CredentialsInput),
  /** `inbox` only: set, change or clear (null) the channel's mail address. */
  _address: z.optional(z.nullable(MailAddress)),
});

/** A channel as answered by the call that set its endpoint: with the signing secret, shown once. */
export const ChannelWithSecretSchema = z.extend(ChannelSchema, { _deliverySecret: z.optional(z.string()) });

export const DeliveryStatusReportSchema = z.enum(['sent', 'delivered', 'read', 'failed']);
/** `POST /v1/channels/{id}/messages/{messageId}/status`: the integration reports what became of a reply. */
export const MessageStatusBody = z.strictObject({
  status: DeliveryStatusReportSchema,
  error: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
});
export const ChannelMessageParams = z.strictObject({
  id: Id,
  messageId: z.string().check(z.minLength(1), z.maxLength(64), z.regex(/^[0-9]{13}-[0-9]{4}-[0-9a-f]{8}$/, { error: 'not a message id' })),
});

export const InboundBody = z.strictObject({
  account: Name,
  body: z.string().check(z.minLength(1), z.maxLength(MAX_BODY_LENGTH)),
  externalId: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
  extraData: z.optional(z.record(z.string().check(z.maxLength(64)), z.string().check(z.maxLength(1024)))),
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
  duplicate: z.optional(z.boolean()),
});

/** Problem details (RFC 9457), the body of every error. */
export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().check(z.int()),
  detail: z.string(),
  errors: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
});
export type Problem = z.infer<typeof ProblemSchema>;

// ------------------------------------------------ session, channel and client commands

/** Longest transfer comment: a note for the receiving operator, not a conversation. */
export const MAX_TRANSFER_COMMENT_LENGTH = 2_000;
/** A transfer's comment: a staff-only note written with the transfer. */
export const TransferComment = z.string().check(z.trim(), z.minLength(1), z.maxLength(MAX_TRANSFER_COMMENT_LENGTH));

/** `POST /v1/sessions/{id}/assign`: exactly one of an operator, an operator group or the line's bot. */
export const AssignSessionBody = z.union([
  z.strictObject({ operator: PrincipalId, comment: z.optional(TransferComment) }),
  z.strictObject({ group: PrincipalId, comment: z.optional(TransferComment) }),
  z.strictObject({ bot: z.literal(true), silent: z._default(z.boolean(), false), comment: z.optional(TransferComment) }),
]);
export type AssignSessionBody = z.output<typeof AssignSessionBody>;

/** `PUT /v1/sessions/{id}/priority`: `null` clears the priority. */
export const SetPriorityBody = z.strictObject({ priority: z.nullable(SessionPrioritySchema) });

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
      body: z.optional(z.string().check(z.maxLength(MAX_BODY_LENGTH))),
      files: z.optional(z.array(Id).check(z.minLength(1), z.maxLength(MAX_FILES_PER_MESSAGE))),
    })
    .check(
      z.superRefine((m, ctx) => {
        if (m.type === 'file' && !m.files) ctx.addIssue({ code: 'custom', path: ['files'], message: 'a file message needs files' });
        if (m.type === 'text' && m.files) ctx.addIssue({ code: 'custom', path: ['files'], message: 'a message with files has type "file"' });
        if (m.type !== 'file' && !m.body && !m.files) ctx.addIssue({ code: 'custom', path: ['body'], message: 'must not be empty' });
      }),
    ),
  z.strictObject({ template: Id, type: z._default(z.literal('text'), 'text') }),
]);
export type PostMessageBody = z.output<typeof PostMessageBody>;

/** `PATCH /v1/sessions/{id}` (the seed's `save()`): only `__name` and `_apps`; any other field is a 400 naming it. */
export const SaveSessionBody = z.strictObject({
  __name: z.optional(Name),
  _apps: z.optional(z.array(AppItemRef).check(z.maxLength(100))),
});

/** `GET /v1/sessions/{id}/messages?from&size`: `from` skips, `size` 1–10,000 (default 10). */
export const MessagesQuery = z.strictObject({
  from: z._default(z.coerce.number().check(z.int(), z.gte(0)), 0),
  size: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(10_000)), 10),
});

/** `PATCH /v1/clients/{id}`: the display name and account link, and (supervisors, admins) the block status. */
export const UpdateClientBody = z.strictObject({
  __name: z.optional(Name),
  _applicationItem: z.optional(z.nullable(AppItemRef)),
  _blockedStatus: z.optional(ClientBlockedStatusSchema),
});

/** `GET /v1/sessions/{id}/messages`: the messages in order, as a JSON array (the seed's `getAllMessages()`). */
export const MessagesResponse = z.array(MessageSchema);

/** `GET /v1/lines/{id}/operators`: the line's online operators, each with the capacity that applies to it. */
export const LineOperatorsSchema = z.object({
  items: z.array(z.extend(OperatorSchema, { effectiveCapacity: z.nullable(z.number().check(z.int())) })),
});

// ---------------------------------------------------------------- response templates

/** Longest template shortcut (what the console matches after `/`). */
export const TemplateShortcut = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(32),
    z.regex(/^[a-z0-9][a-z0-9_-]*$/, { error: 'lowercase letters, digits, _ and - only (starting with a letter or digit)' }),
  );

/** A line's response template: `_text` names variables (`{{client.name}}` …) the server fills when it is sent. */
export const TemplateSchema = z.object({
  ...BaseFields,
  _line: Id,
  _shortcut: TemplateShortcut,
  _text: z.string().check(z.minLength(1), z.maxLength(MAX_BODY_LENGTH)),
});
export type Template = z.infer<typeof TemplateSchema>;

const TemplateText = z.string().check(z.minLength(1), z.maxLength(MAX_BODY_LENGTH));
/** A template's fields in the seed's style (`__name`, `_shortcut`, `_text`) or plainly (`name`, `shortcut`, `text`). */
const TemplateFields = z.strictObject({
  __name: z.optional(Name),
  _shortcut: z.optional(TemplateShortcut),
  _text: z.optional(TemplateText),
  name: z.optional(Name),
  shortcut: z.optional(TemplateShortcut),
  text: z.optional(TemplateText),
});
type TemplateFields = z.output<typeof TemplateFields>;
const bothStyles = (b: TemplateFields, ctx: z.core.$RefinementCtx) => {
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
export const CreateTemplateBody = z.pipe(
  TemplateFields.check(
    z.superRefine((b, ctx) => {
      bothStyles(b, ctx);
      if (b.__name === undefined && b.name === undefined) ctx.addIssue({ code: 'custom', path: ['__name'], message: 'required' });
      if (b._text === undefined && b.text === undefined) ctx.addIssue({ code: 'custom', path: ['_text'], message: 'required' });
    }),
  ),
  z.transform((b) => canonical(b) as { __name: string; _shortcut: string | undefined; _text: string }),
);
/** `PATCH /v1/templates/{id}`: any of the fields, in either style. */
export const UpdateTemplateBody = z.pipe(TemplateFields.check(z.superRefine(bothStyles)), z.transform(canonical));
/** The most templates a line may hold (one bounded read lists them all). */
export const MAX_TEMPLATES_PER_LINE = 500;
export const TemplateListSchema = z.object({ items: z.array(TemplateSchema) });

// ---------------------------------------------------------------- a client's data on request

/** A session's rating as the export carries it (the CSAT capability fills it; none before). */
export const ExportRatingSchema = z.object({ session: Id, score: z.nullable(z.number()), comment: z.nullable(z.string()), at: z.nullable(Timestamp) });
/** A file a message names, with a download link when a files capability serves it. */
export const ExportFileSchema = z.object({ id: z.string(), url: z.nullable(z.string()) });

/** `GET /v1/clients/{id}/export`: everything chatlines holds about one client. */
export const ClientExportSchema = z.object({
  exportedAt: Timestamp,
  client: ClientSchema,
  /** Whether the client's personal data was erased (`DELETE /v1/clients/{id}`). */
  erased: z.boolean(),
  sessions: z.array(
    z.extend(SessionSchema, {
      messages: z.array(MessageSchema),
      /** More messages than one export carries (MAX_EXPORT_MESSAGES per session). */
      messagesTruncated: z.boolean(),
    }),
  ),
  /** More sessions than this page carries (MAX_EXPORT_SESSIONS, or EXPORT_MAX_BYTES of JSON): ask `?from=<next>`. */
  sessionsTruncated: z.boolean(),
  /** The `from` of the next page of sessions; null when this page has the last one. */
  next: z.nullable(z.number().check(z.int())),
  files: z.array(ExportFileSchema),
  ratings: z.array(ExportRatingSchema),
});
export type ClientExport = z.infer<typeof ClientExportSchema>;
export const MAX_EXPORT_SESSIONS = 500;
export const MAX_EXPORT_MESSAGES = 2_000;
/** About how much JSON one export page carries before it stops at a session (a Lambda answer holds 6 MB). */
export const EXPORT_MAX_BYTES = 4_000_000;
/** `GET /v1/clients/{id}/export?from`: sessions of the client's chain to skip (oldest first). */
export const ExportQuery = z.strictObject({ from: z._default(z.coerce.number().check(z.int(), z.gte(0), z.lte(1_000_000)), 0) });

/** `DELETE /v1/clients/{id}`: where the erasure stands (`running`: call again to finish it). */
export const ClientErasureSchema = z.object({
  client: Id,
  state: z.enum(['running', 'done']),
  startedAt: Timestamp,
  doneAt: z.nullable(Timestamp),
  sessions: z.number().check(z.int()),
  messages: z.number().check(z.int()),
});
export type ClientErasure = z.infer<typeof ClientErasureSchema>;
