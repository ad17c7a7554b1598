/** Routes of the walking skeleton: health, lines, channels, inbound messages, operator status, session create/fetch. */

import {
  ChannelWithSecretSchema,
  CreateChannelBody,
  CreateLineBody,
  CreateSessionBody,
  HealthResponse,
  IdParams,
  InboundBody,
  InboundResponse,
  OperatorStatusBody,
  UpdateLineBody,
} from '../schemas.ts';
import { named, type RouteSpec } from '../spec.ts';
import { Line, Operator, Session } from './components.ts';

export const getHealth = {
  method: 'GET',
  path: '/v1/health',
  function: 'get-health',
  access: 'none',
  auth: false,
  summary: 'Liveness (no auth, no database).',
  tag: 'health',
  responses: { 200: { description: 'Alive', body: named('Health', HealthResponse) } },
  problems: [],
} as const satisfies RouteSpec;

export const createLine = {
  method: 'POST',
  path: '/v1/lines',
  function: 'create-line',
  access: 'write',
  auth: true,
  throttle: { rate: 5, burst: 10 },
  summary: 'Create a line (admin).',
  tag: 'lines',
  body: named('CreateLineBody', CreateLineBody),
  responses: { 201: { description: 'The new line', body: Line } },
  problems: [403, 409],
} as const satisfies RouteSpec;

export const getLine = {
  method: 'GET',
  path: '/v1/lines/{id}',
  function: 'get-line',
  access: 'read',
  auth: true,
  summary: 'Fetch a line.',
  tag: 'lines',
  params: IdParams,
  responses: { 200: { description: 'The line', body: Line } },
  problems: [404],
} as const satisfies RouteSpec;

export const updateLine = {
  method: 'PATCH',
  path: '/v1/lines/{id}',
  function: 'update-line',
  access: 'write',
  auth: true,
  throttle: { rate: 5, burst: 10 },
  summary:
    'Change a line\'s settings (admin): name, routing (`_routing: { mode: "manual" | "auto", capacity, botFirst }`, fields not given are kept) and the timer policies `_sla`, `_autoClose`, `_returnToQueue` (`null` removes one).',
  tag: 'lines',
  params: IdParams,
  body: named('UpdateLineBody', UpdateLineBody),
  responses: { 200: { description: 'The line after the change', body: Line } },
  problems: [403, 404, 409],
} as const satisfies RouteSpec;

export const createChannel = {
  method: 'POST',
  path: '/v1/channels',
  function: 'create-channel',
  access: 'write',
  auth: true,
  throttle: { rate: 5, burst: 10 },
  summary: 'Connect a channel to a line (admin).',
  tag: 'channels',
  body: named('CreateChannelBody', CreateChannelBody),
  responses: {
    201: {
      description: 'The new channel (with `_deliverySecret` once when `_deliveryUrl` was given)',
      body: named('ChannelWithSecret', ChannelWithSecretSchema),
    },
  },
  problems: [403, 404, 409],
} as const satisfies RouteSpec;

const Inbound = named('InboundResponse', InboundResponse);
export const receiveInboundMessage = {
  method: 'POST',
  path: '/v1/channels/{id}/inbound',
  function: 'receive-inbound-message',
  access: 'write',
  auth: true,
  summary: "A client's message arrives (integration): finds or creates the client and its open session.",
  tag: 'channels',
  params: IdParams,
  body: named('InboundBody', InboundBody),
  responses: {
    200: { description: 'Added to the open session', body: Inbound },
    201: { description: 'A new session was opened', body: Inbound },
  },
  problems: [403, 404, 409],
} as const satisfies RouteSpec;

export const setOperatorStatus = {
  method: 'PUT',
  path: '/v1/operators/me/status',
  function: 'set-operator-status',
  access: 'write',
  auth: true,
  summary: 'The calling operator goes online or offline.',
  tag: 'operators',
  body: named('OperatorStatusBody', OperatorStatusBody),
  responses: { 200: { description: "The caller's presence", body: Operator } },
  problems: [403, 409],
} as const satisfies RouteSpec;

export const createSession = {
  method: 'POST',
  path: '/v1/sessions',
  function: 'create-session',
  access: 'write',
  auth: true,
  summary: 'Create a session on behalf of the calling operator (`sessions.create(channel, account)`).',
  tag: 'sessions',
  body: named('CreateSessionBody', CreateSessionBody),
  responses: { 201: { description: 'The new session, assigned to the caller', body: Session } },
  problems: [403, 404, 409],
} as const satisfies RouteSpec;

export const getSession = {
  method: 'GET',
  path: '/v1/sessions/{id}',
  function: 'get-session',
  access: 'read',
  auth: true,
  summary: 'Fetch a session.',
  tag: 'sessions',
  params: IdParams,
  responses: { 200: { description: 'The session', body: Session } },
  problems: [404],
} as const satisfies RouteSpec;

export const coreRoutes: readonly RouteSpec[] = [
  getHealth,
  createLine,
  getLine,
  updateLine,
  createChannel,
  receiveInboundMessage,
  setOperatorStatus,
  createSession,
  getSession,
];
