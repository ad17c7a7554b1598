/**
 * Files leave through the generic signed delivery: a channel endpoint's `message.created` carries
 * each ready file with a pre-signed download URL (signed at the attempt, never stored); the
 * outbound API for the messengers (`filesOf`) gives the same files with their bytes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { filesOf } from '../../lib/app/files/files.ts';
import { world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';

let host: TestHost;
let r: Receiver;

before(async () => {
  host = await startTestHost({ events: true, files: true, sweepEveryMs: 100 });
  r = await startReceiver();
});
after(async () => {
  await r?.close();
  await host?.close();
});

describe('files out', () => {
  test("a file reply reaches the channel's endpoint with a download URL; filesOf gives its bytes", async () => {
    const w = await world(host);
    const channel = await host.call('POST', '/v1/channels', {
      token: w.admin,
      body: { _line: w.line.__id, _type: 'whatsapp', __name: 'WhatsApp', _deliveryUrl: r.url },
    });
    assert.equal(channel.status, 201);
    r.secret = channel.body._deliverySecret;
    const integration = await host.token({ sub: 'wa', roles: ['integration'], channels: [channel.body.__id] });
    const inbound = await host.call('POST', `/v1/channels/${channel.body.__id}/inbound`, { token: integration, body: { account: '+15550002', body: 'hi' } });
    const id = inbound.body.session.__id as string;
    const op = await w.operator('op-files');
    assert.equal((await host.call('POST', `/v1/sessions/${id}/assign`, { token: op, body: { operator: 'op-files' } })).status, 200);
    const bytes = Buffer.from('%PDF-1.4\n%%EOF\n');
    const u = await host.call('POST', `/v1/sessions/${id}/files`, {
      token: op,
      body: { name: 'invoice.pdf', contentType: 'application/pdf', size: bytes.length },
    });
    assert.equal((await fetch(u.body.uploadUrl, { method: 'PUT', headers: u.body.headers, body: bytes })).status, 200);
    const reply = await host.call('POST', `/v1/sessions/${id}/messages`, { token: op, body: { type: 'file', body: 'your invoice', files: [u.body.__id] } });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));

    await r.waitFor((x) => x.some((m) => m.event?.data?.message?.__id === reply.body.__id), 10_000, 'the file reply delivered');
    const got = r.received.find((m) => m.event?.data?.message?.__id === reply.body.__id)!;
    assert.ok(got.verified, 'signed with the channel secret (the URLs included)');
    assert.equal(got.event.data.message.type, 'file');
    const [file] = got.event.data.files as { id: string; name: string; type: string; url: string }[];
    assert.equal(file!.id, u.body.__id);
    assert.equal(file!.type, 'application/pdf');
    const download = await fetch(file!.url);
    assert.equal(download.status, 200);
    assert.ok(Buffer.from(await download.arrayBuffer()).equals(bytes));
    assert.match(download.headers.get('content-disposition') ?? '', /attachment; filename="invoice.pdf"/);

    // The messengers' outbound API: the same file, its URL and its bytes.
    const out = await filesOf(reply.body);
    assert.equal(out.length, 1);
    assert.equal(out[0]!.name, 'invoice.pdf');
    assert.equal(out[0]!.size, bytes.length);
    assert.ok(Buffer.from(await out[0]!.bytes!()).equals(bytes));
  });
});
