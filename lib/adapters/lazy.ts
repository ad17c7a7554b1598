/**
 * Modules a function's bundle leaves out and imports on first use, so that a cold start never
 * parses them: each file of lib/adapters/lazy/ (`<name>.ts`). The stack bundles one beside a
 * function's index.mjs as `<name>.mjs` when the bundle names it (`importLazy('<name>')`; see
 * infra/aws/chatlines-function.ts); unbundled (tsx: the local host, the tests) the source file is
 * imported. The specifier is computed, so esbuild leaves the import alone instead of inlining it.
 */

/** The lazily loaded modules, each `lib/adapters/lazy/<name>.ts`. */
export type LazyModule = 'tracing' | 'file-type' | 'mail-transport';

/** Imports lib/adapters/lazy/<name>.ts, or `<name>.mjs` beside the bundle. */
export async function importLazy<T>(name: LazyModule): Promise<T> {
  const bundled = !import.meta.url.endsWith('.ts');
  return (await import(new URL(bundled ? `./${name}.mjs` : `./lazy/${name}.ts`, import.meta.url).href)) as T;
}
