/**
 * The visitor token's verifier (lib/adapters/visitor-token.ts, with jose's JWS verify, ~11 KB
 * bundled), a lazy module (lib/adapters/lazy.ts): a visitor function starts loading it beside
 * its first read of the visitor secret (lib/app/visitors/identity.ts), so that on a cold start
 * in AWS jose is parsed while Secrets Manager answers, not before.
 */
export { verifyVisitorToken } from '../visitor-token.ts';
