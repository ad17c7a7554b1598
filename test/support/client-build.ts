/**
 * The client bundle (lib/client/dist) is built once: by `npm ci` (the root `prepare`), or by
 * test/run.ts before the tests when a source is newer than the bundle. The client tests read
 * that one build (test/client/bundle.test.ts) and pack it (test/client/package.test.ts)
 * instead of each building it again, possibly at the same time.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const client = join(root, 'lib', 'client');
const outputs = [join(client, 'dist', 'index.js'), join(client, 'dist', 'meta.json'), join(client, 'dist', 'types', 'client', 'index.d.ts')];

/** What the bundle is made from: its sources, the enums, its build script and configs. */
function inputs(): string[] {
  const sources = readdirSync(client)
    .filter((name) => name.endsWith('.ts') || name.endsWith('.json'))
    .map((name) => join(client, name));
  return [...sources, join(client, 'scripts', 'build.mjs'), join(root, 'lib', 'contract', 'enums.ts')];
}

/** Whether lib/client/dist exists and is newer than everything it is built from. */
export function clientBuildIsFresh(): boolean {
  if (!outputs.every((path) => existsSync(path))) return false;
  const built = Math.min(...outputs.map((path) => statSync(path).mtimeMs));
  return inputs().every((path) => statSync(path).mtimeMs <= built);
}

/** Builds the client unless its bundle is fresh; returns whether it built. */
export function ensureClientBuilt(): boolean {
  if (clientBuildIsFresh()) return false;
  execFileSync('npm', ['run', '-s', 'build:client'], { cwd: root, stdio: 'inherit' });
  return true;
}
