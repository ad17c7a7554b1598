/**
 * Step 1, bundles: every function of the manifest bundled with esbuild the way the CDK stack
 * bundles it (infra/aws/chatlines-function.ts), its size, and its cold-load time (median of
 * fresh `node` processes importing it) next to the floor: a bundle that only builds a
 * DynamoDB document client.
 */

import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { LAZY_DIR, lazyModules } from '../infra/aws/chatlines-function.ts';
import { functionEntry } from '../infra/functions.ts';
import { routes, scheduledFunctions } from '../lib/contract/routes.ts';
import { log, median, progress, round } from './support.ts';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(import.meta.dirname, 'results', 'tmp', 'bundles');

/** Same shim as the stack: bundled CommonJS (aws-xray-sdk-core) calls `require`. */
const REQUIRE_SHIM = "import{createRequire as __chatlinesCreateRequire}from'node:module';const require=__chatlinesCreateRequire(import.meta.url);";

/**
 * The stack's bundling options (NodejsFunction: format ESM, target node24, minify, no source
 * map, mainFields module/main, `@aws-sdk/*` external because the runtime ships SDK v3).
 * `sdkBundled` is the variant that carries its own SDK, for comparison.
 */
function options(variant: 'deployed' | 'sdkBundled'): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    sourcemap: false,
    mainFields: ['module', 'main'],
    banner: { js: REQUIRE_SHIM },
    external: variant === 'deployed' ? ['@aws-sdk/*'] : [],
    metafile: true,
    logLevel: 'silent',
    outExtension: { '.js': '.mjs' },
  };
}

const FLOOR_SOURCE = `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
export const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
export const handler = async () => ({ statusCode: 200 });
`;

export interface WhatIf {
  function: string;
  change: string;
  bytes: number;
}

export interface BundleRow {
  function: string;
  variant: 'deployed' | 'sdkBundled';
  bytes: number;
  /** Median ms from process start to import done. */
  coldTotalMs: number;
  /** Median ms of the import alone. */
  coldImportMs: number;
  ratioTotal: number;
  ratioImport: number;
  sizePass: boolean;
  coldPass: boolean;
  /** Largest inputs by bytes in the output (package or file). */
  heaviest: { input: string; bytes: number }[];
}

export interface BundleResult {
  runs: number;
  floor: Record<'deployed' | 'sdkBundled', { bytes: number; coldTotalMs: number; coldImportMs: number }>;
  rows: BundleRow[];
  options: string;
  /** Sizes of the largest deployed bundle with a dependency left out (not runnable; for findings). */
  whatIf: WhatIf[];
  /** The lazy modules (lib/adapters/lazy/<name>.ts), each bundled beside the functions that name it and imported on first use: name → bytes. */
  lazyBytes?: Record<string, number>;
}

export const SIZE_BUDGET = 120 * 1024;
export const COLD_BUDGET = 1.15;

