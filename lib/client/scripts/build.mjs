// Builds @chatlines/client: dist/index.js (one ESM bundle, esbuild, platform=neutral so a Node
// built-in import fails the build) and dist/types/**/*.d.ts (tsc declarations, relative `.ts`
// specifiers rewritten to `.js` so a consumer under NodeNext resolves them). Run by the
// package's `build` and `prepack` scripts and by the root `prepare`.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });

await build({
  entryPoints: [join(root, 'index.ts')],
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  outfile: join(dist, 'index.js'),
  metafile: true,
  absWorkingDir: root,
  logLevel: 'warning',
}).then((result) => writeFileSync(join(dist, 'meta.json'), JSON.stringify(result.metafile)));

const tsc = spawnSync('tsc', ['-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', shell: process.platform === 'win32' });
if (tsc.status !== 0) {
  console.error(`@chatlines/client: tsc failed to emit declarations (${tsc.error?.message ?? `exit ${tsc.status}`})`);
  process.exit(1);
}

const RELATIVE_TS = /(from\s+|import\()(['"])(\.{1,2}\/[^'"]+)\.ts\2/g;
function rewrite(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) rewrite(path);
    else if (entry.name.endsWith('.d.ts')) writeFileSync(path, readFileSync(path, 'utf8').replace(RELATIVE_TS, '$1$2$3.js$2'));
  }
}
rewrite(join(dist, 'types'));
