/**
 * What every browser test shares: Debian's Chromium through playwright-core (skipped with a
 * one-line reason where it is missing, never in CI), the console's build, the screenshots folder.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { consoleDir } from '../../infra/local/console.ts';
import { startTestHost, type TestHost } from './host.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** `describe(…, { skip: browserSkip })`: a reason where Chromium is missing outside CI. */
export const browserSkip =
  !existsSync(CHROMIUM) && !process.env.CI ? `Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium); browser tests skipped` : false;
/** test/console/screenshots (git-ignored). */
export const screenshots = join(import.meta.dirname, '..', 'console', 'screenshots');

/** Builds the console unless it is built (`always`: the test is about the current source), and makes the screenshots folder. */
export function prepareConsole(options: { always?: boolean } = {}): void {
  if (options.always || !existsSync(join(consoleDir(), 'index.html'))) {
    const built = spawnSync('npm', ['run', '-s', 'build:console'], { stdio: 'inherit' });
    assert.equal(built.status, 0, 'npm run build:console');
  }
  mkdirSync(screenshots, { recursive: true });
}

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });

/**
 * The widget's browser tests' start: the console built, a host (with `options`), a line "Web shop"
 * (operator group `support`) with a livechat channel "Shop site", and Chromium.
 */
export async function startShop(options: Parameters<typeof startTestHost>[0]): Promise<{ host: TestHost; browser: Browser; channel: { __id: string } }> {
  prepareConsole();
  const host = await startTestHost(options);
  const admin = await host.token({ sub: 'admin-1', roles: ['admin'] });
  const line = (await host.call('POST', '/v1/lines', { token: admin, body: { __name: 'Web shop', _operatorGroups: ['support'] } })).body;
  const channel = (await host.call('POST', '/v1/channels', { token: admin, body: { _line: line.__id, _type: 'livechat', __name: 'Shop site' } })).body;
  return { host, browser: await launchChromium(), channel };
}

/**
 * Signs in through the console's development sign-in (user id, roles, groups when given) and
 * waits for the main navigation. `screenshot`: a path to capture the filled form at.
 */
export async function devSignIn(page: Page, url: string, who: { sub: string; roles: readonly string[]; groups?: string; screenshot?: string }): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel('User id').fill(who.sub);
  for (const role of ['operator', 'supervisor', 'admin']) await page.getByRole('checkbox', { name: role }).setChecked(who.roles.includes(role));
  if (who.groups !== undefined) await page.getByLabel('Groups', { exact: true }).fill(who.groups);
  if (who.screenshot) await page.screenshot({ path: who.screenshot });
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}
