/**
 * The visitor routes of the web-chat widget: no staff JWT at the gateway; the
 * functions verify the visitor token (HMAC, one channel + one client) themselves. Throttled
 * per route, tighter than the stage default: anyone on the internet can reach them.
 */

import { RateBody } from '../schedule.ts';
import { named, type RouteSpec } from '../spec.ts';
import {
  CreateVisitorBody,
  PostVisitorMessageResponse,
  VisitorMessageBody,
  VisitorMessagesResponse,
  VisitorQueueResponse,
  VisitorRatingResponse,
  VisitorTokenResponse,
} from '../visitors.ts';

export const createVisitor = {
  method: 'POST',
  path: '/v1/visitors',
  function: 'create-visitor',
  access: 'read',
  auth: false,
  visitor: 'open',
  throttle: { rate: 5, burst: 20 },
  summary: 'A web-chat visitor starts on a livechat channel: an anonymous visitor token for one channel and one client (no staff token).',
  tag: 'visitors',
  body: named('CreateVisitorBody', CreateVisitorBody),
  responses: { 201: { description: 'The visitor token and the client account it names', body: named('VisitorTokenResponse', VisitorTokenResponse) } },
  problems: [404, 409],
} as const satisfies RouteSpec;

const PostVisitorMessage = named('PostVisitorMessageResponse', PostVisitorMessageResponse);

export const postVisitorMessage = {
  method: 'POST',
  path: '/v1/visitors/messages',
  function: 'post-visitor-message',
  access: 'write',
  auth: false,
  visitor: 'token',
  throttle: { rate: 20, burst: 40 },
  summary: 'The visitor writes: an inbound message on its channel (visitor token).',
  tag: 'visitors',
  body: named('VisitorMessageBody', VisitorMessageBody),
  responses: {
    200: { description: 'Added to the open session', body: PostVisitorMessage },
    201: { description: 'A new session was opened', body: PostVisitorMessage },
  },
  problems: [404, 409],
} as const satisfies RouteSpec;

export const listVisitorMessages = {
  method: 'GET',
  path: '/v1/visitors/messages',
  function: 'list-visitor-messages',
  access: 'read',
  auth: false,
  visitor: 'token',
  throttle: { rate: 50, burst: 100 },
  summary: "The visitor's newest session and its client-visible messages (never staff notes or history).",
  tag: 'visitors',
  responses: { 200: { description: 'The conversation', body: named('VisitorMessagesResponse', VisitorMessagesResponse) } },
  problems: [],
} as const satisfies RouteSpec;

export const getVisitorQueue = {
  method: 'GET',
  path: '/v1/visitors/queue',
  function: 'get-visitor-queue',
  access: 'read',
  auth: false,
  visitor: 'token',
  throttle: { rate: 20, burst: 40 },
  summary: "Queue position and expected wait of the visitor's session while it waits.",
  tag: 'visitors',
  responses: { 200: { description: 'Position and estimate (nulls when not waiting)', body: named('VisitorQueueResponse', VisitorQueueResponse) } },
  problems: [],
} as const satisfies RouteSpec;

export const rateVisitorSession = {
  method: 'POST',
  path: '/v1/visitors/rating',
  function: 'rate-visitor-session',
  access: 'write',
  auth: false,
  visitor: 'token',
  throttle: { rate: 5, burst: 10 },
  summary:
    'The visitor rates its newest session (closed, with a rating request of the last 24 h): `score` 1–5 and an optional `comment`. Once: a second rating is 409.',
  tag: 'visitors',
  body: named('RateBody', RateBody),
  responses: { 201: { description: 'The rating, as stored on the session (`_rating`)', body: named('VisitorRatingResponse', VisitorRatingResponse) } },
  problems: [404, 409],
} as const satisfies RouteSpec;

export const visitorRoutes: readonly RouteSpec[] = [createVisitor, postVisitorMessage, listVisitorMessages, getVisitorQueue, rateVisitorSession];
