/**
 * Files end to end over real HTTP: the test host with DynamoDB Local and a local S3-compatible
 * server (s3rver). Uploads go to the pre-signed URL, sends check the content, downloads follow
 * the 302 to a pre-signed GET.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { storeInboundFile } from '../../lib/app/files/files.ts';
import { receiveInbound } from '../../lib/app/sessions/open.ts';
import { createLinesClient } from '../../lib/client/index.ts';
import { MAX_FILE_SIZE } from '../../lib/contract/files.ts';
import { type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';
import { png } from '../support/png.ts';

let host: TestHost;
let w: World;
let alice: string;

before(async () => {
  host = await startTestHost({ files: true });
  w = await world(host, { channelType: 'livechat' });
  alice = await w.operator('alice');
});
after(() => host?.close());

/** A session held by alice. */
async function heldSession(account: string) {
  const { session } = await w.openSession(account);
  const r = await host.call('POST', `/v1/sessions/${session.__id}/assign`, { token: alice, body: { operator: 'alice' } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return session.__id as string;
}

interface Upload {
  __id: string;
  uploadUrl: string;
  method: 'PUT';
  headers: Record<string, string>;
  expiresAt: string;
}

async function upload(path: string, token: string, name: string, contentType: string, bytes: Buffer, declared = bytes.length, visitor = false) {
  const r = await host.call('POST', path, {
    body: { name, contentType, size: declared },
    headers: { authorization: visitor ? `Bearer ${token}` : `Bearer ${token}` },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const u = r.body as Upload;
  const put = await fetch(u.uploadUrl, { method: 'PUT', headers: u.headers, body: bytes });
  assert.equal(put.status, 200, await put.text());
  return u;
}

async function download(path: string, token: string): Promise<{ status: number; bytes?: Buffer; type?: string | null; disposition?: string | null }> {
  const r = await fetch(`${host.url}${path}`, { headers: { authorization: `Bearer ${token}` }, redirect: 'manual' });
  if (r.status !== 302) return { status: r.status };
  const location = r.headers.get('location')!;
  assert.ok(!location.includes(host.url), 'the redirect goes to storage');
  const got = await fetch(location);
  assert.equal(got.status, 200);
  return {
    status: 302,
    bytes: Buffer.from(await got.arrayBuffer()),
    type: got.headers.get('content-type'),
    disposition: got.headers.get('content-disposition'),
  };
}

describe('files', () => {
  it('a PNG: upload to the pre-signed URL, send, download byte-identical; another line’s operator gets 404', async () => {
    const id = await heldSession('png-client');
    const bytes = png();
    const u = await upload(`/v1/sessions/${id}/files`, alice, 'photo.png', 'image/png', bytes);
    assert.equal(u.method, 'PUT');
    assert.ok(Date.parse(u.expiresAt) > Date.now());
    // Not sent yet: not served.
    assert.equal((await download(`/v1/files/${u.__id}`, alice)).status, 404);

    const sent = await host.call('POST', `/v1/sessions/${id}/messages`, { token: alice, body: { type: 'file', body: 'here', files: [u.__id] } });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    assert.equal(sent.body.type, 'file');
    assert.deepEqual(sent.body.files, [u.__id]);
    assert.deepEqual(sent.body.attachments, [{ id: u.__id, name: 'photo.png', type: 'image/png', size: bytes.length, state: 'ready', reason: null }]);

    const got = await download(`/v1/files/${u.__id}`, alice);
    assert.equal(got.status, 302);
    assert.ok(got.bytes!.equals(bytes), 'byte-identical');
    assert.equal(got.type, 'image/png');
    assert.equal(got.disposition, null, 'images are shown inline');

    // The messages carry it.
    const list = await host.call('GET', `/v1/sessions/${id}/messages?size=50`, { token: alice });
    assert.equal(list.body.at(-1).attachments[0].id, u.__id);

    // Staff of another line: 404, as for a file that does not exist.
    const otherLine = await host.call('POST', '/v1/lines', { token: w.admin, body: { __name: 'Other', _operatorGroups: ['other'] } });
    assert.equal(otherLine.status, 201);
    const bob = await w.operator('bob', { groups: ['other'] });
    assert.equal((await download(`/v1/files/${u.__id}`, bob)).status, 404);
    assert.equal((await download('/v1/files/00000000-0000-4000-8000-000000000000', alice)).status, 404);
    // A file is sent once.
    const again = await host.call('POST', `/v1/sessions/${id}/messages`, { token: alice, body: { type: 'file', files: [u.__id] } });
    assert.equal(again.status, 400);

    // ?redirect=false: the link as JSON.
    const json = await host.call('GET', `/v1/files/${u.__id}?redirect=false`, { token: alice });
    assert.equal(json.status, 200);
    assert.equal(json.body.type, 'image/png');
  });

  it('a text file named .png is refused by its content, marked rejected and never served', async () => {
    const id = await heldSession('text-client');
    const text = Buffer.from('just some words, not a picture\n');
    const u = await upload(`/v1/sessions/${id}/files`, alice, 'photo.png', 'image/png', text);
    const sent = await host.call('POST', `/v1/sessions/${id}/messages`, { token: alice, body: { type: 'file', files: [u.__id] } });
    assert.equal(sent.status, 400, JSON.stringify(sent.body));
    assert.match(sent.body.detail, /type/);
    assert.equal(sent.body.errors[0].path, 'files.0');
    // Rejected: refused again at once, never served.
    const again = await host.call('POST', `/v1/sessions/${id}/messages`, { token: alice, body: { type: 'file', files: [u.__id] } });
    assert.equal(again.status, 400);
    assert.match(again.body.detail, /refused/);
    assert.equal((await download(`/v1/files/${u.__id}`, alice)).status, 404);

    // Declared text/plain but named .png: refused before any upload.
    const named = await host.call('POST', `/v1/sessions/${id}/files`, { token: alice, body: { name: 'notes.png', contentType: 'text/plain', size: 10 } });
    assert.equal(named.status, 400);
    // A type off the allow-list: refused before any upload.
    const exe = await host.call('POST', `/v1/sessions/${id}/files`, {
      token: alice,
      body: { name: 'setup.exe', contentType: 'application/x-msdownload', size: 10 },
    });
    assert.equal(exe.status, 400);
    // Plain text as text: accepted.
    const ok = await upload(`/v1/sessions/${id}/files`, alice, 'notes.txt', 'text/plain', text);
    const okSent = await host.call('POST', `/v1/sessions/${id}/messages`, { token: alice, body: { type: 'file', files: [ok.__id] } });
    assert.equal(okSent.status, 201, JSON.stringify(okSent.body));
    const got = await download(`/v1/files/${ok.__id}`, alice);
    assert.ok(got.bytes!.equals(text));
    assert.match(got.disposition ?? '', /^attachment; filename="notes.txt"/);
  });

  it('oversized: more bytes than declared is refused on send; a declared size over the limit (or the line’s) is refused at once', async () => {
    const id = await heldSession('size-client');
    const bytes = png();
    // Declared 10 bytes fewer than it is (S3 refuses the PUT itself; the local server stores it, and the check refuses).
    const r = await host.call('POST', `/v1/sessions/${id}/files`, {
      token: alice,
      body: { name: 'big.png', contentType: 'image/png', size: bytes.length - 10 },
    });
    assert.equal(r.status, 201);
    const put = await fetch(r.body.uploadUrl, { method: 'PUT', headers: r.body.headers, body: bytes });
    if (put.status === 200) {
      const sent = await host.call('POST', `/v1/sessions/${id}/messages`, { token: alice, body: { type: 'file', files: [r.body.__id] } });
      assert.equal(sent.status, 400, JSON.stringify(sent.body));
      assert.match(sent.body.detail, /size/);
      assert.equal((await download(`/v1/files/${r.body.__id}`, alice)).status, 404);
    }
    const huge = await host.call('POST', `/v1/sessions/${id}/files`, {
      token: alice,
      body: { name: 'huge.png', contentType: 'image/png', size: MAX_FILE_SIZE + 1 },
    });
    assert.equal(huge.status, 400);
    assert.equal(huge.body.errors[0].path, 'size');

    // A line's own limit.
    const patched = await host.call('PATCH', `/v1/lines/${w.line.__id}`, { token: w.admin, body: { _maxFileSize: 50 } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    try {
      const overLine = await host.call('POST', `/v1/sessions/${id}/files`, { token: alice, body: { name: 'a.png', contentType: 'image/png', size: 51 } });
      assert.equal(overLine.status, 400);
      assert.match(overLine.body.detail, /limit/);
    } finally {
      await host.call('PATCH', `/v1/lines/${w.line.__id}`, { token: w.admin, body: { _maxFileSize: null } });
    }
    // Not uploaded: 409, try again (the file stays pending).
    const never = await host.call('POST', `/v1/sessions/${id}/files`, { token: alice, body: { name: 'later.png', contentType: 'image/png', size: 100 } });
    const early = await host.call('POST', `/v1/sessions/${id}/messages`, { token: alice, body: { type: 'file', files: [never.body.__id] } });
    assert.equal(early.status, 409);
  });

  it('the visitor uploads and sends a file, sees the operator’s file, and never a note’s', async () => {
    const v = await host.call('POST', '/v1/visitors', { body: { channel: w.channel.__id } });
    const token = v.body.token as string;
    const bytes = png();
    const mine = await upload('/v1/visitors/files', token, 'me.png', 'image/png', bytes);
    const sent = await host.call('POST', '/v1/visitors/messages', { headers: { authorization: `Bearer ${token}` }, body: { files: [mine.__id] } });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    assert.equal(sent.body.message.files[0].id, mine.__id);
    const sessionId = sent.body.session.id as string;

    // Alice takes the session, sees the visitor's file, replies with one and writes a note with another.
    assert.equal((await host.call('POST', `/v1/sessions/${sessionId}/assign`, { token: alice, body: { operator: 'alice' } })).status, 200);
    assert.ok((await download(`/v1/files/${mine.__id}`, alice)).bytes!.equals(bytes));
    const reply = await upload(
      `/v1/sessions/${sessionId}/files`,
      alice,
      'reply.pdf',
      'application/pdf',
      Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n'),
    );
    assert.equal((await host.call('POST', `/v1/sessions/${sessionId}/messages`, { token: alice, body: { type: 'file', files: [reply.__id] } })).status, 201);
    const note = await upload(`/v1/sessions/${sessionId}/files`, alice, 'internal.txt', 'text/plain', Buffer.from('staff only\n'));
    const noted = await host.call('POST', `/v1/sessions/${sessionId}/messages`, {
      token: alice,
      body: { type: 'system', body: 'see attached', files: [note.__id] },
    });
    assert.equal(noted.status, 201, JSON.stringify(noted.body));
    assert.equal(noted.body.attachments[0].state, 'ready');

    const seen = await host.call('GET', '/v1/visitors/messages', { headers: { authorization: `Bearer ${token}` } });
    const files = seen.body.messages.flatMap((m: { files: { id: string }[] }) => m.files.map((f) => f.id));
    assert.deepEqual(files, [mine.__id, reply.__id]);
    const got = await download(`/v1/visitors/files/${reply.__id}`, token);
    assert.equal(got.status, 302);
    assert.match(got.disposition ?? '', /attachment/);
    assert.equal((await download(`/v1/visitors/files/${note.__id}`, token)).status, 404);
    // Another visitor sees none of it.
    const other = await host.call('POST', '/v1/visitors', { body: { channel: w.channel.__id } });
    assert.equal((await download(`/v1/visitors/files/${reply.__id}`, other.body.token)).status, 404);
    // A visitor cannot send another visitor's upload.
    const theirs = await upload('/v1/visitors/files', other.body.token, 'x.png', 'image/png', bytes);
    const stolen = await host.call('POST', '/v1/visitors/messages', { headers: { authorization: `Bearer ${token}` }, body: { files: [theirs.__id] } });
    assert.equal(stolen.status, 400);
  });

  it('a messenger’s inbound photo: stored, checked the same way, written with the message; a disguised one kept as rejected and never served', async () => {
    const integration = { sub: 'integration-1', roles: ['integration' as const], groups: [], channels: [w.channel.__id] };
    const photo = await storeInboundFile({ channel: w.channel.__id, name: 'photo.jpg', contentType: 'image/jpeg', bytes: png() });
    // The messenger's name and type are not what decides: the content is a PNG.
    assert.equal(photo.ref.type, 'image/png');
    assert.equal(photo.ref.state, 'ready');
    const fake = await storeInboundFile({ channel: w.channel.__id, name: 'doc.pdf', bytes: Buffer.from('MZ\u0090\u0000not a pdf at all') });
    assert.equal(fake.ref.state, 'rejected');
    const result = await receiveInbound(integration as never, w.channel.__id, { account: 'tg-photo', body: '', files: [photo, fake] }, () => []);
    assert.equal(result.message.type, 'file');
    assert.deepEqual(
      result.message.attachments.map((f) => [f.name, f.state]),
      [
        ['photo.jpg', 'ready'],
        ['doc.pdf', 'rejected'],
      ],
    );
    const assigned = await host.call('POST', `/v1/sessions/${result.session.__id}/assign`, { token: alice, body: { operator: 'alice' } });
    assert.equal(assigned.status, 200);
    assert.ok((await download(`/v1/files/${photo.ref.id}`, alice)).bytes!.equals(png()));
    assert.equal((await download(`/v1/files/${fake.ref.id}`, alice)).status, 404);
  });

  it('the typed client: createUpload, PUT, sendFiles', async () => {
    const id = await heldSession('client-sdk');
    const lines = createLinesClient({ baseUrl: host.url, token: alice });
    const session = lines.sessions.ref(id);
    const bytes = png(4, 4);
    const upload = await session.createUpload({ name: 'sdk.png', contentType: 'image/png', size: bytes.length });
    assert.equal((await fetch(upload.uploadUrl, { method: 'PUT', headers: upload.headers, body: bytes })).status, 200);
    const message = await session.sendFiles([upload.__id], 'from the SDK');
    assert.equal(message.data.type, 'file');
    assert.equal(message.data.attachments[0]!.state, 'ready');
  });
});
