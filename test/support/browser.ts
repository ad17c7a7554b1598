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
