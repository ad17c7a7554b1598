/**
 * The caller of a request, from the verified JWT's claims (API Gateway's JWT authorizer in
 * AWS, the local host's verifier locally). Pure: no AWS imports.
 */
import { ChatlinesError } from './errors.ts';

export const ROLES = ['admin', 'supervisor', 'operator', 'bot', 'integration'] as const;
export type Role = (typeof ROLES)[number];

export interface Caller {
  /** The user, bot or integration id (`sub`). */
  readonly sub: string;
  readonly roles: readonly Role[];
  /** Operator groups the caller belongs to. */
  readonly groups: readonly string[];
  /** Channels an integration may post inbound messages to (`channels` claim). */
  readonly channels: readonly string[];
  /** The display name (`name` claim), when the token carries one: what `{{operator.name}}` fills. */
  readonly name?: string;
}

/**
 * API Gateway passes array claims flattened to a string such as `[admin operator]`; the local
 * host passes real arrays. Both, and comma- or space-separated strings, are accepted.
 */
export function claimList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String).filter(Boolean);
  if (typeof value !== 'string') return [];
  return value
    .replace(/^\[|\]$/g, '')
    .split(/[\s,]+/)
    .map((s) => s.replace(/^"|"$/g, ''))
    .filter(Boolean);
}

/** Builds the caller from JWT claims; a token without `sub` is refused. */
export function callerFromClaims(claims: Record<string, unknown> | undefined): Caller {
  const sub = claims?.sub;
  if (typeof sub !== 'string' || sub.length === 0) throw new ChatlinesError('unauthenticated', 'the token has no subject');
  // Cognito ID tokens carry roles as the custom attribute `custom:roles`.
  const roles = claimList(claims?.roles ?? claims?.['custom:roles']).filter((r): r is Role => (ROLES as readonly string[]).includes(r));
  const groups = claimList(claims?.groups ?? claims?.['cognito:groups']);
  const channels = claimList(claims?.channels);
  const name = typeof claims?.name === 'string' && claims.name.trim() !== '' ? claims.name.trim().slice(0, 256) : undefined;
  return { sub, roles, groups, channels, ...(name ? { name } : {}) };
}

export const hasRole = (caller: Caller, ...roles: Role[]) => roles.some((r) => caller.roles.includes(r));

/** Refuses unless the caller holds one of the roles. */
export function requireRole(caller: Caller, ...roles: Role[]): void {
  if (!hasRole(caller, ...roles)) {
    throw new ChatlinesError('forbidden', `this needs one of the roles: ${roles.join(', ')}`);
  }
}
