/**
 * Response templates over HTTP on DynamoDB Local: CRUD and who may do it, unknown variables
 * refused when saved, and the text filled by the server when it is sent — with the names as
 * they are at send time, not when the template was saved.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { checkTemplateText, renderTemplate, templateVariables } from '../../lib/domain/templates/render.ts';
import { type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';

let host: TestHost;
let w: World;
let supervisor: string;
let operator: string;

before(async () => {
  host = await startTestHost();
  w = await world(host);
  supervisor = await host.token({ sub: 'sup-1', roles: ['supervisor'], groups: ['leads'] });
  operator = await w.operator('alice');
});
after(() => host?.close());

const create = (token: string, body: unknown, line = w.line.__id) => host.call('POST', `/v1/lines/${line}/templates`, { token, body });

describe('the template renderer (pure)', () => {
  test('fills the four variables, keeps other text, tolerates spaces inside the braces', () => {
    const text = 'Hi {{client.name}}, {{ operator.name }} of {{line.name}} on {{session.name}}. {not a variable}';
    assert.deepEqual(templateVariables(text), { known: ['client.name', 'operator.name', 'line.name', 'session.name'], unknown: [] });
    assert.equal(
      renderTemplate(text, { 'client.name': 'Ann', 'operator.name': 'Bo', 'line.name': 'Support', 'session.name': 'S1' }),
      'Hi Ann, Bo of Support on S1. {not a variable}',
    );
  });
  test('an unknown variable is refused, named', () => {
    assert.throws(
      () => checkTemplateText('Hi {{clinet.name}} {{x}}', '_text'),
      (e: Error & { errors?: { message: string }[] }) => {
        assert.equal(e.errors?.length, 2);
        assert.match(e.errors![0]!.message, /unknown variable \{\{clinet\.name\}\}/);
        return true;
      },
    );
  });
});

describe('templates over HTTP', () => {
  test('supervisors and admins write, the line’s operators read, others do not see them', async () => {
    const made = await create(supervisor, { __name: 'Greeting', _shortcut: 'hi', _text: 'Hello {{client.name}}!' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.equal(made.body._line, w.line.__id);
    const id = made.body.__id;

    assert.equal((await create(operator, { __name: 'Mine', _shortcut: 'mine', _text: 'x' })).status, 403);
    const list = await host.call('GET', `/v1/lines/${w.line.__id}/templates`, { token: operator });
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.items.map((t: { _shortcut: string }) => t._shortcut),
      ['hi'],
    );
    const stranger = await host.token({ sub: 'op-x', roles: ['operator'], groups: ['elsewhere'] });
    assert.equal((await host.call('GET', `/v1/lines/${w.line.__id}/templates`, { token: stranger })).status, 404);
    assert.equal((await host.call('PATCH', `/v1/templates/${id}`, { token: stranger, body: { __name: 'x' } })).status, 404);

    assert.equal((await host.call('PATCH', `/v1/templates/${id}`, { token: operator, body: { __name: 'x' } })).status, 403);
    const renamed = await host.call('PATCH', `/v1/templates/${id}`, { token: w.admin, body: { __name: 'Welcome', _text: 'Welcome, {{client.name}}' } });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body._text, 'Welcome, {{client.name}}');

    assert.equal((await host.call('DELETE', `/v1/templates/${id}`, { token: operator })).status, 403);
    assert.equal((await host.call('DELETE', `/v1/templates/${id}`, { token: supervisor })).status, 200);
    assert.equal((await host.call('DELETE', `/v1/templates/${id}`, { token: supervisor })).status, 404);
    assert.deepEqual((await host.call('GET', `/v1/lines/${w.line.__id}/templates`, { token: operator })).body.items, []);
  });

  test('plain field names are taken too, and a shortcut is derived from the name when absent', async () => {
    const plain = await create(w.admin, { name: 'Shipping times', text: 'Orders ship in 2 days, {{client.name}}.' });
    assert.equal(plain.status, 201, JSON.stringify(plain.body));
    assert.deepEqual(
      [plain.body.__name, plain.body._shortcut, plain.body._text],
      ['Shipping times', 'shipping-times', 'Orders ship in 2 days, {{client.name}}.'],
    );
    const again = await create(w.admin, { name: 'Shipping times', text: 'again' });
    assert.match(again.body._shortcut, /^shipping-times-[0-9a-f]{6}$/);
    const mixed = await create(w.admin, { name: 'x', __name: 'y', text: 'z' });
    assert.equal(mixed.status, 400);
    assert.equal((await create(w.admin, { name: 'no text' })).status, 400);
    const patched = await host.call('PATCH', `/v1/templates/${plain.body.__id}`, { token: w.admin, body: { text: 'Two days.' } });
    assert.equal(patched.body._text, 'Two days.');
    for (const t of [plain, again]) assert.equal((await host.call('DELETE', `/v1/templates/${t.body.__id}`, { token: w.admin })).status, 200);
  });

  test('an unknown variable, a bad shortcut or a taken shortcut is a 4xx that writes nothing', async () => {
    const unknown = await create(w.admin, { __name: 'Typo', _shortcut: 'typo', _text: 'Hi {{clinet.name}}' });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.detail, /unknown variable \{\{clinet\.name\}\}/);
    assert.equal(unknown.body.errors[0].path, '_text');
    const bad = await create(w.admin, { __name: 'Bad', _shortcut: 'Has Space', _text: 'x' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].path, '_shortcut');
    const first = await create(w.admin, { __name: 'One', _shortcut: 'dup', _text: 'one' });
    assert.equal(first.status, 201);
    assert.equal((await create(w.admin, { __name: 'Two', _shortcut: 'dup', _text: 'two' })).status, 409);
    const patched = await host.call('PATCH', `/v1/templates/${first.body.__id}`, { token: w.admin, body: { _text: '{{operator.nickname}}' } });
    assert.equal(patched.status, 400);
    const list = await host.call('GET', `/v1/lines/${w.line.__id}/templates`, { token: w.admin });
    assert.deepEqual(
      list.body.items.filter((t: { _shortcut: string }) => t._shortcut === 'dup').map((t: { _text: string }) => t._text),
      ['one'],
    );
  });

  test('sent by id: filled at send time (a client renamed after the template was saved) and only on its own line', async () => {
    const made = await create(supervisor, {
      __name: 'Full',
      _shortcut: 'full',
      _text: 'Dear {{client.name}}, this is {{operator.name}} from {{line.name}} ({{session.name}}).',
    });
    assert.equal(made.status, 201);
    const { session } = await w.openSession('tpl-account', 'hello');
    const named = await host.token({ sub: 'bea', roles: ['operator'], groups: ['support'], name: 'Bea Smith' } as never);
    assert.equal((await host.call('PUT', '/v1/operators/me/status', { token: named, body: { status: 'online' } })).status, 200);
    assert.equal((await host.call('POST', `/v1/sessions/${session.__id}/assign`, { token: named, body: { operator: 'bea' } })).status, 200);
    assert.equal((await host.call('PATCH', `/v1/sessions/${session.__id}`, { token: named, body: { __name: 'Billing question' } })).status, 200);

    const sent = await host.call('POST', `/v1/sessions/${session.__id}/messages`, { token: named, body: { template: made.body.__id } });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    assert.equal(sent.body.type, 'text');
    assert.equal(sent.body.body, 'Dear tpl-account, this is Bea Smith from Support (Billing question).');

    // The client renamed after the template was saved (and sent once): the next send names it anew.
    const client = (await host.call('GET', `/v1/sessions/${session.__id}`, { token: w.admin })).body._clients[0];
    assert.equal((await host.call('PATCH', `/v1/clients/${client}`, { token: named, body: { __name: 'Ann Lee' } })).status, 200);
    const renamed = await host.call('POST', `/v1/sessions/${session.__id}/messages`, { token: named, body: { template: made.body.__id } });
    assert.equal(renamed.body.body, 'Dear Ann Lee, this is Bea Smith from Support (Billing question).');

    // The line renamed after the template was saved: the next send says the new name.
    assert.equal((await host.call('PATCH', `/v1/lines/${w.line.__id}`, { token: w.admin, body: { __name: 'Help Desk' } })).status, 200);
    // (the line is cached per instance for a short while: wait for the new name to show)
    let again: string | undefined;
    for (let i = 0; i < 100 && !again?.includes('Help Desk'); i++) {
      const r = await host.call('POST', `/v1/sessions/${session.__id}/messages`, { token: named, body: { template: made.body.__id } });
      assert.equal(r.status, 201);
      again = r.body.body;
      if (!again?.includes('Help Desk')) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(again, 'Dear Ann Lee, this is Bea Smith from Help Desk (Billing question).');

    // A template of another line: 404, nothing sent.
    const other = await host.call('POST', '/v1/lines', { token: w.admin, body: { __name: 'Other', _operatorGroups: ['support'] } });
    const foreign = await create(w.admin, { __name: 'Foreign', _shortcut: 'foreign', _text: 'nope' }, other.body.__id);
    assert.equal(foreign.status, 201);
    const before = (await host.call('GET', `/v1/sessions/${session.__id}/messages?size=1000`, { token: w.admin })).body.length;
    const refused = await host.call('POST', `/v1/sessions/${session.__id}/messages`, { token: named, body: { template: foreign.body.__id } });
    assert.equal(refused.status, 404);
    const missing = await host.call('POST', `/v1/sessions/${session.__id}/messages`, {
      token: named,
      body: { template: '00000000-0000-4000-8000-000000000000' },
    });
    assert.equal(missing.status, 404);
    assert.equal((await host.call('GET', `/v1/sessions/${session.__id}/messages?size=1000`, { token: w.admin })).body.length, before);
    // A template and a body at once: 400.
    const both = await host.call('POST', `/v1/sessions/${session.__id}/messages`, { token: named, body: { template: made.body.__id, body: 'x' } });
    assert.equal(both.status, 400);
  });
});
