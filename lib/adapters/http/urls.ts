/**
 * Where chatlines may send webhooks and messenger deliveries, and the one way it sends them.
 *
 * A target is an `https` URL whose host is, or resolves only to, public unicast addresses (so a
 * subscription cannot make chatlines call into its own network). Addresses are classified with
 * `ipaddr.js`: IPv4 must be `unicast` (no private, loopback, link-local, shared, benchmarking,
 * documentation/TEST-NET, multicast or reserved range); IPv6 must be `unicast` inside 2000::/3,
 * and the forms that carry an IPv4 address (IPv4-mapped, the NAT64 well-known prefix, 6to4,
 * Teredo) are judged by the IPv4 inside. IPv4-compatible, IPv4-translated, local-use NAT64,
 * site-local, discard and other special IPv6 ranges are refused.
 *
 * The check happens when the URL is given and again before every attempt (DNS may change), and
 * the attempt connects to the address that was checked, not to whatever the name resolves to a
 * moment later: no DNS rebinding window between the check and the connection. TLS still names
 * the host (SNI and the certificate check), and the `Host` header is the URL's.
 *
 * The local host (`npm start`, tests) also allows `http://127.0.0.1:<port>` and
 * `http://localhost:<port>`, so that it can be tried on a laptop; nowhere else is loopback allowed.
 */

import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import type { IncomingMessage, RequestOptions } from 'node:http';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { ChatlinesError } from '../../contract/errors.ts';

/** An IPv4 address from the two 16-bit groups that carry it inside an IPv6 address. */
const ipv4From = (high: number, low: number) => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);

function internalIpv4(ip: ipaddr.IPv4): boolean {
  return ip.range() !== 'unicast';
}

function internalIpv6(ip: ipaddr.IPv6): boolean {
  const p = ip.parts;
  switch (ip.range() as string) {
    case 'ipv4Mapped':
      return internalIpv4(ip.toIPv4Address());
    case 'rfc6052':
      // The well-known NAT64 prefix 64:ff9b::/96 reaches the IPv4 in its last 32 bits; the
      // local-use prefix 64:ff9b:1::/48 translates into a network of its own: refused.
      return !(p[0] === 0x64 && p[1] === 0xff9b && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0) || internalIpv4(ipv4From(p[6]!, p[7]!));
    case '6to4':
      return internalIpv4(ipv4From(p[1]!, p[2]!));
    case 'teredo':
      // The Teredo server's IPv4 in bits 32-63, the client's (inverted) in the last 32.
      return internalIpv4(ipv4From(p[2]!, p[3]!)) || internalIpv4(ipv4From(p[6]! ^ 0xffff, p[7]! ^ 0xffff));
    case 'unicast':
      // Global unicast is 2000::/3; whatever else ipaddr.js has no name for (the IPv4-compatible
      // ::a.b.c.d, unassigned space) is not a place to send anything.
      return (p[0]! & 0xe000) !== 0x2000;
    default:
      return true;
  }
}

/** Is this address one chatlines never calls (private, loopback, link-local, reserved, …)? Anything not an IP address is. */
export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  try {
    return family === 4 ? internalIpv4(ipaddr.IPv4.parse(address)) : internalIpv6(ipaddr.IPv6.parse(address));
  } catch {
    return true;
  }
}

/** A loopback address (an IPv4-mapped one judged by its IPv4). */
const isLoopback = (address: string) => {
  try {
    return ipaddr.process(address).range() === 'loopback';
  } catch {
    return false;
  }
};

/** Running on the local host (`npm start`, tests): loopback receivers are allowed. */
export const loopbackAllowed = () => process.env.CHATLINES_LOCAL_HOST === 'true';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost']);

const invalid = (path: string, message: string) => new ChatlinesError('invalid', `${path}: ${message}`, [{ path, message }]);

/** The URL's host without the brackets of an IPv6 literal. */
const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '');

