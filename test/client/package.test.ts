/**
 * `@chatlines/client` as another project gets it: `npm pack` of the workspace (its `prepack`
 * is its build, so the bundle and `.d.ts` the run already built are packed as they are), the tarball installed offline into a fresh temporary
 * project (possible only because the package has no dependencies), a consumer typechecked
 * under `module: NodeNext` + `strict` (library declarations checked too) with this repository's
 * TypeScript, then run against a local test host.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ensureClientBuilt } from '../support/client-build.ts';
import { startTestHost, type TestHost } from '../support/host.ts';

const root = join(import.meta.dirname, '..', '..');
const tsc = join(root, 'node_modules', '.bin', 'tsc');
const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });

const CONSUMER = `
import { ChatlinesApiError, createLinesClient, LineSessionState, type LineData, type LinesClient } from '@chatlines/client';

declare const process: { env: Record<string, string | undefined> };

const baseUrl = process.env.CHATLINES_URL ?? '';
const lines: LinesClient = createLinesClient({ baseUrl, token: process.env.CHATLINES_TOKEN ?? '', retries: 0 });
const line: LineData = (await lines.lines.create({ __name: 'From the package' })).data;
const fetched = await lines.lines.ref(line.__id).fetch();
// @ts-expect-error: a session state is one of the enum's values
const wrong: LineSessionState = 'Open';
void wrong;
let status = 0;
try {
  await createLinesClient({ baseUrl, token: 'not-a-token', retries: 0 }).lines.ref(line.__id).fetch();
} catch (error) {
  if (error instanceof ChatlinesApiError) status = error.status;
}
console.log(JSON.stringify({ name: fetched.data.__name, closed: LineSessionState.Closed, status }));
`;

let host: TestHost;
let dir: string;
before(async () => {
  host = await startTestHost();
  dir = mkdtempSync(join(tmpdir(), 'chatlines-consumer-'));
});
after(async () => {
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('@chatlines/client from its tarball', () => {
  it('packs, installs offline, typechecks under NodeNext + strict, and talks to the API', async () => {
    // The package's `prepack` is its build: the bundle test/run.ts (or npm ci) already made is
    // packed as it is, instead of building it a second time here.
    const manifest = JSON.parse(readFileSync(join(root, 'lib', 'client', 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(manifest.scripts.prepack, manifest.scripts.build, 'npm pack builds the package first');
    ensureClientBuilt();
    const packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--workspace', '@chatlines/client', '--pack-destination', dir], root)) as {
      filename: string;
      files: { path: string }[];
    }[];
    const tarball = join(dir, packed[0]!.filename);
    const files = packed[0]!.files.map((f) => f.path).sort();
    assert.ok(files.includes('dist/index.js'), `packed: ${files.join(', ')}`);
    assert.ok(files.includes('dist/types/client/index.d.ts'), `packed: ${files.join(', ')}`);
    assert.deepEqual(
      files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
      [],
      'no TypeScript sources in the package',
    );

    const project = join(dir, 'consumer');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], project);
    const installed = JSON.parse(readFileSync(join(project, 'node_modules', '@chatlines', 'client', 'package.json'), 'utf8')) as {
      dependencies?: unknown;
    };
    assert.equal(installed.dependencies, undefined);
    assert.equal(JSON.parse(run('npm', ['ls', '--all', '--json'], project)).dependencies['@chatlines/client'].dependencies, undefined);

    writeFileSync(join(project, 'consumer.ts'), CONSUMER);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022', 'DOM'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          types: [],
        },
        files: ['consumer.ts'],
      }),
    );
    try {
      run(tsc, ['-p', 'tsconfig.json'], project);
    } catch (error) {
      assert.fail(`the consumer does not typecheck:\n${(error as { stdout?: string }).stdout}`);
    }

    const token = await host.token({ sub: 'package-admin', roles: ['admin'] });
    // Node 24 runs the consumer's TypeScript directly (type stripping). Asynchronously: the host
    // it talks to runs in this process.
    const { stdout: out } = await promisify(execFile)(process.execPath, ['consumer.ts'], {
      cwd: project,
      env: { ...process.env, CHATLINES_URL: host.url, CHATLINES_TOKEN: token },
      timeout: 30_000,
    });
    assert.deepEqual(JSON.parse(out.trim().split('\n').pop()!), { name: 'From the package', closed: 'Closed', status: 401 });
  });
});
