/**
 * The visitor routes of the web-chat widget (issue 16): no staff JWT at the gateway; the
 * functions verify the visitor token (HMAC, one channel + one client) themselves. Throttled
 * per route, tighter than the stage default: anyone on the internet can reach them.
 */
import type { RouteDefinition } from '../routes.ts';

export const visitorRoutes: readonly RouteDefinition[] = [
  { method: 'POST', path: '/v1/visitors', function: 'create-visitor', access: 'read', auth: false, visitor: 'open', throttle: { rate: 5, burst: 20 } },
  { method: 'POST', path: '/v1/visitors/messages', function: 'post-visitor-message', access: 'write', auth: false, visitor: 'token', throttle: { rate: 20, burst: 40 } },
  { method: 'GET', path: '/v1/visitors/messages', function: 'list-visitor-messages', access: 'read', auth: false, visitor: 'token', throttle: { rate: 50, burst: 100 } },
  { method: 'GET', path: '/v1/visitors/queue', function: 'get-visitor-queue', access: 'read', auth: false, visitor: 'token', throttle: { rate: 20, burst: 40 } },
];
