/** Routing: line routing settings, operator capacity overrides, a session's place in the queue. */

import { IdParams, LineOperatorsSchema, OperatorCapacityBody, OperatorParams, QueuePositionSchema } from '../schemas.ts';
import { named, type RouteSpec } from '../spec.ts';
import { Operator } from './components.ts';

export const setOperatorCapacity = {
  method: 'PUT',
  path: '/v1/operators/{id}',
  function: 'set-operator-capacity',
  access: 'write',
  auth: true,
  summary: "Override an operator's capacity (admin, or a supervisor of one of the operator's lines); `null` clears it.",
  tag: 'operators',
  params: OperatorParams,
  body: named('OperatorCapacityBody', OperatorCapacityBody),
  responses: { 200: { description: 'The operator record', body: Operator } },
  problems: [403, 404, 409],
} as const satisfies RouteSpec;

export const getSessionQueue = {
  method: 'GET',
  path: '/v1/sessions/{id}/queue',
  function: 'get-session-queue',
  access: 'read',
  auth: true,
  summary:
    "A Waiting session's place in its line's queue (priority, then age) and its expected wait with the basis of the estimate (staff who see the session, the channel's integration).",
  tag: 'sessions',
  params: IdParams,
  responses: { 200: { description: 'Position, sessions ahead, expected wait and its basis', body: named('QueuePosition', QueuePositionSchema) } },
  problems: [404, 409],
} as const satisfies RouteSpec;

/** `PATCH /v1/lines/{id}` (with `_routing`) is core's `updateLine`: one update for every line setting. */
export const listLineOperators = {
  method: 'GET',
  path: '/v1/lines/{id}/operators',
  function: 'list-line-operators',
  access: 'read',
  auth: true,
  summary: "The line's online operators with their active sessions and the capacity that applies to each (the line's staff).",
  tag: 'operators',
  params: IdParams,
  responses: { 200: { description: 'Online operators, most loaded first', body: named('LineOperators', LineOperatorsSchema) } },
  problems: [403, 404],
} as const satisfies RouteSpec;

export const routingRoutes: readonly RouteSpec[] = [setOperatorCapacity, getSessionQueue, listLineOperators];
