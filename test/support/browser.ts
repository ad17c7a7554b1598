/**
 * What every browser test shares: Debian's Chromium through playwright-core (skipped with a
 * one-line reason where it is missing, never in CI), the console's build, the screenshots folder.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
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
