/**
 * Bundles every function into the folder given (`<function>/index.mjs` and its lazy modules):
 * run by the stack's synthesis once (infra/aws/bundling.ts, functionBundle).
 * Usage: node --import tsx infra/aws/bundle-all.ts <outDir>
 */
import { bundleFunctions } from './bundling.ts';

const outDir = process.argv[2];
if (!outDir) throw new Error('usage: bundle-all.ts <outDir>');
const started = performance.now();
const { dirs } = await bundleFunctions(outDir);
console.error(`bundled ${dirs.size} functions in ${((performance.now() - started) / 1000).toFixed(1)} s`);
