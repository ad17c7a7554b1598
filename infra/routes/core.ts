/** Routes of the walking skeleton: health, lines, channels, inbound messages, operator status, session create/fetch. */
import type { RouteDefinition } from '../routes.ts';

export const coreRoutes: readonly RouteDefinition[] = [
  { method: 'GET', path: '/v1/health', function: 'get-health', access: 'none', auth: false },
  { method: 'POST', path: '/v1/lines', function: 'create-line', access: 'write', auth: true, throttle: { rate: 5, burst: 10 } },
  { method: 'GET', path: '/v1/lines/{id}', function: 'get-line', access: 'read', auth: true },
  { method: 'POST', path: '/v1/channels', function: 'create-channel', access: 'write', auth: true, throttle: { rate: 5, burst: 10 } },
  { method: 'POST', path: '/v1/channels/{id}/inbound', function: 'receive-inbound-message', access: 'write', auth: true },
  { method: 'PUT', path: '/v1/operators/me/status', function: 'set-operator-status', access: 'write', auth: true },
  { method: 'POST', path: '/v1/sessions', function: 'create-session', access: 'write', auth: true },
  { method: 'GET', path: '/v1/sessions/{id}', function: 'get-session', access: 'read', auth: true },
];
