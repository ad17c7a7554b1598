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
import { build, type Metafile } from 'esbuild';
import { bundleFunctions, bundleLazy, bundleOptions, lazyModules } from '../infra/aws/bundling.ts';
import { allFunctionNames } from '../infra/functions.ts';
import { log, median, progress, round } from './support.ts';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(import.meta.dirname, 'results', 'tmp', 'bundles');

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
  // Every function the stack deploys: the routes', the scheduled ones, and the stream, queue, socket and mail functions.
  const functions = allFunctionNames();
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const floorEntry = join(OUT, 'floor-entry.ts');
  writeFileSync(floorEntry, FLOOR_SOURCE);

  const targets: { name: string; variant: 'deployed' | 'sdkBundled'; file: string; bytes: number; heaviest: BundleRow['heaviest'] }[] = [];
  for (const variant of ['deployed', 'sdkBundled'] as const) {
    const sdk = variant === 'sdkBundled';
    const outdir = join(OUT, variant);
    const started = performance.now();
    const floor = await build({ ...bundleOptions(sdk), entryPoints: [{ in: floorEntry, out: '__floor__' }], outdir, metafile: true });
    const floorFile = join(outdir, '__floor__.mjs');
    targets.push({ name: '__floor__', variant, file: floorFile, bytes: statSync(floorFile).size, heaviest: heaviest(floor.metafile!, floorFile) });
    // The stack's own bundling (infra/aws/bundling.ts): the same options, plugins and lazy modules.
    const { dirs, metafile } = await bundleFunctions(outdir, functions, sdk);
    for (const [name, dir] of dirs) {
      const file = join(dir, 'index.mjs');
      targets.push({ name, variant, file, bytes: statSync(file).size, heaviest: heaviest(metafile, file) });
    }
    log(`  esbuild (${variant}): ${functions.length} functions in ${((performance.now() - started) / 1000).toFixed(1)} s`);
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
  if (largest) {
    whatIf.push({ function: largest.function, change: 'as built', bytes: largest.bytes });
    const zod = largest.heaviest.find((h) => h.input === 'zod');
    if (zod) whatIf.push({ function: largest.function, change: 'of which zod (zod/mini, English locale)', bytes: zod.bytes });
  }
  const lazyBytes: Record<string, number> = {};
  for (const name of lazyModules()) lazyBytes[name] = await bundleLazy(name, join(OUT, 'lazy', `${name}.mjs`));
  log(`  bundles: ${rows.length} function bundles measured`);
  return {
    runs,
    floor,
    rows,
    whatIf,
    lazyBytes,
    options:
      "the stack's own bundling (infra/aws/bundling.ts): esbuild, platform node, format esm, target node24, minify, mainFields module/main, createRequire banner, lib/contract's top-level calls marked pure; deployed = @aws-sdk/* external (the Lambda runtime provides it), sdkBundled = SDK inside the bundle",
  };
}
