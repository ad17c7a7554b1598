/**
 * Metrics over the API: random histories played through the real routes (inbound messages,
 * assign / reassign / bot / replies / spam / unspam / close), aggregated with the same
 * function the scheduler calls, then compared with a brute-force computation over the raw
 * messages; `GET /v1/metrics` answers from the rollups only, and shows each caller what
 * docs/metrics.md says it may see.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { handler as aggregate } from '../../functions/schedule/aggregate-metrics.ts';
import { resetUsage, usage } from '../../infra/local/dynamodb-calls.ts';
import { aggregateMetrics } from '../../lib/app/metrics/aggregate.ts';
import { type Cells, countField, dimensionId, sumField } from '../../lib/domain/metrics/definitions.ts';
import { type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';
import { GROUPS, type History, historyArb, OPERATORS } from './simulate.ts';
import { assertSameFigures, bruteForce, storedRollups } from './support.ts';

let host: TestHost;
let w: World;
const tokens: Record<string, string> = {};
let supervisor: string;
let account = 0;

before(async () => {
  host = await startTestHost();
  w = await world(host, { lineBody: { _operatorGroups: [...GROUPS] } });
  for (const [i, sub] of OPERATORS.entries()) tokens[sub] = await w.operator(sub, { groups: [GROUPS[i % GROUPS.length]!] });
  tokens['bot-1'] = await host.token({ sub: 'bot-1', roles: ['bot'] });
  supervisor = await host.token({ sub: 'sue', roles: ['supervisor'], groups: ['leads'] });
});
after(() => host.close());

interface Current {
  __id: string;
  _state: string;
  _userId: string | null;
}

/** Plays one history through the API; refused commands (409/403) are part of the game. */
async function play(h: History): Promise<string> {
  const who = `client-${++account}`;
  const inbound = async () => {
    const r = await host.call('POST', `/v1/channels/${w.channel.__id}/inbound`, { token: w.integration, body: { account: who, body: 'hi' } });
    assert.ok(r.status === 200 || r.status === 201, `inbound ${r.status}`);
    return r.body.session as Current;
  };
  let s = await inbound();
  const cmd = async (method: string, path: string, token: string, body?: unknown) => {
    const r = await host.call(method, `/v1/sessions/${s.__id}${path}`, { token, ...(body ? { body } : {}) });
    assert.ok([200, 201, 403, 409].includes(r.status), `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    if (r.status === 200 && r.body?.__id === s.__id) s = r.body as Current;
  };
  const assignee = () => (s._state === 'AssignedToBot' ? tokens['bot-1']! : s._userId ? tokens[s._userId] : undefined);
  for (const step of h.steps) {
    switch (step.op) {
      case 'client':
        s = await inbound();
        break;
      case 'reply': {
        const token = assignee();
        if (token) await cmd('POST', '/messages', token, { type: 'text', body: 'answer' });
        break;
      }
      case 'assignOperator':
        await cmd('POST', '/assign', w.admin, { operator: OPERATORS[step.who % OPERATORS.length] });
        break;
      case 'assignGroup':
        await cmd('POST', '/assign', w.admin, { group: GROUPS[step.who % GROUPS.length] });
        break;
      case 'assignBot':
        await cmd('POST', '/assign', w.admin, { bot: true });
        break;
      case 'close': {
        const token = assignee();
        if (token) await cmd('POST', '/close', token);
        break;
      }
      case 'spam':
        await cmd('PUT', '/spam', w.admin);
        break;
      case 'unspam':
        await cmd('DELETE', '/spam', w.admin);
        break;
    }
  }
  return s.__id;
}

const today = () => new Date().toISOString().slice(0, 10);
const metricsOf = async (token: string, query: string) => host.call('GET', `/v1/metrics?line=${w.line.__id}&${query}`, { token });

describe('metrics through the API', () => {
  it('random histories played through the API, aggregated, equal brute force for every metric, dimension and period', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(historyArb, { minLength: 1, maxLength: 3 }), async (histories) => {
        for (const h of histories) await play(h);
        await aggregate();
        assertSameFigures(await storedRollups(host.endpoint, host.tableName), await bruteForce(host.endpoint, host.tableName));
      }),
      { numRuns: 6 },
    );
    const again = await aggregateMetrics({ since: new Date(Date.now() - 3_600_000) });
    assert.equal(again.transactions, 0, 'a repeated run changes nothing');
  });

  it("GET /v1/metrics returns the rollups' figures for each series, read by key only", async () => {
    await aggregate();
    const expected: Cells = await bruteForce(host.endpoint, host.tableName);
    const day = today();
    for (const [query, dim] of [
      ['', dimensionId('line', 'all')],
      [`channel=${w.channel.__id}`, dimensionId('channel', w.channel.__id)],
      ['group=vip', dimensionId('group', 'vip')],
      ['operator=alice', dimensionId('operator', 'alice')],
    ] as const) {
      resetUsage();
      const r = await metricsOf(supervisor, `${query}&from=${day}&to=${day}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.ok(usage.calls <= 4, `a metrics request costs a few reads (${usage.calls})`);
      const cell = expected[`${w.line.__id}|${dim}|day#${day}`] ?? {};
      for (const m of r.body.metrics) {
        if (m.type === 'sessionsByState') {
          const live = expected[`${w.line.__id}|${dim}|live#now`] ?? {};
          for (const [state, n] of Object.entries(m.states)) assert.equal(n, live[`live_${state}`] ?? 0, `${dim} ${state}`);
          continue;
        }
        const [point] = m.series;
        assert.equal(point.period, day);
        assert.equal(point.sum, cell[sumField(m.type)] ?? 0, `${dim} ${m.type} sum`);
        assert.equal(point.count, cell[countField(m.type)] ?? 0, `${dim} ${m.type} count`);
      }
    }
  });

  it('a known history: counts and the bot share by hand', async () => {
    const before = await metricsOf(supervisor, `type=processedSessions&from=${today()}&to=${today()}`);
    const processedBefore = before.body.metrics[0].series[0].value as number;
    const shareBefore = (await metricsOf(supervisor, `type=botAnswerShare&from=${today()}&to=${today()}`)).body.metrics[0].series[0];
    // One session: bot answers twice, alice takes it, answers once, closes.
    await play({
      start: 0,
      channel: 0,
      steps: [
        { op: 'assignBot', gap: 0 },
        { op: 'reply', gap: 0 },
        { op: 'reply', gap: 0 },
        { op: 'assignOperator', who: 0, gap: 0 },
        { op: 'reply', gap: 0 },
        { op: 'close', gap: 0 },
      ],
    });
    await aggregate();
    const after = await metricsOf(supervisor, `type=processedSessions&from=${today()}&to=${today()}`);
    assert.equal(after.body.metrics[0].series[0].value, processedBefore + 1);
    const share = (await metricsOf(supervisor, `type=botAnswerShare&from=${today()}&to=${today()}`)).body.metrics[0].series[0];
    assert.equal(share.sum, shareBefore.sum + 2);
    assert.equal(share.count, shareBefore.count + 3);
    assert.equal(share.value, share.sum / share.count);
  });

  it('spam removes a session from the figures and unmarking restores it', async () => {
    const read = async () => (await metricsOf(supervisor, `type=responseTime&from=${today()}&to=${today()}`)).body.metrics[0].series[0];
    const id = await play({
      start: 0,
      channel: 0,
      steps: [
        { op: 'assignOperator', who: 1, gap: 0 },
        { op: 'reply', gap: 0 },
      ],
    });
    await aggregate();
    const withIt = await read();
    assert.equal((await host.call('PUT', `/v1/sessions/${id}/spam`, { token: w.admin })).status, 200);
    await aggregate();
    const spam = await read();
    assert.equal(spam.count, withIt.count - 1, 'its one response sample left the figures');
    assert.equal((await host.call('DELETE', `/v1/sessions/${id}/spam`, { token: w.admin })).status, 200);
    await aggregate();
    assert.deepEqual(await read(), withIt);
  });

  it('who sees what: supervisors their lines, operators their own figures, bad parameters named', async () => {
    assert.equal((await metricsOf(tokens.alice!, 'type=responseTime')).body.dimension.value, 'alice', 'an operator defaults to their own');
    assert.equal((await metricsOf(tokens.alice!, 'operator=alice')).status, 200);
    assert.equal((await metricsOf(tokens.alice!, 'operator=bob')).status, 403);
    assert.equal((await metricsOf(tokens.alice!, 'group=support')).status, 403);
    assert.equal((await metricsOf(tokens['bot-1']!, '')).status, 403);
    const stranger = await host.token({ sub: 'x', roles: ['supervisor'], groups: ['elsewhere'] });
    assert.equal((await metricsOf(stranger, '')).status, 404, "another line's supervisor does not see this line");
    const bad = await metricsOf(supervisor, 'granularity=year&type=nope&color=red');
    assert.equal(bad.status, 400);
    const paths = bad.body.errors.map((e: { path: string }) => e.path).sort();
    assert.deepEqual(paths, ['query.color', 'query.granularity', 'query.type']);
    const two = await metricsOf(supervisor, 'group=vip&operator=alice');
    assert.equal(two.status, 400);
    assert.equal(two.body.errors[0].path, 'query.operator');
    const missing = await host.call('GET', '/v1/metrics', { token: supervisor });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.errors[0].path, 'query.line');
    assert.equal((await metricsOf(supervisor, 'from=2025-02-01&to=2025-01-01')).status, 400);
    assert.equal((await metricsOf(supervisor, 'from=1990-01-01&to=2025-01-01')).status, 400, 'too many periods');
  });
});
