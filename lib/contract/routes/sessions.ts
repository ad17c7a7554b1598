/** Session commands, messages, channel and client commands. */

import {
  AssignSessionBody,
  IdParams,
  MessagesQuery,
  MessagesResponse,
  PostMessageBody,
  SaveSessionBody,
  SetPriorityBody,
  UpdateClientBody,
} from '../schemas.ts';
import { named, type RouteSpec } from '../spec.ts';
import { Channel, Client, Message, Session } from './components.ts';

/** The fields every session command shares: `{id}`, the session after the change, `If-Match`. */
const sessionCommand = {
  access: 'write',
  auth: true,
  tag: 'sessions',
  params: IdParams,
  ifMatch: true,
  responses: { 200: { description: 'The session after the change', body: Session } },
  problems: [403, 404, 409],
} as const;

export const saveSession = {
  ...sessionCommand,
  method: 'PATCH',
  path: '/v1/sessions/{id}',
  function: 'save-session',
  summary: 'Save a session: only `__name` and `_apps`.',
  body: named('SaveSessionBody', SaveSessionBody),
} as const satisfies RouteSpec;

export const assignSession = {
  ...sessionCommand,
  method: 'POST',
  path: '/v1/sessions/{id}/assign',
  function: 'assign-session',
  summary: 'Assign to an operator, an operator group or the line’s bot.',
  body: named('AssignSessionBody', AssignSessionBody),
} as const satisfies RouteSpec;

export const closeSession = {
  ...sessionCommand,
  method: 'POST',
  path: '/v1/sessions/{id}/close',
  function: 'close-session',
  summary: 'Close (the assigned operator or bot only).',
} as const satisfies RouteSpec;

export const markSessionSpam = {
  ...sessionCommand,
  method: 'PUT',
  path: '/v1/sessions/{id}/spam',
  function: 'mark-session-spam',
  summary: 'Mark as spam.',
} as const satisfies RouteSpec;

export const unmarkSessionSpam = {
  ...sessionCommand,
  method: 'DELETE',
  path: '/v1/sessions/{id}/spam',
  function: 'unmark-session-spam',
  summary: 'Unmark spam.',
} as const satisfies RouteSpec;

export const setSessionPriority = {
  ...sessionCommand,
  method: 'PUT',
  path: '/v1/sessions/{id}/priority',
  function: 'set-session-priority',
  summary: 'Set or clear the priority.',
  body: named('SetPriorityBody', SetPriorityBody),
} as const satisfies RouteSpec;

export const listSessionMessages = {
  method: 'GET',
  path: '/v1/sessions/{id}/messages',
  function: 'list-session-messages',
  access: 'read',
  auth: true,
  summary: 'Messages in order (`from` skips, `size` 1–10,000, default 10).',
  tag: 'messages',
  params: IdParams,
  query: MessagesQuery,
  responses: { 200: { description: 'The messages', body: named('MessageList', MessagesResponse) } },
  problems: [404],
} as const satisfies RouteSpec;

export const getLastSessionMessage = {
  method: 'GET',
  path: '/v1/sessions/{id}/messages/last',
  function: 'get-last-session-message',
  access: 'read',
  auth: true,
  summary: 'The last message (404 when there is none).',
  tag: 'messages',
  params: IdParams,
  responses: { 200: { description: 'The last message', body: Message } },
  problems: [404],
} as const satisfies RouteSpec;

export const postSessionMessage = {
  method: 'POST',
  path: '/v1/sessions/{id}/messages',
  function: 'post-session-message',
  access: 'write',
  auth: true,
  summary: 'A reply by the assigned operator or bot (`text`), or a staff-only note (`system`).',
  tag: 'messages',
  params: IdParams,
  body: named('PostMessageBody', PostMessageBody),
  responses: { 201: { description: 'The message', body: Message } },
  problems: [403, 404, 409],
} as const satisfies RouteSpec;

const channelCommand = {
  access: 'write',
  auth: true,
  tag: 'channels',
  params: IdParams,
  responses: { 200: { description: 'The channel after the change', body: Channel } },
  problems: [403, 404, 409],
} as const;

export const disconnectChannel = {
  ...channelCommand,
  method: 'POST',
  path: '/v1/channels/{id}/disconnect',
  function: 'disconnect-channel',
  summary: '`active` → `disconnected`.',
} as const satisfies RouteSpec;

export const reconnectChannel = {
  ...channelCommand,
  method: 'POST',
  path: '/v1/channels/{id}/reconnect',
  function: 'reconnect-channel',
  summary: 'Back to `active` (inbox, telegramBot, viberbot, livechat, instagram only).',
} as const satisfies RouteSpec;

export const updateClient = {
  method: 'PATCH',
  path: '/v1/clients/{id}',
  function: 'update-client',
  access: 'write',
  auth: true,
  summary: "Save a client's display name (`__name`), account link (`_applicationItem`) and block status.",
  tag: 'clients',
  params: IdParams,
  body: named('UpdateClientBody', UpdateClientBody),
  responses: { 200: { description: 'The client after the change', body: Client } },
  problems: [403, 404, 409],
} as const satisfies RouteSpec;

export const sessionRoutes: readonly RouteSpec[] = [
  saveSession,
  assignSession,
  closeSession,
  markSessionSpam,
  unmarkSessionSpam,
  setSessionPriority,
  listSessionMessages,
  getLastSessionMessage,
  postSessionMessage,
  disconnectChannel,
  reconnectChannel,
  updateClient,
];