/** Syntax and scheme: returns the parsed URL or throws a 400 naming `path`. */
export function parseTargetUrl(raw: string, path = 'url'): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(path, 'not a URL');
  }
  if (url.username || url.password) throw invalid(path, 'must not carry credentials');
  const host = hostOf(url);
  if (url.protocol === 'http:' && loopbackAllowed() && LOCAL_HOSTS.has(host) && url.port !== '') return url;
  if (url.protocol !== 'https:') {
    throw invalid(path, loopbackAllowed() ? 'must be https (or http://127.0.0.1:<port> / http://localhost:<port> locally)' : 'must be https');
  }
  if (isIP(host) !== 0 && isInternalAddress(host)) throw invalid(path, 'must not point at a private, loopback, link-local or reserved address');
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal') || host.endsWith('.local')) {
    throw invalid(path, 'must not point at an internal host name');
  }
  return url;
}

/** Resolves a host name to every address it has (the system resolver; tests pass their own). */
export type HostResolver = (host: string) => Promise<LookupAddress[]>;
const systemResolver: HostResolver = (host) => lookup(host, { all: true, order: 'verbatim' });

/** A URL that passed the checks, and the address an attempt connects to (the one checked). */
export interface CheckedTarget {
  url: URL;
  address: string;
  family: 4 | 6;
}

/**
 * Checks a URL before it is called — the syntax rules, then every address its host resolves
 * to — and picks the address to connect to. Throws a ChatlinesError (`invalid`) naming the reason.
 */
export async function resolveTarget(raw: string, path = 'url', resolve: HostResolver = systemResolver): Promise<CheckedTarget> {
  const url = parseTargetUrl(raw, path);
  const host = hostOf(url);
  const literal = isIP(host);
  if (literal !== 0) return { url, address: host, family: literal as 4 | 6 };
  let addresses: LookupAddress[];
  try {
    addresses = await resolve(host);
  } catch {
    throw invalid(path, `the host ${host} does not resolve`);
  }
  if (addresses.length === 0) throw invalid(path, `the host ${host} does not resolve`);
  // `http://localhost:<port>` on the local host (parseTargetUrl allowed it): loopback only.
  const refused = url.protocol === 'http:' ? (a: LookupAddress) => !isLoopback(a.address) : (a: LookupAddress) => isInternalAddress(a.address);
  if (addresses.some(refused)) {
    throw invalid(
      path,
      url.protocol === 'http:' ? `${host} resolves to an address that is not loopback` : 'resolves to a private, loopback, link-local or reserved address',
    );
  }
  const first = addresses[0]!;
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}

/** Checks a URL (as `resolveTarget`) and returns it parsed: for configuration routes. */
export async function checkTargetUrl(raw: string, path = 'url', resolve: HostResolver = systemResolver): Promise<URL> {
  return (await resolveTarget(raw, path, resolve)).url;
}

/**
 * POSTs `body` to a checked target, connecting to the checked address only (the name is not
 * resolved again), and answers the response's status. No redirect is followed (a 3xx is the
 * receiver's answer); the response body is not read. Rejects on a connection failure, and with
 * an error named `TimeoutError` when no answer came within `timeoutMs`.
 *
 * `node:http`/`node:https` are imported here, on the first post, not at a cold start (~10 ms):
 * by then the AWS SDK's own HTTP handler has loaded them for the function's first DynamoDB call,
 * so the import costs nothing more.
 */
export async function postToTarget(target: CheckedTarget, headers: Record<string, string>, body: string, timeoutMs: number): Promise<number> {
  const { url, address, family } = target;
  const { request: send } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  // Every connection of this request (there is one: no redirects) goes to the checked address.
  const pinned = ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as unknown as RequestOptions['lookup'];
  const signal = AbortSignal.timeout(timeoutMs);
  const options: RequestOptions = {
    method: 'POST',
    headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
    lookup: pinned,
    signal,
  };
  return new Promise((resolve, reject) => {
    const request = send(url, options, answered);
    function answered(res: IncomingMessage) {
      resolve(res.statusCode ?? 0);
      // Only the status matters: the connection is dropped rather than the body read.
      res.destroy();
    }
    request.on('error', (error) => reject(signal.aborted ? signal.reason : error));
    request.end(body);
  });
}
