/**
 * How every chatlines Lambda is bundled: the one definition the stack (chatlines-function.ts)
 * and the bench (bench/bundles.ts) share. esbuild, one ESM file per function (`index.mjs`), the
 * AWS SDK v3 left to the Node.js runtime, and beside it the lazy modules it names
 * (lib/adapters/lazy.ts) as `<name>.mjs`.
 *
 * The contract's schemas are tree-shaken: a module of lib/contract builds its zod schemas at
 * its top level, and a bundler must keep any top-level call it cannot prove pure, so every
 * function would carry every schema of every module it reaches. The `annotate-pure-calls`
 * Babel plugin marks those calls `#__PURE__` while bundling (never in the source), and
 * esbuild drops the schemas a function does not use.
 *
 * The OpenAPI document is built then too: `GET /v1/openapi.json` serves the document generated
 * from the route specs at build time (prebuiltOpenApi). A CommonJS package known to do nothing
 * when it loads is marked so (sideEffectFreePackages): a function that uses none of it leaves it out.
 *
 * esbuild plugins need its asynchronous API, and CDK's local bundling is synchronous: the stack
 * runs `bundleAllCommand` once per synthesis (every function at once, one esbuild run) and
 * copies each function's folder into its asset.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { transformAsync } from '@babel/core';
import { type BuildOptions, build, type Metafile, type Plugin, transform } from 'esbuild';
import { allFunctionNames, functionEntry } from '../functions.ts';

/** The repository root: `functions/`, `lib/` and `node_modules/` live there. */
const ROOT = join(import.meta.dirname, '..', '..');

/**
 * esbuild emits ESM; a few bundled CommonJS dependencies (aws-xray-sdk-core and its helpers)
 * call `require` for Node built-ins, which ESM lacks, so the bundle defines one.
 */
const REQUIRE_SHIM = "import{createRequire as __chatlinesCreateRequire}from'node:module';const require=__chatlinesCreateRequire(import.meta.url);";

/** The lazy modules (lib/adapters/lazy.ts): each file of this folder, `<name>.ts`. */
export const LAZY_DIR = join('lib', 'adapters', 'lazy');

/** The names of the lazy modules (`tracing`, `file-type`, `mail-parser`, …). */
export function lazyModules(): string[] {
  return readdirSync(join(ROOT, LAZY_DIR))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3));
}

/** Marks the top-level calls of lib/contract's modules pure (see the module comment). */
export function pureContract(): Plugin {
  const contract = `${join(ROOT, 'lib', 'contract')}${sep}`;
  const cache = new Map<string, string>();
  return {
    name: 'chatlines-pure-contract',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (!args.path.startsWith(contract)) return undefined;
        let contents = cache.get(args.path);
        if (contents === undefined) {
          const source = readFileSync(args.path, 'utf8');
          const js = await transform(source, { loader: 'ts', format: 'esm', target: 'node24', sourcefile: args.path });
          const annotated = await transformAsync(js.code, {
            babelrc: false,
            configFile: false,
            compact: false,
            filename: args.path,
            plugins: ['annotate-pure-calls'],
          });
          contents = annotated?.code ?? js.code;
          cache.set(args.path, contents);
        }
        return { contents, loader: 'js' };
      });
    },
  };
}

/**
 * Packages that do nothing when they load, whatever their package.json says. esbuild keeps a
 * CommonJS package's `require` in a bundle that imports it even when none of it is used (the
 * call might have effects); marked side-effect free, the package goes with its last use.
 * ipaddr.js: the address checks of lib/adapters/http/urls.ts, which the stream consumer imports
 * with the deliveries' code but never calls.
 */
const SIDE_EFFECT_FREE_PACKAGES = /^ipaddr\.js$/;

export function sideEffectFreePackages(): Plugin {
  return {
    name: 'chatlines-side-effect-free-packages',
    setup(b) {
      b.onResolve({ filter: SIDE_EFFECT_FREE_PACKAGES }, async (args) => {
        if (args.pluginData?.resolving) return undefined;
        const resolved = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { resolving: true } });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        return { path: resolved.path, namespace: resolved.namespace, external: resolved.external, suffix: resolved.suffix, sideEffects: false };
      });
    },
  };
}

/**
 * Puts the OpenAPI document, generated now from the route specs and gzipped, in place of
 * lib/contract/openapi-document.ts: GET /v1/openapi.json then carries ~20 KB of document
 * instead of every route's schemas and the generator (~150 KB).
 */
