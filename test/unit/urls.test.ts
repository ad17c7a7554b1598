/**
 * Delivery targets: which addresses chatlines refuses to call (every internal or special range,
 * IPv4 carried inside IPv6 included), and that an attempt connects to the address it checked —
 * the name is resolved once, so DNS cannot answer the check with one address and the connection
 * with another.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type HostResolver, isInternalAddress, parseTargetUrl, postToTarget, resolveTarget } from '../../lib/adapters/http/urls.ts';

const INTERNAL = [
  // IPv4: this network, private, shared, loopback, link-local, IETF, TEST-NETs, benchmarking, 6to4 relay, multicast, reserved, broadcast
  '0.0.0.0',
  '0.1.2.3',
  '10.1.2.3',
  '100.64.0.1',
  '127.0.0.1',
  '127.255.255.254',
  '169.254.169.254',
  '172.16.0.1',
  '172.31.255.255',
  '192.0.0.8',
  '192.0.2.1',
  '192.88.99.1',
  '192.168.0.1',
  '198.18.0.1',
  '198.19.255.255',
  '198.51.100.1',
  '203.0.113.1',
  '224.0.0.1',
  '233.252.0.1',
  '240.0.0.1',
  '255.255.255.255',
  // IPv6: unspecified, loopback, IPv4-compatible, IPv4-mapped and -translated forms of internal IPv4
  '::',
  '::1',
  '::127.0.0.1',
  '::7f00:1',
  '::ffff:127.0.0.1',
  '::ffff:7f00:1',
  '::ffff:169.254.169.254',
  '::ffff:0:127.0.0.1',
  '::ffff:0:8.8.8.8',
  // NAT64: the well-known prefix carrying an internal IPv4, and the local-use prefix
  '64:ff9b::7f00:1',
  '64:ff9b::a9fe:a9fe',
  '64:ff9b:1::7f00:1',
  '64:ff9b:1::808:808',
  // 6to4 and Teredo carrying an internal IPv4 (Teredo: the server's, or the inverted client's)
  '2002:7f00:1::1',
  '2002:a9fe:a9fe::1',
  '2002:a00:1::1',
  '2001:0:7f00:1::1',
  '2001:0:808:808::80ff:fffe',
  // discard, documentation, benchmarking, ORCHID, site-local, unique local, link-local, multicast, segment routing, unassigned
  '100::1',
  '2001:db8::1',
  '3fff::1',
  '2001:2::1',
  '2001:20::1',
  'fec0::1',
  'fc00::1',
  'fd12:3456::1',
  'fe80::1',
  'ff02::1',
  '5f00::1',
  '4000::1',
  '1::1',
  // not addresses at all
  'example.com',
  '',
];

const PUBLIC = ['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700::1111', '2a00:1450:4001::200e', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'];

describe('internal addresses', () => {
  test('every internal or special range is refused, IPv4 inside IPv6 judged by the IPv4', () => {
    for (const a of INTERNAL) assert.equal(isInternalAddress(a), true, a);
  });

  test('public unicast passes, in every form that carries it', () => {
    for (const a of PUBLIC) assert.equal(isInternalAddress(a), false, a);
  });

  test('URLs with such literals are refused (however the URL spells the address)', () => {
    const urls = [
      'https://[::127.0.0.1]/x',
      'https://[::ffff:0:127.0.0.1]/x',
      'https://[64:ff9b:1::7f00:1]/x',
      'https://[2002:7f00:1::1]/x',
      'https://[2002:a9fe:a9fe::1]/x',
      'https://[fec0::1]/x',
      'https://[100::1]/x',
      'https://192.0.2.1/x',
      'https://198.51.100.7/x',
      'https://203.0.113.9/x',
      'https://0x7f.1/x',
      'https://2130706433/x',
      'https://[::ffff:a9fe:a9fe]/latest',
    ];
    for (const url of urls) assert.throws(() => parseTargetUrl(url), /private, loopback, link-local or reserved/, url);
  });
});

describe('resolution and the connection', () => {
  const was = process.env.CHATLINES_LOCAL_HOST;
  let server: ReturnType<typeof createServer>;
  let port = 0;
  const seen: { host: string | undefined; body: string }[] = [];
  before(async () => {
    process.env.CHATLINES_LOCAL_HOST = 'true';
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        seen.push({ host: req.headers.host, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    process.env.CHATLINES_LOCAL_HOST = was;
    await new Promise((resolve) => server.close(resolve));
  });

  const fixed = (...addresses: string[]): HostResolver & { calls: number } => {
    const resolver = Object.assign(
      async () => {
        resolver.calls++;
        return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
      },
      { calls: 0 },
    );
    return resolver;
  };

  test('a name with any internal address is refused; otherwise the first address is the one connected to', async () => {
    await assert.rejects(resolveTarget('https://hooks.example.com/x', 'url', fixed('93.184.216.34', '10.0.0.5')), /resolves to a private/);
    await assert.rejects(resolveTarget('https://hooks.example.com/x', 'url', fixed('::ffff:127.0.0.1')), /resolves to a private/);
    await assert.rejects(resolveTarget('https://hooks.example.com/x', 'url', fixed('2002:a9fe:a9fe::1')), /resolves to a private/);
    await assert.rejects(resolveTarget('https://hooks.example.com/x', 'url', fixed()), /does not resolve/);
    const resolver = fixed('93.184.216.34', '2606:4700::1111');
    const target = await resolveTarget('https://hooks.example.com/x', 'url', resolver);
    assert.equal(target.address, '93.184.216.34');
    assert.equal(target.family, 4);
    assert.equal(resolver.calls, 1);
    // A literal is not resolved at all.
    const literal = fixed('127.0.0.1');
    assert.equal((await resolveTarget('https://[2606:4700::1111]/x', 'url', literal)).address, '2606:4700::1111');
    assert.equal(literal.calls, 0);
  });

  test('loopback on the local host: http://localhost:<port> must resolve to loopback only', async () => {
    await assert.rejects(resolveTarget(`http://localhost:${port}/x`, 'url', fixed('10.0.0.7')), /not loopback/);
    await assert.rejects(resolveTarget(`http://localhost:${port}/x`, 'url', fixed('127.0.0.1', '93.184.216.34')), /not loopback/);
    assert.equal((await resolveTarget(`http://localhost:${port}/x`, 'url', fixed('::1', '127.0.0.1'))).address, '::1');
    process.env.CHATLINES_LOCAL_HOST = 'false';
    try {
      await assert.rejects(resolveTarget(`http://localhost:${port}/x`, 'url', fixed('127.0.0.1')), /must be https/);
    } finally {
      process.env.CHATLINES_LOCAL_HOST = 'true';
    }
  });

  test('the attempt connects to the checked address and never resolves the name again', async () => {
    // `.invalid` never resolves (RFC 6761): the request can only arrive through the pinned address.
    const target = { url: new URL(`http://rebind.invalid:${port}/hook`), address: '127.0.0.1', family: 4 as const };
    const status = await postToTarget(target, { 'content-type': 'application/json' }, '{"ok":true}', 5_000);
    assert.equal(status, 204);
    assert.deepEqual(seen.at(-1), { host: `rebind.invalid:${port}`, body: '{"ok":true}' });
  });

  test('no answer within the time: a TimeoutError', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    try {
      const target = { url: new URL(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/`), address: '127.0.0.1', family: 4 as const };
      await assert.rejects(postToTarget(target, {}, '{}', 200), { name: 'TimeoutError' });
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
