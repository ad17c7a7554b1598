/**
 * Where chatlines may send webhooks and messenger deliveries: `https` URLs whose host does not
 * resolve to a private, loopback, link-local or otherwise internal address (so a subscription
 * cannot make chatlines call into its own network). The local host also allows
 * `http://127.0.0.1:<port>` and `http://localhost:<port>`, so that it can be tried on a laptop.
 * The address is checked when the URL is given and again before every attempt (DNS may change).
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { ChatlinesError } from '../../contract/errors.ts';

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** Is this address one chatlines never calls (private, loopback, link-local, multicast, …)? */
export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  if (family === 6) {
    // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) addresses: judge the IPv4 inside.
    const mapped = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return blocked.check(mapped[1]!, 'ipv4');
    if (/^(?:::ffff:|64:ff9b::)[0-9a-f]{1,4}:[0-9a-f]{1,4}$/i.test(address)) return true;
  }
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Running on the local host (`npm start`, tests): loopback receivers are allowed. */
export const loopbackAllowed = () => process.env.CHATLINES_LOCAL_HOST === 'true';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost']);

const invalid = (path: string, message: string) => new ChatlinesError('invalid', `${path}: ${message}`, [{ path, message }]);

/** Syntax and scheme: returns the parsed URL or throws a 400 naming `path`. */
export function parseTargetUrl(raw: string, path = 'url'): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(path, 'not a URL');
  }
  if (url.username || url.password) throw invalid(path, 'must not carry credentials');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (url.protocol === 'http:' && loopbackAllowed() && LOCAL_HOSTS.has(host) && url.port !== '') return url;
  if (url.protocol !== 'https:') {
    throw invalid(path, loopbackAllowed() ? 'must be https (or http://127.0.0.1:<port> / http://localhost:<port> locally)' : 'must be https');
  }
  if (isIP(host) !== 0 && isInternalAddress(host)) throw invalid(path, 'must not point at a private, loopback or link-local address');
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal') || host.endsWith('.local')) {
    throw invalid(path, 'must not point at an internal host name');
  }
  return url;
}

/**
 * Checks a URL before it is called: the syntax rules, then every address its host resolves to.
 * Throws a ChatlinesError (`invalid`) naming the reason.
 */
export async function checkTargetUrl(raw: string, path = 'url'): Promise<URL> {
  const url = parseTargetUrl(raw, path);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (url.protocol === 'http:') return url; // loopback on the local host, allowed above
  if (isIP(host) !== 0) return url;
  let addresses: { address: string }[];
  try {
    addresses = await lookup(host, { all: true });
  } catch {
    throw invalid(path, `the host ${host} does not resolve`);
  }
  if (addresses.some((a) => isInternalAddress(a.address))) {
    throw invalid(path, 'resolves to a private, loopback or link-local address');
  }
  return url;
}