function heaviest(meta: Metafile, outFile: string): { input: string; bytes: number }[] {
  const output = Object.entries(meta.outputs).find(([name]) => join(ROOT, name) === outFile || name.endsWith(outFile.slice(ROOT.length + 1)));
  if (!output) return [];
  const byPackage = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output[1].inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
    const name = m ? m[1]! : input.startsWith('lib/') ? 'chatlines lib/' : input;
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  return [...byPackage.entries()]
    .map(([input, bytes]) => ({ input, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 4);
}

function coldLoad(file: string): { total: number; import: number } {
  const out = spawnSync(process.execPath, [join(import.meta.dirname, 'cold-load.mjs'), pathToFileURL(file).href], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      TABLE_NAME: 'chatlines-bench',
      POWERTOOLS_SERVICE_NAME: 'chatlines',
      POWERTOOLS_METRICS_NAMESPACE: 'chatlines',
    },
  });
  if (out.status !== 0) throw new Error(`cold load of ${file} failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as { total: number; import: number };
}

/** Bundles every function (both variants), then times fresh imports round-robin so noise hits all alike. */
export async function benchBundles(quick: boolean): Promise<BundleResult> {
  const runs = quick ? 5 : 21;
  const functions = [...new Set([...routes.map((r) => r.function), ...scheduledFunctions.map((f) => f.function)])].sort();
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const floorEntry = join(OUT, 'floor-entry.ts');
  writeFileSync(floorEntry, FLOOR_SOURCE);

  const targets: { name: string; variant: 'deployed' | 'sdkBundled'; file: string; bytes: number; heaviest: BundleRow['heaviest'] }[] = [];
  for (const variant of ['deployed', 'sdkBundled'] as const) {
    const bar = progress(`esbuild (${variant})`);
    const entries = [{ in: floorEntry, out: '__floor__' }, ...functions.map((f) => ({ in: functionEntry(f), out: f }))];
    let done = 0;
    for (const entry of entries) {
      const outdir = join(OUT, variant);
      const result = await build({ ...options(variant), entryPoints: [entry], outdir, absWorkingDir: ROOT });
      const file = join(outdir, `${entry.out}.mjs`);
      targets.push({ name: entry.out, variant, file, bytes: statSync(file).size, heaviest: heaviest(result.metafile!, file) });
      bar.tick(++done, entries.length);
    }
    bar.done();
  }

  const samples = new Map<string, { total: number[]; import: number[] }>();
  for (const t of targets) samples.set(`${t.variant}/${t.name}`, { total: [], import: [] });
  const bar = progress(`cold loads (${runs} fresh node processes per bundle)`);
  for (let r = 0; r < runs; r++) {
    for (const t of targets) {
      const s = coldLoad(t.file);
      const entry = samples.get(`${t.variant}/${t.name}`)!;
      entry.total.push(s.total);
      entry.import.push(s.import);
    }
    bar.tick(r + 1, runs);
  }
  bar.done();

  const medianOf = (variant: string, name: string) => {
    const s = samples.get(`${variant}/${name}`)!;
    return { total: median(s.total), import: median(s.import) };
  };
  const floor = {} as BundleResult['floor'];
  for (const variant of ['deployed', 'sdkBundled'] as const) {
    const t = targets.find((x) => x.variant === variant && x.name === '__floor__')!;
    const m = medianOf(variant, '__floor__');
    floor[variant] = { bytes: t.bytes, coldTotalMs: round(m.total), coldImportMs: round(m.import) };
  }
  const rows: BundleRow[] = targets
    .filter((t) => t.name !== '__floor__')
    .map((t) => {
      const m = medianOf(t.variant, t.name);
      const f = medianOf(t.variant, '__floor__');
      const ratioTotal = m.total / f.total;
      const ratioImport = m.import / f.import;
      return {
        function: t.name,
        variant: t.variant,
        bytes: t.bytes,
        coldTotalMs: round(m.total),
        coldImportMs: round(m.import),
        ratioTotal: round(ratioTotal, 2),
        ratioImport: round(ratioImport, 2),
        sizePass: t.bytes <= SIZE_BUDGET,
        coldPass: ratioTotal <= COLD_BUDGET,
        heaviest: t.heaviest,
      };
    });
  // What the validator costs in the largest bundle: zod/mini with the English locale
  // (lib/contract/zod.ts), and the bundle without it (not runnable; for findings).
  const largest = rows.filter((r) => r.variant === 'deployed').sort((a, b) => b.bytes - a.bytes)[0];
  const whatIf: WhatIf[] = [];
  const sizeOf = async (more: BuildOptions) => {
    const r = await build({ ...options('deployed'), metafile: false, write: false, absWorkingDir: ROOT, outdir: OUT, ...more });
    return r.outputFiles?.[0]?.contents.length ?? 0;
  };
  if (largest) {
    whatIf.push({ function: largest.function, change: 'as built', bytes: largest.bytes });
    const zod = largest.heaviest.find((h) => h.input === 'zod');
    if (zod) whatIf.push({ function: largest.function, change: 'of which zod (zod/mini, English locale)', bytes: zod.bytes });
  }
  const lazyBytes: Record<string, number> = {};
  for (const name of lazyModules()) lazyBytes[name] = await sizeOf({ entryPoints: [join(ROOT, LAZY_DIR, `${name}.ts`)] });
  log(`  bundles: ${rows.length} function bundles measured`);
  return {
    runs,
    floor,
    rows,
    whatIf,
    lazyBytes,
    options:
      'esbuild bundle, platform node, format esm, target node24, minify, mainFields module/main, createRequire banner (as infra/aws/chatlines-function.ts); deployed = @aws-sdk/* external (the Lambda runtime provides it), sdkBundled = SDK inside the bundle',
  };
}
