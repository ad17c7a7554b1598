/**
 * Errors the rules of chatlines raise. Plain classes with no HTTP or AWS knowledge: the HTTP
 * adapter (lib/http) maps each kind to a status and a problem+json body.
 */
export type ErrorKind =
  | 'invalid' // 400: a field's value is wrong
  | 'unauthenticated' // 401
  | 'forbidden' // 403: role or ownership
  | 'not-found' // 404
  | 'conflict' // 409: the state does not allow it, or a lost race
  | 'too-large' // 413
  | 'throttled' // 429
  | 'unavailable' // 503: the database could not be reached; nothing was written
  | 'upstream'; // 502: a messenger's API failed or could not be reached; nothing was written

export interface FieldError {
  path: string;
  message: string;
}

export class ChatlinesError extends Error {
  readonly kind: ErrorKind;
  readonly errors: FieldError[] | undefined;
  constructor(kind: ErrorKind, detail: string, errors?: FieldError[]) {
    super(detail);
    this.name = 'ChatlinesError';
    this.kind = kind;
    this.errors = errors;
  }
}

export const invalid = (path: string, message: string) => new ChatlinesError('invalid', `${path}: ${message}`, [{ path, message }]);
export const forbidden = (detail: string) => new ChatlinesError('forbidden', detail);
export const notFound = (what: string, id: string) => new ChatlinesError('not-found', `${what} ${id} does not exist`);
export const conflict = (detail: string) => new ChatlinesError('conflict', detail);
export const upstream = (detail: string) => new ChatlinesError('upstream', detail);

/**
 * The one conflict test: a write that lost to a failed condition or a concurrent change (what
 * lib/adapters/dynamodb/db.ts makes of ConditionalCheckFailed and TransactionConflict), a 409.
 */
export const isConflict = (error: unknown): error is ChatlinesError => error instanceof ChatlinesError && error.kind === 'conflict';
