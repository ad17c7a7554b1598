/**
 * Read receipts: the staff side reads the client's messages (the operator who holds the session),
 * the visitor reads the staff replies (visitor token). Either marks the other side's messages up to
 * one `isRead: true` and makes a `message.read` event (sockets, webhooks).
 */
import { ReadBody, ReadResponse } from '../reads.ts';
import { IdParams } from '../schemas.ts';
import { named, type RouteSpec } from '../spec.ts';

const Read = named('ReadResponse', ReadResponse);
const Body = named('ReadBody', ReadBody);

export const markSessionRead = {
  method: 'POST',
  path: '/v1/sessions/{id}/read',
  function: 'mark-session-read',
  access: 'write',
  auth: true,
  summary:
    "The operator who holds the session has read the client's messages up to `upTo`: they are marked `isRead` (at most 50 per call) and a `message.read` event goes out; a repeated or older `upTo` changes nothing.",
  tag: 'messages',
  params: IdParams,
  body: Body,
  responses: { 200: { description: 'What is read now and what this call marked', body: Read } },
  problems: [403, 404],
} as const satisfies RouteSpec;

export const markVisitorRead = {
  method: 'POST',
  path: '/v1/visitors/read',
  function: 'mark-visitor-read',
  access: 'write',
  auth: false,
  visitor: 'token',
  throttle: { rate: 20, burst: 40 },
  summary: "The visitor has read the staff replies of its newest session up to `upTo` (visitor token): the widget's ✓✓.",
  tag: 'visitors',
  body: Body,
  responses: { 200: { description: 'What is read now and what this call marked', body: Read } },
  problems: [404],
} as const satisfies RouteSpec;

export const readRoutes: readonly RouteSpec[] = [markSessionRead, markVisitorRead];
