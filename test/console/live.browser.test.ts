/**
 * The widget on the live socket, in Chromium (as test/console/browser.test.ts): the visitor sees
 * an operator's reply without a poll (the fallback poll is set to a minute, and no messages read
 * happens after the socket is up), sees "Operator is typing…", and its own messages go from ✓ to
 * ✓✓ when the operator reads them; the operator's console shows "Client is typing…" and read
 * state. Screenshots: test/console/screenshots/5-… (git-ignored).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { browserSkip, devSignIn, screenshots, startShop } from '../support/browser.ts';
import type { TestHost } from '../support/host.ts';

const skip = browserSkip;
const shots = screenshots;

let host: TestHost;
let browser: Browser;
let channel: { __id: string };

describe('the widget on the live socket, in Chromium', { skip }, () => {
  before(async () => {
    ({ host, browser, channel } = await startShop({ events: true }));
  });
  after(async () => {
    await browser?.close();
    await host?.close();
  });

  it('the visitor sees the reply without a poll and "typing…"; the operator sees typing and read state', { timeout: 180_000 }, async () => {
    const visitor = await (await browser.newContext({ viewport: { width: 900, height: 700 } })).newPage();
    const operator = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    /** Reads of the visitor's messages route: the poll (and the one catch-up read after the socket opens). */
    const reads: number[] = [];
    visitor.on('request', (r) => {
      if (r.method() === 'GET' && new URL(r.url()).pathname === '/v1/visitors/messages') reads.push(Date.now());
    });
    const sockets: string[] = [];
    visitor.on('websocket', (ws) => sockets.push(ws.url()));

    await devSignIn(operator, host.url, { sub: 'alice', roles: ['operator'], groups: 'support' });
    await operator.getByRole('button', { name: /go online/ }).click();
    await operator.getByRole('status').filter({ hasText: 'You are online.' }).waitFor();

    // The fallback poll at a minute: anything sooner came over the socket.
    await visitor.goto(`${host.url}/demo.html?channel=${channel.__id}&pollMs=60000`);
    const textbox = visitor.getByLabel('Your message');
    await textbox.fill('Hello, is my order on its way?');
    await textbox.press('Enter');
    const widgetLog = visitor.getByRole('log', { name: 'Messages' });
    await widgetLog.getByText('Hello, is my order on its way?').waitFor();
    await visitor.waitForFunction(() => true);
    assert.ok(await waitUntil(() => sockets.length > 0), 'the widget opened the live socket');
    assert.match(sockets[0]!, /\/v1\/live\?token=vt1\./);
    // Its own message: ✓ (sent), not read yet.
    const ticks = widgetLog.locator('li.visitor .ticks');
    await ticks.filter({ hasText: /^✓$/ }).first().waitFor();

    // The operator takes it from the queue and opens it.
    const queued = operator.getByRole('list', { name: 'Queue' }).getByRole('link');
    await queued.first().waitFor({ timeout: 15_000 });
    await queued.first().click();
    const log = operator.getByRole('log', { name: 'Conversation' });
    await log.getByText('Hello, is my order on its way?').waitFor();
    await operator.getByRole('button', { name: 'Take', exact: true }).click();
    await operator.locator('.session-head').getByText('With an operator').waitFor();

    // The holder has it open: the client's message is marked read; the visitor sees ✓✓ without a poll.
    await log.locator('[data-kind=client][data-read=true]').first().waitFor({ timeout: 30_000 });
    await ticks.filter({ hasText: '✓✓' }).first().waitFor({ timeout: 10_000 });

    // The visitor types: the operator sees "Client is typing…".
    await textbox.pressSequentially('Also, can I ', { delay: 30 });
    await operator.getByText('Client is typing…').waitFor({ timeout: 10_000 });
    await operator.screenshot({ path: join(shots, '5-operator-typing-read.png'), fullPage: true });

    // The operator types: the visitor sees "Operator is typing…".
    const composer = operator.getByLabel('Message', { exact: true });
    await composer.pressSequentially('Yes, ', { delay: 30 });
    await visitor.getByText('Operator is typing…').waitFor({ timeout: 10_000 });
    await visitor.screenshot({ path: join(shots, '5-visitor-typing.png') });

    // The reply reaches the widget within 2 s of its POST's answer, with no read of the messages route since it was sent.
    await composer.fill('Yes, it ships today.');
    const readsBefore = reads.length;
    const answered = operator
      .waitForResponse((r) => r.request().method() === 'POST' && /\/v1\/sessions\/[^/]+\/messages$/.test(new URL(r.url()).pathname))
      .then(() => Date.now());
    await operator.getByRole('button', { name: 'Send reply' }).click();
    await widgetLog.getByText('Yes, it ships today.').waitFor({ timeout: 15_000 });
    const shownAt = Date.now();
    const took = shownAt - (await answered);
    assert.ok(took < 2_000, `the reply took ${took} ms after the console's POST was answered`);
    assert.equal(reads.length, readsBefore, 'the reply came over the socket, not a poll');
    await visitor.screenshot({ path: join(shots, '5-visitor-reply-live.png') });

    // The widget read the reply: the console shows it read (✓✓ Read).
    await log.locator('[data-kind=reply][data-read=true]').first().waitFor({ timeout: 30_000 });
    await operator.screenshot({ path: join(shots, '5-operator-reply-read.png'), fullPage: true });
  });
});

async function waitUntil(predicate: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
