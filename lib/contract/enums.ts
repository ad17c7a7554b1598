/**
 * Enumerations of the Live Chats model, with the seed's spelling as const objects
 * (`LineSessionState.Closed`, `LineChannelType.telegramBot`, …) and their wire values.
 * No imports: the typed client re-exports this module as it is.
 */

/** States of a Live Chat session. */
export const LineSessionState = {
  Waiting: 'Waiting',
  AssignedToBot: 'AssignedToBot',
  AssignedToOperator: 'AssignedToOperator',
  MarkedAsSpam: 'MarkedAsSpam',
  Closed: 'Closed',
} as const;
export type LineSessionState = (typeof LineSessionState)[keyof typeof LineSessionState];

/** Session priorities; a session may also have none. */
export const LineSessionPriority = { Low: 'Low', Medium: 'Medium', High: 'High' } as const;
export type LineSessionPriority = (typeof LineSessionPriority)[keyof typeof LineSessionPriority];

/** States of a channel (a connected messenger account). */
export const LineChannelState = { active: 'active', disconnected: 'disconnected', error: 'error' } as const;
export type LineChannelState = (typeof LineChannelState)[keyof typeof LineChannelState];

/** Kinds of messenger a channel connects. */
export const LineChannelType = {
  inbox: 'inbox',
  telegram: 'telegram',
  telegramBot: 'telegramBot',
  viberbot: 'viberbot',
  livechat: 'livechat',
  instagram: 'instagram',
  whatsapp: 'whatsapp',
  vk: 'vk',
  vkTeams: 'vkTeams',
  custom: 'custom',
  internal: 'internal',
  support: 'support',
} as const;
export type LineChannelType = (typeof LineChannelType)[keyof typeof LineChannelType];

/** Block list / allow list status of a client. */
export const LineClientBlockedStatus = { none: 'none', blocked: 'blocked', allowed: 'allowed' } as const;
export type LineClientBlockedStatus = (typeof LineClientBlockedStatus)[keyof typeof LineClientBlockedStatus];

/** Kinds of message in a session. `system` and `payload` are staff-only. */
export const LineMessageType = { text: 'text', file: 'file', system: 'system', payload: 'payload' } as const;
export type LineMessageType = (typeof LineMessageType)[keyof typeof LineMessageType];

/** Operator presence. Offline operators can only read. */
export const OperatorStatusType = { online: 'online', offline: 'offline' } as const;
export type OperatorStatusType = (typeof OperatorStatusType)[keyof typeof OperatorStatusType];

/** Metrics chatlines aggregates (defined in docs/metrics.md). */
export const LineMetricType = {
  responseTime: 'responseTime',
  waitingTime: 'waitingTime',
  sessionDuration: 'sessionDuration',
  firstResponseTime: 'firstResponseTime',
  botAnswerShare: 'botAnswerShare',
  processedSessions: 'processedSessions',
  queueWait: 'queueWait',
  sessionsByState: 'sessionsByState',
  /** Timers: share of sessions that met each SLA target of their line. */
  sla_met_share_firstResponse: 'sla_met_share_firstResponse',
  sla_met_share_nextResponse: 'sla_met_share_nextResponse',
  sla_met_share_resolution: 'sla_met_share_resolution',
  /** Satisfaction: the mean of the clients' ratings (1–5) given in the period, and their count. */
  csat: 'csat',
} as const;
export type LineMetricType = (typeof LineMetricType)[keyof typeof LineMetricType];

/** Channel types on which an operator may not start a session (`sessions.create`). */
export const CHANNEL_TYPES_WITHOUT_OPERATOR_CREATE: readonly LineChannelType[] = ['viberbot', 'vk', 'livechat'];
/** Channel types that may hold several open sessions per client. */
export const CHANNEL_TYPES_WITH_MANY_OPEN_SESSIONS: readonly LineChannelType[] = ['inbox'];
/** Channel types that can be reconnected after a disconnect. */
export const RECONNECTABLE_CHANNEL_TYPES: readonly LineChannelType[] = ['inbox', 'telegramBot', 'viberbot', 'livechat', 'instagram'];
/** Channel types whose sessions cannot be marked as spam. */
export const CHANNEL_TYPES_WITHOUT_SPAM: readonly LineChannelType[] = ['internal', 'support'];
/** States in which a session is open (counts against the one-open-session rule). */
export const OPEN_SESSION_STATES: readonly LineSessionState[] = ['Waiting', 'AssignedToBot', 'AssignedToOperator'];

/** The commands people send to a session (each a route; history entries and events name them). */
export type SessionCommand =
  | 'assignToOperator'
  | 'assignToOperatorGroup'
  | 'assignToBot'
  | 'close'
  | 'markAsSpam'
  | 'unmarkAsSpam'
  | 'setPriority'
  | 'save'
  | 'reply'
  | 'sendSystemMessage';
