/** Session commands, messages, channel and client commands (issue 4). */
import type { RouteDefinition } from '../routes.ts';

export const sessionRoutes: readonly RouteDefinition[] = [
  { method: 'PATCH', path: '/v1/sessions/{id}', function: 'save-session', access: 'write', auth: true },
  { method: 'POST', path: '/v1/sessions/{id}/assign', function: 'assign-session', access: 'write', auth: true },
  { method: 'POST', path: '/v1/sessions/{id}/close', function: 'close-session', access: 'write', auth: true },
  { method: 'PUT', path: '/v1/sessions/{id}/spam', function: 'mark-session-spam', access: 'write', auth: true },
  { method: 'DELETE', path: '/v1/sessions/{id}/spam', function: 'unmark-session-spam', access: 'write', auth: true },
  { method: 'PUT', path: '/v1/sessions/{id}/priority', function: 'set-session-priority', access: 'write', auth: true },
  { method: 'GET', path: '/v1/sessions/{id}/messages', function: 'list-session-messages', access: 'read', auth: true },
  { method: 'GET', path: '/v1/sessions/{id}/messages/last', function: 'get-last-session-message', access: 'read', auth: true },
  { method: 'POST', path: '/v1/sessions/{id}/messages', function: 'post-session-message', access: 'write', auth: true },
  { method: 'POST', path: '/v1/channels/{id}/disconnect', function: 'disconnect-channel', access: 'write', auth: true },
  { method: 'POST', path: '/v1/channels/{id}/reconnect', function: 'reconnect-channel', access: 'write', auth: true },
  { method: 'PATCH', path: '/v1/clients/{id}', function: 'update-client', access: 'write', auth: true },
];
