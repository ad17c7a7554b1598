/**
 * Problem details (RFC 9457) from chatlines errors: the only place that turns an error into
 * an HTTP status. Anything unexpected becomes a bare 500 with the request id: never a stack
 * trace or an internal message to the caller.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ChatlinesError, type ErrorKind } from '../../contract/errors.ts';
import type { Problem } from '../../contract/schemas.ts';

const STATUS: Record<ErrorKind, { status: number; title: string }> = {
  invalid: { status: 400, title: 'Invalid request' },
  unauthenticated: { status: 401, title: 'Unauthenticated' },
  forbidden: { status: 403, title: 'Forbidden' },
  'not-found': { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  'too-large': { status: 413, title: 'Payload too large' },
  throttled: { status: 429, title: 'Too many requests' },
  unavailable: { status: 503, title: 'Service unavailable' },
  upstream: { status: 502, title: 'Bad gateway' },
};

export const PROBLEM_TYPE_BASE = 'https://chatlines.dev/problems/';

export function problem(kind: ErrorKind, detail: string, errors?: { path: string; message: string }[]): Problem {
  const { status, title } = STATUS[kind];
  return { type: `${PROBLEM_TYPE_BASE}${kind}`, title, status, detail, ...(errors ? { errors } : {}) };
}

export function errorResponse(error: unknown, requestId: string): { status: number; body: Problem; headers?: Record<string, string> } {
  if (error instanceof ChatlinesError) {
    const body = problem(error.kind, error.message, error.errors);
    const headers: Record<string, string> = {};
    if (error.kind === 'unavailable' || error.kind === 'throttled') headers['retry-after'] = error.kind === 'unavailable' ? '5' : '1';
    return { status: body.status, body, headers };
  }
  return {
    status: 500,
    body: {
      type: `${PROBLEM_TYPE_BASE}internal`,
      title: 'Internal error',
      status: 500,
      detail: `an unexpected error occurred; quote request id ${requestId}`,
    },
  };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  const isProblem = status >= 400;
  return {
    statusCode: status,
    headers: {
      'content-type': isProblem ? 'application/problem+json' : 'application/json',
      'cache-control': 'no-store',
      ...headers,
    },
    body: body === undefined ? '' : JSON.stringify(body),
  };
}
