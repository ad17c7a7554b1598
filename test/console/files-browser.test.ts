/**
 * Files in a real browser (Debian's Chromium, playwright-core) against a test host with its own
 * S3-compatible store: the visitor attaches a picture in the widget, the operator sees it inline
 * in the console, replies with a PDF (a link there) and the visitor sees it as a link; a staff
 * note's file never reaches the widget. Screenshots: test/console/screenshots/ (git-ignored).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { browserSkip, devSignIn, screenshots, startShop } from '../support/browser.ts';
import type { TestHost } from '../support/host.ts';
import { png } from '../support/png.ts';

const skip = browserSkip;
const shots = screenshots;

let host: TestHost;
let browser: Browser;
let channel: { __id: string };

describe('files in the console and the widget (Chromium)', { skip }, () => {
  before(async () => {
    ({ host, browser, channel } = await startShop({ files: true }));
  });
  after(async () => {
    await browser?.close();
    await host?.close();
  });

  it('the visitor attaches a picture; the operator sees it inline, replies with a PDF and a note’s file; the visitor sees the PDF, never the note’s', {
    timeout: 120_000,
  }, async () => {
    const visitor = await (await browser.newContext({ viewport: { width: 900, height: 760 } })).newPage();
    const operator = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const problems: string[] = [];
    for (const page of [visitor, operator]) {
      // Failed loads are counted by their responses (the browser's own favicon request is none of ours).
      page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && problems.push(m.text()));
      page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
    }

    await devSignIn(operator, host.url, { sub: 'alice', roles: ['operator'], groups: 'support' });
    await operator.getByRole('button', { name: /go online/ }).click();
    await operator.getByRole('status').filter({ hasText: 'You are online.' }).waitFor();

    // The visitor writes with a picture attached.
    await visitor.goto(`${host.url}/demo.html?channel=${channel.__id}`);
    await visitor.getByLabel('Attach a file').setInputFiles({ name: 'broken-parcel.png', mimeType: 'image/png', buffer: png(160, 100) });
    await visitor.getByLabel('Your message').fill('The parcel arrived like this');
    await visitor.getByRole('button', { name: 'Send' }).click();
    const widgetLog = visitor.getByRole('log', { name: 'Messages' });
    await widgetLog.getByRole('img', { name: 'broken-parcel.png' }).waitFor({ timeout: 15_000 });

    // The operator takes it and sees the picture inline (loaded from storage).
    const queued = operator.getByRole('list', { name: 'Queue' }).getByRole('link');
    await queued.first().waitFor({ timeout: 15_000 });
    await queued.first().click();
    const log = operator.getByRole('log', { name: 'Conversation' });
    const picture = log.getByRole('img', { name: 'broken-parcel.png' });
    await picture.waitFor();
    // Loaded and decoded: the picture's own width (160 px), not a broken image.
    // Polled from here: a predicate polled inside the page would be evaluated there, which the console's CSP forbids.
    for (const end = Date.now() + 15_000; ; ) {
      const width = await picture.evaluate((img) => {
        const image = img as unknown as { complete: boolean; naturalWidth: number };
        return image.complete ? image.naturalWidth : 0;
      });
      if (width === 160) break;
      assert.ok(Date.now() < end, `the picture loaded (naturalWidth ${width})`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await operator.getByRole('button', { name: 'Take', exact: true }).click();
    await operator.locator('.session-head').getByText('With an operator').waitFor();

    // A reply with a PDF, then a staff note with a file.
    await operator
      .getByLabel('Attach files')
      .setInputFiles({ name: 'return-label.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n') });
    await operator.getByLabel('Message', { exact: true }).fill('Sorry! Here is a return label.');
    await operator.getByRole('button', { name: 'Send reply' }).click();
    await log
      .locator('[data-kind=reply]')
      .getByRole('link', { name: /return-label\.pdf/ })
      .waitFor();
    await operator.getByLabel('Attach files').setInputFiles({ name: 'internal.txt', mimeType: 'text/plain', buffer: Buffer.from('courier claim #77\n') });
    await operator.getByLabel('Message', { exact: true }).fill('Claim filed with the courier');
    await operator.getByRole('button', { name: 'Add note (staff only)' }).click();
    await log
      .locator('[data-kind=note]')
      .getByRole('link', { name: /internal\.txt/ })
      .waitFor();
    await operator.screenshot({ path: join(shots, 'files-1-operator.png'), fullPage: true });

    // The visitor sees the PDF as a link (its URL answers the bytes), never the note's file.
    const pdf = widgetLog.getByRole('link', { name: /return-label\.pdf/ });
    await pdf.waitFor({ timeout: 15_000 });
    assert.equal(await widgetLog.getByText('internal.txt').count(), 0, 'a staff note’s file reached the visitor');
    await visitor.screenshot({ path: join(shots, 'files-2-visitor.png') });
    assert.deepEqual(
      problems.filter((p) => !p.includes('favicon')),
      [],
      'no errors in the pages (CSP, CORS)',
    );
  });
});