export function prebuiltOpenApi(): Plugin {
  const module = join(ROOT, 'lib', 'contract', 'openapi-document.ts');
  let contents: string | undefined;
  return {
    name: 'chatlines-prebuilt-openapi',
    setup(b) {
      b.onLoad({ filter: /openapi-document\.ts$/ }, async (args) => {
        if (args.path !== module) return undefined;
        if (contents === undefined) {
          const { openApiJson } = (await import(pathToFileURL(module).href)) as typeof import('../../lib/contract/openapi-document.ts');
          const zipped = gzipSync(JSON.stringify(openApiJson()), { level: 9 }).toString('base64');
          contents = [
            "import { gunzipSync } from 'node:zlib';",
            'let document;',
            `export function openApiJson() { return (document ??= JSON.parse(gunzipSync(Buffer.from(${JSON.stringify(zipped)}, 'base64')).toString('utf8'))); }`,
          ].join('\n');
        }
        return { contents, loader: 'js' };
      });
    },
  };
}

/**
 * The bundling options: ESM, node24, minified, no source map, `module` before `main`, the AWS
 * SDK external (the runtime ships it; `sdk: true` bundles it, for comparison in the bench).
 */
export function bundleOptions(sdk = false): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    sourcemap: false,
    mainFields: ['module', 'main'],
    banner: { js: REQUIRE_SHIM },
    external: sdk ? [] : ['@aws-sdk/*'],
    logLevel: 'warning',
    outExtension: { '.js': '.mjs' },
    absWorkingDir: ROOT,
  };
}

export interface Bundled {
  /** The function file's name → its folder (index.mjs and its lazy modules). */
  dirs: Map<string, string>;
  /** esbuild's metafile of the functions' bundles (inputs and their bytes per output). */
  metafile: Metafile;
}

/**
 * Bundles the named functions (every function by default) into `outDir/<function>/index.mjs`,
 * each with the lazy modules its bundle names (`importLazy('<name>')` leaves the string in it;
 * every function names `tracing`).
 */
export async function bundleFunctions(outDir: string, names: readonly string[] = allFunctionNames(), sdk = false): Promise<Bundled> {
  const entryPoints = Object.fromEntries(names.map((name) => [`${name}/index`, functionEntry(name)]));
  const result = await build({
    ...bundleOptions(sdk),
    entryPoints,
    outdir: outDir,
    metafile: true,
    plugins: [prebuiltOpenApi(), pureContract(), sideEffectFreePackages()],
  });
  const lazy = lazyModules();
  const needed = new Map(lazy.map((m) => [m, [] as string[]]));
  for (const name of names) {
    const code = readFileSync(join(outDir, name, 'index.mjs'), 'utf8');
    for (const m of lazy) if (code.includes(`"${m}"`)) needed.get(m)!.push(name);
  }
  for (const [m, users] of needed) {
    if (users.length === 0) continue;
    const first = join(outDir, users[0]!, `${m}.mjs`);
    await bundleLazy(m, first, sdk);
    for (const user of users.slice(1)) cpSync(first, join(outDir, user, `${m}.mjs`));
  }
  return { dirs: new Map(names.map((n) => [n, join(outDir, n)])), metafile: result.metafile };
}

/** Bundles one lazy module (beside its first user, or alone for the bench's sizes); its size in bytes. */
export async function bundleLazy(name: string, outFile: string, sdk = false): Promise<number> {
  await build({
    ...bundleOptions(sdk),
    entryPoints: [join(ROOT, LAZY_DIR, `${name}.ts`)],
    outfile: outFile,
    plugins: [pureContract(), sideEffectFreePackages()],
  });
  return readFileSync(outFile).length;
}

/** The folder this synthesis bundled every function into, once (see functionBundle). */
let synthBundles: string | undefined;

/**
 * The folder holding `functionFile`'s bundle (index.mjs and its lazy modules). The first call of
 * a synthesis bundles every function at once in a child process (CDK's local bundling is
 * synchronous; esbuild's plugins are not) and later calls reuse it; the folder is removed when the
 * process exits.
 */
export function functionBundle(functionFile: string): string {
  if (!synthBundles || !existsSync(join(synthBundles, functionFile))) {
    const dir = mkdtempSync(join(tmpdir(), 'chatlines-bundles-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const out = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'infra', 'aws', 'bundle-all.ts'), dir], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    if (out.status !== 0) throw new Error(`bundling the functions failed (${out.status}): ${out.stderr}`);
    synthBundles = dir;
  }
  const dir = join(synthBundles, functionFile);
  if (!existsSync(join(dir, 'index.mjs'))) throw new Error(`no bundle for ${functionFile} in ${relative(ROOT, synthBundles)}`);
  return dir;
}

/** Copies `functionFile`'s bundle into a CDK asset's output folder. */
export function copyBundle(functionFile: string, outputDir: string): void {
  mkdirSync(outputDir, { recursive: true });
  cpSync(functionBundle(functionFile), outputDir, { recursive: true });
}
