/**
 * The widget's business hours and satisfaction survey in a real browser (Debian's Chromium,
 * playwright-core, the built console on the test host): a closed line says when it opens and
 * answers with its offline reply; after the close the visitor rates with the stars and a
 * comment, and the rating lands on the session. Screenshots: test/console/screenshots/.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { browserSkip, launchChromium, prepareConsole, screenshots } from '../support/browser.ts';
import { startTestHost, type TestHost } from '../support/host.ts';

const skip = browserSkip;
const shots = screenshots;

let host: TestHost;
let browser: Browser;

describe('the widget: business hours and CSAT in Chromium', { skip }, () => {
  before(async () => {
    // Always build: this test is about the widget's current source.
    prepareConsole({ always: true });
    host = await startTestHost({ events: true });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await host?.close();
  });

  it('a closed line says when it opens and replies once; after the close the visitor rates with stars and a comment', { timeout: 120_000 }, async () => {
    const admin = await host.token({ sub: 'admin-1', roles: ['admin'] });
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const line = (
      await host.call('POST', '/v1/lines', {
        token: admin,
        body: {
          __name: 'After hours',
          _operatorGroups: ['support'],
          _schedule: { timeZone: 'UTC', weekly: {}, exceptions: [{ date: tomorrow, hours: [{ from: '09:00', to: '17:00' }] }] },
          _offlineMessage: 'We are away until tomorrow morning.',
          _csat: { enabled: true },
        },
      })
    ).body;
    const channel = (await host.call('POST', '/v1/channels', { token: admin, body: { _line: line.__id, _type: 'livechat', __name: 'Site' } })).body;

    const page = await (await browser.newContext({ viewport: { width: 900, height: 760 }, locale: 'en-GB', timezoneId: 'UTC' })).newPage();
    await page.goto(`${host.url}/demo.html?channel=${channel.__id}`);
    const launcher = page.getByRole('button', { name: 'Chat with us' });
    if ((await launcher.getAttribute('aria-expanded')) !== 'true') await launcher.click();
    // Before writing: closed, and when it opens.
    await page
      .locator('p.status')
      .filter({ hasText: /We are closed right now\. We open .*09:00/ })
      .waitFor({ timeout: 15_000 });
    const textbox = page.getByLabel('Your message');
    await textbox.fill('Is anyone there?');
    await textbox.press('Enter');
    const log = page.getByRole('log', { name: 'Messages' });
    await log.getByText('We are away until tomorrow morning.').waitFor({ timeout: 15_000 });
    assert.equal(await log.getByText('We are away until tomorrow morning.').count(), 1);
    await page.screenshot({ path: join(shots, '5-widget-closed-line.png') });

    // Staff close it the next time they look: the rating request comes with the close.
    const session = (
      await host.call('GET', '/v1/visitors/messages', {
        headers: {
          authorization: `Bearer ${await page.evaluate((k) => JSON.parse(localStorage.getItem(k) ?? '{}').token, `chatlines.visitor.${channel.__id}`)}`,
        },
      })
    ).body.session.id;
    const op = await host.token({ sub: 'night-op', roles: ['operator'], groups: ['support'] });
    assert.equal((await host.call('PUT', '/v1/operators/me/status', { token: op, body: { status: 'online' } })).status, 200);
    assert.equal((await host.call('POST', `/v1/sessions/${session}/assign`, { token: op, body: { operator: 'night-op' } })).status, 200);
    assert.equal((await host.call('POST', `/v1/sessions/${session}/close`, { token: op })).status, 200);

    const survey = page.getByRole('region', { name: 'Rate this conversation' });
    await survey.waitFor({ timeout: 15_000 });
    const send = survey.getByRole('button', { name: 'Send rating' });
    assert.equal(await send.isDisabled(), true, 'nothing chosen yet');
    await survey.getByRole('radio', { name: '4 stars' }).click();
    assert.equal(await survey.getByRole('radio', { name: '4 stars' }).getAttribute('aria-checked'), 'true');
    await survey.getByLabel('Comment (optional)').fill('Quick and kind, thanks');
    await page.screenshot({ path: join(shots, '6-widget-rating.png') });
    await send.click();
    await page.getByText('Thank you for your rating!').waitFor({ timeout: 15_000 });
    assert.equal(await survey.isVisible(), false);
    await page.screenshot({ path: join(shots, '7-widget-rated.png') });

    const rated = (await host.call('GET', `/v1/sessions/${session}`, { token: admin })).body;
    assert.equal(rated._rating.score, 4);
    assert.equal(rated._rating.comment, 'Quick and kind, thanks');
    assert.equal(rated._rating.via, 'widget');
  });
});
