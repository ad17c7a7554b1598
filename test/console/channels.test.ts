/**
 * The console's channels page in a real browser (Debian's Chromium, playwright-core, as
 * browser.test.ts): an admin connects a Telegram bot with its token and nothing else (the fake
 * Bot API on loopback sees the webhook registered), sees each channel's type, state and last
 * error, and disconnects and reconnects one. A refused token shows the problem's detail.
 * Screenshots: test/console/screenshots/ (git-ignored).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { browserSkip, devSignIn, launchChromium, prepareConsole, screenshots } from '../support/browser.ts';
import { type FakeTelegram, startFakeTelegram } from '../support/fakes/telegram.ts';
import { startTestHost, type TestHost } from '../support/host.ts';

const skip = browserSkip;
const shots = screenshots;
const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1';

let host: TestHost;
let browser: Browser;
let fake: FakeTelegram;
let admin: string;
let line: { __id: string };

describe('the channels page in Chromium', { skip }, () => {
  before(async () => {
    prepareConsole();
    fake = await startFakeTelegram();
    fake.tokens.add(TOKEN);
    process.env.TELEGRAM_API_URL = fake.url;
    host = await startTestHost();
    admin = await host.token({ sub: 'admin-1', roles: ['admin'] });
    line = (await host.call('POST', '/v1/lines', { token: admin, body: { __name: 'Web shop', _operatorGroups: ['support'] } })).body;
    await host.call('POST', '/v1/channels', { token: admin, body: { _line: line.__id, _type: 'livechat', __name: 'Shop site' } });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await host?.close();
    await fake?.close();
  });

  it('connects a Telegram bot with a token only; shows type, state and the last error', { timeout: 120_000 }, async () => {
    const page = await (await browser.newContext({ viewport: { width: 1200, height: 800 } })).newPage();
    await devSignIn(page, host.url, { sub: 'root', roles: ['admin'] });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Channels' }).click();
    const table = page.getByRole('table', { name: 'Channels of Web shop' });
    await table.getByText('Shop site').waitFor();
    await table.getByText('Web chat').waitFor();

    // A token Telegram refuses: the problem's detail, nothing connected.
    const token = page.getByLabel('Connect a Telegram bot: token from @BotFather');
    await token.fill('987654321:AAFakeFakeFakeFakeFakeFakeFakeFake12');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /refused/ })
      .waitFor();
    assert.equal(fake.webhooks.size, 0);

    await token.fill(TOKEN);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Telegram bot connected' }).waitFor();
    const bot = table.getByRole('row').filter({ hasText: 'Telegram bot' });
    await bot.getByText('active').waitFor();
    assert.match(fake.webhooks.get(TOKEN)?.url ?? '', /\/v1\/hooks\/telegram\/[0-9a-f-]{36}$/);
    assert.equal(await token.inputValue(), '', 'the token is not kept in the form');
    assert.equal(await page.getByText(TOKEN).count(), 0);

    // The channel in error (the token revoked, as a reply's send would find): shown with the reason.
    const channelId = /\/v1\/hooks\/telegram\/([0-9a-f-]{36})$/.exec(fake.webhooks.get(TOKEN)!.url)![1]!;
    const { getChannel, updateChannel } = await import('../../lib/adapters/dynamodb/lines.ts');
    const stored = await getChannel(channelId);
    await updateChannel(stored, {
      ...stored,
      _state: 'error',
      _lastError: 'telegramBot refused the credentials: Unauthorized',
      __updatedAt: new Date().toISOString(),
    });
    await page.reload();
    await table.getByRole('row').filter({ hasText: 'Telegram bot' }).getByText('Unauthorized').waitFor();
    await page.screenshot({ path: join(shots, '5-channels-error.png'), fullPage: true });
    await page.getByRole('button', { name: 'Reconnect Telegram bot' }).click();
    await page.getByRole('status').filter({ hasText: 'reconnected' }).waitFor();
    await table.getByRole('row').filter({ hasText: 'Telegram bot' }).getByText('active').waitFor();
    await page.getByRole('button', { name: 'Disconnect Telegram bot' }).click();
    await table.getByRole('row').filter({ hasText: 'Telegram bot' }).getByText('disconnected').waitFor();
    assert.equal(fake.webhooks.has(TOKEN), false);
    await page.screenshot({ path: join(shots, '5-channels.png'), fullPage: true });
  });
});
