/**
 * The client's own behaviour, over a scripted `fetch` (the local host cannot be made to answer
 * 429 or 503 on demand, so these use a stand-in fetch that records each request and plays back
 * answers; everything else is tested against the real host in seed-examples.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChatlinesApiError, createLinesClient, LineChannelType, LineSessionState } from '../../lib/client/index.ts';

interface Recorded {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: unknown;
}

function scripted(answers: (Response | Error)[]) {
  const requests: Recorded[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    requests.push({
      method: init?.method ?? 'GET',
      url: new URL(String(input)),
      headers,
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
    });
    const next = answers.shift();
    if (!next) throw new Error('no more scripted answers');
    if (next instanceof Error) throw next;
    return next;
  };
  return { fetch, requests };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers },
  });
const problem = (status: number, title: string, detail: string, errors?: unknown) =>
  json(status, { type: `https://chatlines.dev/problems/x`, title, status, detail, ...(errors ? { errors } : {}) });

const session = (id: string, state = 'Waiting') => ({ __id: id, _state: state, _apps: [], _clients: [] });

describe('search requests', () => {
  it('sends the seed filter as the contract JSON, with from, size and sort', async () => {
    const { fetch, requests } = scripted([json(200, { items: [session('s1'), session('s2')] })]);
    const lines = createLinesClient({ baseUrl: 'http://api.test/', token: 'tok', fetch });
    const found = await lines.sessions
      .search()
      .where((f, g) => g.and(f.__deletedAt.eq(null), f._state.neq(LineSessionState.Closed)))
      .from(20)
      .size(5)
      .sort('__createdAt', false)
      .all();
    assert.deepEqual(
      found.map((s) => s.id),
      ['s1', 's2'],
    );
    const [r] = requests;
    assert.equal(r!.method, 'POST');
    assert.equal(r!.url.href, 'http://api.test/v1/sessions/search');
    assert.equal(r!.headers.authorization, 'Bearer tok');
    assert.equal(r!.headers['idempotency-key'], undefined, 'a search changes nothing: no Idempotency-Key');
    assert.deepEqual(r!.body, {
      where: { and: [{ eq: ['__deletedAt', null] }, { neq: ['_state', 'Closed'] }] },
      from: 20,
      size: 5,
      sort: [{ field: '__createdAt', ascending: false }],
    });
  });

  it('sends ids for items and refs, ISO strings for dates, { code, id } for app links', async () => {
    const lines = createLinesClient({ baseUrl: 'http://api.test', token: 't', fetch: scripted([]).fetch });
    const channel = lines.channels.ref('ch-1');
    const client = lines.clients.ref('cl-1');
    const body = lines.sessions
      .search()
      .where((f, g) =>
        g.or(
          f._channel.eq(channel),
          f._clients.all([client, 'cl-2']),
          g.not(f.__createdAt.lt(new Date('2025-01-02T03:04:05Z'))),
          f._apps.eq({ code: 'leads', id: 'L1' }),
        ),
      )
      .toJSON();
    assert.deepEqual(body.where, {
      or: [
        { eq: ['_channel', 'ch-1'] },
        { all: ['_clients', ['cl-1', 'cl-2']] },
        { not: { lt: ['__createdAt', '2025-01-02T03:04:05.000Z'] } },
        { eq: ['_apps', { code: 'leads', id: 'L1' }] },
      ],
    });
    const types = lines.channels
      .search()
      .where((f) => f._type.in([LineChannelType.inbox, LineChannelType.telegramBot]))
      .toJSON();
    assert.deepEqual(types.where, { in: ['_type', ['inbox', 'telegramBot']] });
  });

  it('first() asks for one item and throws a 404 ChatlinesApiError when none matches', async () => {
    const { fetch, requests } = scripted([json(200, { items: [] }), json(200, { items: [] })]);
    const lines = createLinesClient({ baseUrl: 'http://api.test', token: 't', fetch });
    await assert.rejects(
      lines.lines
        .search()
        .where((f) => f.__name.eq('nope'))
        .first(),
      (e: unknown) => e instanceof ChatlinesApiError && e.status === 404,
    );
    assert.equal((requests[0]!.body as { size: number }).size, 1);
    assert.equal(await lines.lines.search().firstOrUndefined(), undefined);
  });

  it('count() asks for the total only', async () => {
    const { fetch, requests } = scripted([json(200, { items: [], total: 42 })]);
    const lines = createLinesClient({ baseUrl: 'http://api.test', token: 't', fetch });
    assert.equal(await lines.channels.search().from(5).count(), 42);
    assert.deepEqual(requests[0]!.body, { from: 0, size: 0, count: true });
  });
});

describe('failures, retries and idempotency', () => {
  it('retries a mutating call on 503 and 429 with the same Idempotency-Key', async () => {
    const { fetch, requests } = scripted([
      problem(503, 'Service unavailable', 'db down'),
      problem(429, 'Too many requests', 'slow down'),
      json(200, session('s1', 'Closed')),
    ]);
    const lines = createLinesClient({ baseUrl: 'http://api.test', token: 't', fetch, retryDelayMs: 1 });
    await lines.sessions.ref('s1').close();
    assert.equal(requests.length, 3);
    const keys = requests.map((r) => r.headers['idempotency-key']);
    assert.match(keys[0]!, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(new Set(keys).size, 1, 'one key across the retries');
  });

  it('uses a new Idempotency-Key for each logical call', async () => {
    const { fetch, requests } = scripted([json(200, session('s1')), json(200, session('s1'))]);
    const lines = createLinesClient({ baseUrl: 'http://api.test', token: 't', fetch });
    await lines.sessions.ref('s1').markAsSpam();
    await lines.sessions.ref('s1').unmarkAsSpam();
    assert.notEqual(requests[0]!.headers['idempotency-key'], requests[1]!.headers['idempotency-key']);
    assert.deepEqual(
      requests.map((r) => `${r.method} ${r.url.pathname}`),
      ['PUT /v1/sessions/s1/spam', 'DELETE /v1/sessions/s1/spam'],
    );
  });

  it('retries a network failure, then gives up with status 0', async () => {
    const { fetch, requests } = scripted([new TypeError('fetch failed'), new TypeError('fetch failed')]);
    const lines = createLinesClient({ baseUrl: 'http://api.test', token: 't', fetch, retries: 1, retryDelayMs: 1 });
    await assert.rejects(lines.sessions.ref('s1').fetch(), (e: unknown) => e instanceof ChatlinesApiError && e.status === 0);
    assert.equal(requests.length, 2);
  });

  it('gives up after the retries with the last problem', async () => {
    const { fetch, requests } = scripted([problem(503, 'Service unavailable', 'a'), problem(503, 'Service unavailable', 'b')]);
    const lines = createLinesClient({ baseUrl: 'http://api.test', token: 't', fetch, retries: 1, retryDelayMs: 1 });
    await assert.rejects(lines.sessions.ref('s1').fetch(), (e: unknown) => e instanceof ChatlinesApiError && e.status === 503 && e.detail === 'b');
    assert.equal(requests.length, 2);
  });

  it('does not retry a 400 and carries the problem details and invalid fields', async () => {
    const { fetch, requests } = scripted([
      json(
        400,
        { type: 't', title: 'Invalid request', status: 400, detail: 'bad', errors: [{ path: 'priority', message: 'invalid' }] },
        { 'x-request-id': 'req-1' },
      ),
    ]);
    const lines = createLinesClient({ baseUrl: 'http://api.test', token: () => 'fresh', fetch });
    const error = await lines.sessions
      .ref('s1')
      .setPriority()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(error instanceof ChatlinesApiError);
    assert.equal(error.status, 400);
    assert.equal(error.title, 'Invalid request');
    assert.deepEqual(error.errors, [{ path: 'priority', message: 'invalid' }]);
    assert.equal(error.requestId, 'req-1');
    assert.equal(requests.length, 1);
    assert.equal(requests[0]!.headers.authorization, 'Bearer fresh');
    assert.deepEqual(requests[0]!.body, { priority: null });
  });

  it('waits at least Retry-After (capped) before retrying', async () => {
    const { fetch } = scripted([problem(429, 'Too many requests', 'x'), json(200, session('s1'))]);
    const lines = createLinesClient({ baseUrl: 'http://api.test', token: 't', fetch, retryDelayMs: 1, maxRetryDelayMs: 150 });
    const started = Date.now();
    // The scripted 429 has no Retry-After: only the tiny backoff applies.
    await lines.sessions.ref('s1').fetch();
    assert.ok(Date.now() - started < 100);
    const again = scripted([json(429, { type: 't', title: 'Too many requests', status: 429, detail: 'x' }, { 'retry-after': '1' }), json(200, session('s1'))]);
    const capped = createLinesClient({ baseUrl: 'http://api.test', token: 't', fetch: again.fetch, retryDelayMs: 1, maxRetryDelayMs: 150 });
    const t0 = Date.now();
    await capped.sessions.ref('s1').fetch();
    const waited = Date.now() - t0;
    assert.ok(waited >= 140 && waited < 900, `waited ${waited} ms`);
  });
});

describe('items', () => {
  it('save() sends only the editable fields, without duplicates; normalize() dedupes', async () => {
    const data = { ...session('s1'), __name: 'n', _apps: [{ code: 'leads', id: '1' }], _clients: ['c1'] };
    const { fetch, requests } = scripted([json(200, { items: [data] }), json(200, { ...data, __name: 'new' })]);
    const lines = createLinesClient({ baseUrl: 'http://api.test', token: 't', fetch });
    const s = await lines.sessions.search().first();
    s.data.__name = 'new';
    s.data._apps.push({ code: 'leads', id: '1' }, { code: 'leads', id: '2', namespace: 'crm' } as { code: string; id: string });
    s.data._clients.push('c1');
    s.normalize();
    assert.deepEqual(s.data._clients, ['c1']);
    await s.save();
    assert.equal(requests[1]!.method, 'PATCH');
    assert.deepEqual(requests[1]!.body, {
      __name: 'new',
      _apps: [
        { code: 'leads', id: '1' },
        { code: 'leads', id: '2' },
      ],
    });
    assert.equal(s.data.__name, 'new');
  });

  it('assign commands send the contract bodies', async () => {
    const { fetch, requests } = scripted([json(200, session('s1')), json(200, session('s1')), json(200, session('s1'))]);
    const lines = createLinesClient({ baseUrl: 'http://api.test', token: 't', fetch });
    const ref = lines.sessions.ref('s1');
    await ref.assignToOperator({ id: 'alice' });
    await ref.assignToOperatorGroup('support');
    await ref.assignToBot(true);
    assert.deepEqual(
      requests.map((r) => r.body),
      [{ operator: 'alice' }, { group: 'support' }, { bot: true, silent: true }],
    );
  });
});
