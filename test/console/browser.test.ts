/**
 * The console and the widget in a real browser: Debian's Chromium driven by playwright-core against a test host
 * that serves the built console. A visitor writes in the widget → the operator sees it arrive
 * live, takes it, replies (and adds a staff note) → the visitor sees the reply (never the
 * note); a refusal shows the problem's detail; a supervisor sees the queue and the plots.
 * Screenshots: test/console/screenshots/ (git-ignored).
 *
 * Skipped (with a message) only when Chromium is absent and not in CI; in CI a missing Chromium
 * fails (`.ci/run` installs it).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { aggregateMetrics } from '../../lib/app/metrics/aggregate.ts';
import { browserSkip, devSignIn, launchChromium, prepareConsole, screenshots } from '../support/browser.ts';
import { startTestHost, type TestHost } from '../support/host.ts';

const skip = browserSkip;
const shots = screenshots;

let host: TestHost;
let browser: Browser;
let admin: string;
let line: { __id: string };
let channel: { __id: string };

describe('the console in Chromium', { skip }, () => {
  before(async () => {
    prepareConsole();
    host = await startTestHost({ events: true });
    admin = await host.token({ sub: 'admin-1', roles: ['admin'] });
    line = (await host.call('POST', '/v1/lines', { token: admin, body: { __name: 'Web shop', _operatorGroups: ['support'], _supervisorGroups: ['leads'] } }))
      .body;
    channel = (await host.call('POST', '/v1/channels', { token: admin, body: { _line: line.__id, _type: 'livechat', __name: 'Shop site' } })).body;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await host?.close();
  });

  it('a visitor writes in the widget; the operator sees it live, takes it, replies; the visitor sees the reply', { timeout: 120_000 }, async () => {
    const visitor = await (await browser.newContext({ viewport: { width: 900, height: 700 } })).newPage();
    const operator = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();

    // The operator signs in (development sign-in) and goes online.
    await devSignIn(operator, host.url, { sub: 'alice', roles: ['operator'], groups: 'support', screenshot: join(shots, '0-sign-in.png') });
    await operator.getByRole('button', { name: /go online/ }).click();
    await operator.getByRole('status').filter({ hasText: 'You are online.' }).waitFor();
    await operator.getByText('Nobody is waiting.').waitFor();

    // A visitor on a site that embeds the widget writes.
    await visitor.goto(`${host.url}/demo.html?channel=${channel.__id}`);
    const textbox = visitor.getByLabel('Your message');
    await textbox.fill('Hello, where is my order #1234?');
    await textbox.press('Enter');
    await visitor.getByText('You are number 1 in the queue.').waitFor({ timeout: 15_000 });
    await visitor.screenshot({ path: join(shots, '1-visitor-waiting.png') });

    // It arrives in the operator's queue without a reload.
    const queued = operator.getByRole('list', { name: 'Queue' }).getByRole('link');
    await queued.first().waitFor({ timeout: 15_000 });
    await operator.getByRole('heading', { name: 'Web shop (1)' }).waitFor();
    await operator.screenshot({ path: join(shots, '1b-operator-queue.png') });
    await queued.first().click();
    const log = operator.getByRole('log', { name: 'Conversation' });
    await log.getByText('Hello, where is my order #1234?').waitFor();
    await operator.getByRole('button', { name: 'Take', exact: true }).click();
    await operator.locator('.session-head').getByText('With an operator').waitFor();
    await operator.getByRole('list', { name: 'My sessions' }).getByRole('link').first().waitFor();

    // A staff note and a reply look different; the history shows the take.
    await operator.getByLabel('Message', { exact: true }).fill('VIP customer — check the express queue');
    await operator.getByRole('button', { name: 'Add note (staff only)' }).click();
    await log.locator('[data-kind=note]').getByText('VIP customer').waitFor();
    await operator.getByLabel('Message', { exact: true }).fill('Hi! Your order ships today.');
    await operator.getByRole('button', { name: 'Send reply' }).click();
    await log.locator('[data-kind=reply]').getByText('Your order ships today').waitFor();
    assert.ok((await log.locator('[data-kind=history]').count()) >= 2, 'history entries (created, taken)');

    // A refusal is shown as the problem's detail: bob has never been online (409).
    assert.equal(await operator.getByRole('button', { name: 'Take', exact: true }).count(), 0, 'no Take on a session one holds');
    await operator.getByLabel('Transfer to operator (id)').fill('bob');
    await operator.getByRole('button', { name: 'Transfer', exact: true }).click();
    const alert = operator.locator('.main-col [role=alert]');
    await alert.filter({ hasText: /bob/ }).waitFor();
    const detail = (await alert.textContent()) ?? '';
    await operator.screenshot({ path: join(shots, '2-operator-session.png'), fullPage: true });
    const direct = await host.call('POST', `/v1/sessions/${/#\/s\/([0-9a-f-]{36})/.exec(operator.url())![1]}/assign`, {
      token: await host.token({ sub: 'alice', roles: ['operator'], groups: ['support'] }),
      body: { operator: 'bob' },
    });
    assert.equal(direct.status, 409);
    assert.equal(detail, direct.body.detail, 'the page shows the problem detail as the API gives it');

    // The visitor sees the reply live, and never the note.
    const widgetLog = visitor.getByRole('log', { name: 'Messages' });
    await widgetLog.getByText('Hi! Your order ships today.').waitFor({ timeout: 15_000 });
    assert.equal(await widgetLog.getByText('VIP customer').count(), 0, 'a staff note reached the visitor');
    assert.equal(await visitor.locator('p.status').textContent(), '', 'no queue position once taken');
    await visitor.screenshot({ path: join(shots, '3-visitor-reply.png') });

    // Keyboard: the widget closes with Escape and opens again from its launcher.
    await textbox.focus();
    await visitor.keyboard.press('Escape');
    assert.equal(await visitor.getByRole('button', { name: 'Chat with us' }).getAttribute('aria-expanded'), 'false');

    // The operator closes the session (figures for the dashboard).
    await operator.getByRole('button', { name: 'Close', exact: true }).click();
    await operator.locator('.session-head').getByText('Closed').waitFor();
  });

  it('a supervisor sees the queue, the load and plots of the metrics', { timeout: 120_000 }, async () => {
    // Someone else waits (through the same visitor routes), and the metrics are aggregated.
    const v = (await host.call('POST', '/v1/visitors', { body: { channel: channel.__id } })).body;
    assert.equal((await host.call('POST', '/v1/visitors/messages', { token: v.token, body: { body: 'Is anyone there?' } })).status, 201);
    // …and alice (online since the first test) holds another one: the load table shows her.
    const v2 = (await host.call('POST', '/v1/visitors', { body: { channel: channel.__id } })).body;
    const held = (await host.call('POST', '/v1/visitors/messages', { token: v2.token, body: { body: 'Hi again' } })).body.session.id;
    const alice = await host.token({ sub: 'alice', roles: ['operator'], groups: ['support'] });
    assert.equal((await host.call('POST', `/v1/sessions/${held}/assign`, { token: alice, body: { operator: 'alice' } })).status, 200);
    await aggregateMetrics();

    const page = await (await browser.newContext({ viewport: { width: 1280, height: 1100 } })).newPage();
    await devSignIn(page, host.url, { sub: 'sup-1', roles: ['supervisor'], groups: 'leads' });
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByRole('heading', { name: 'Web shop' }).waitFor();
    await page.locator('[data-stat=queue]').filter({ hasText: /^1$/ }).waitFor({ timeout: 15_000 });
    await page.getByRole('table').getByRole('rowheader', { name: 'alice' }).waitFor();
    // Who is online (GET /v1/lines/{id}/operators): alice, online since the first test.
    await page
      .locator('[data-stat=online]')
      .filter({ hasText: /^[1-9]\d*$/ })
      .waitFor({ timeout: 15_000 });
    assert.equal(await page.getByRole('row', { name: /alice/ }).getByRole('cell', { name: 'online' }).count(), 1);
    // The line has no SLA policy: no breaches to count today.
    assert.equal(await page.locator('[data-stat=sla-breaches]').textContent(), '—');
    for (const metric of ['responseTime', 'firstResponseTime', 'sessionDuration', 'processedSessions', 'queueWait', 'botAnswerShare', 'waitingTime']) {
      await page.locator(`figure[data-metric=${metric}] canvas`).waitFor();
    }
    const caption = await page.locator('figure[data-metric=processedSessions] figcaption').textContent();
    assert.match(caption ?? '', /latest 1\b/, `processed sessions today: ${caption}`);
    await page.getByLabel('Plots by').selectOption('week');
    await page.locator('figure[data-metric=responseTime] canvas').waitFor();
    await page.screenshot({ path: join(shots, '4-supervisor-dashboard.png'), fullPage: true });
  });

  it('`/` in the composer offers the line’s templates; one is sent filled; a transfer’s comment is a highlighted note', { timeout: 120_000 }, async () => {
    const supervisor = await host.token({ sub: 'sup-1', roles: ['supervisor'], groups: ['leads'] });
    for (const [shortcut, name, text] of [
      ['greet', 'Greeting', 'Hello {{client.name}}, this is {{operator.name}} from {{line.name}}.'],
      ['ship', 'Shipping times', 'Orders ship within 2 days.'],
    ]) {
      const made = await host.call('POST', `/v1/lines/${line.__id}/templates`, { token: supervisor, body: { __name: name, _shortcut: shortcut, _text: text } });
      assert.equal(made.status, 201, JSON.stringify(made.body));
    }
    // A visitor's session, taken by carol through the API; then carol works in the console.
    const v = (await host.call('POST', '/v1/visitors', { body: { channel: channel.__id } })).body;
    const id = (await host.call('POST', '/v1/visitors/messages', { token: v.token, body: { body: 'Do you ship abroad?' } })).body.session.id;
    const carolToken = await host.token({ sub: 'carol', roles: ['operator'], groups: ['support'] });
    assert.equal((await host.call('PUT', '/v1/operators/me/status', { token: carolToken, body: { status: 'online' } })).status, 200);
    assert.equal((await host.call('POST', `/v1/sessions/${id}/assign`, { token: carolToken, body: { operator: 'carol' } })).status, 200);

    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await devSignIn(page, host.url, { sub: 'carol', roles: ['operator'], groups: 'support' });
    await page.goto(`${host.url}/#/s/${id}`);
    const log = page.getByRole('log', { name: 'Conversation' });
    await log.getByText('Do you ship abroad?').waitFor();

    const composer = page.getByLabel('Message', { exact: true });
    await composer.fill('');
    await composer.pressSequentially('/');
    const picker = page.getByRole('listbox', { name: 'Templates' });
    await picker.getByRole('option').nth(1).waitFor();
    assert.deepEqual(await picker.getByRole('option').locator('strong').allTextContents(), ['/greet', '/ship']);
    await composer.pressSequentially('gr');
    await page.getByRole('option', { name: /greet/ }).waitFor();
    assert.equal(await picker.getByRole('option').count(), 1);
    await page.screenshot({ path: join(shots, '5-template-picker.png'), fullPage: true });
    await composer.press('Enter');
    assert.equal(await composer.inputValue(), 'Hello {{client.name}}, this is {{operator.name}} from {{line.name}}.');
    assert.equal(await picker.isHidden(), true);
    await page.getByRole('button', { name: 'Send reply' }).click();
    const sent = log.locator('[data-kind=reply]').filter({ hasText: 'this is carol from Web shop.' });
    await sent.waitFor();
    assert.doesNotMatch((await sent.textContent()) ?? '', /\{\{/, 'filled by the server');

    // A transfer with a comment: the next operator reads why, highlighted right under the transfer.
    await page.getByLabel('Transfer comment (staff only)').fill('Asks about shipping to Norway; template sent.');
    await page.getByLabel('Transfer to group').selectOption('support');
    await page.getByRole('button', { name: 'Send to group' }).click();
    const note = log.locator('[data-kind=transfer-note]');
    await note.getByText('Asks about shipping to Norway').waitFor();
    assert.match((await note.locator('.tag').textContent()) ?? '', /Transfer note from carol/);
    assert.equal(await note.evaluate((el) => el.previousElementSibling?.getAttribute('data-kind')), 'history');
    await page.screenshot({ path: join(shots, '6-transfer-note.png'), fullPage: true });
  });
});
