/**
 * Modules a function's bundle leaves out and imports on first use, so that a cold start never
 * parses them: each file of lib/adapters/lazy/ (`<name>.ts`). The stack bundles one beside a
 * function's index.mjs as `<name>.mjs` when the bundle names it (`importLazy('<name>')`; see
 * infra/aws/bundling.ts); unbundled (tsx: the local host, the tests) the source file is
 * imported. The specifier is computed, so esbuild leaves the import alone instead of inlining it.
 *
 * Three kinds: a package a cold start need not parse (`tracing`, `metrics`, `file-type`,
 * `mail-transport`); one a function needs on every run but only after I/O it can overlap
 * (`visitor-token`, loaded while the visitor secret is read; `mail-parser`, while the mail is
 * read from S3); and code of which a request needs one piece of several: each native
 * messenger's adapter (`messenger-<name>`, loaded by lib/adapters/messengers/index.ts for the
 * channel type at hand), so a channel route or a hook carries none of them in its index.mjs. A
 * bundle that names several gets every one beside it; it parses only those it imports.
 */

/** The lazily loaded modules, each `lib/adapters/lazy/<name>.ts`. */
export type LazyModule =
  | 'tracing'
  | 'metrics'
  | 'file-type'
  | 'mail-transport'
  | 'mail-parser'
  | 'visitor-token'
  | 'messenger-telegram'
  | 'messenger-whatsapp'
  | 'messenger-viber'
  | 'messenger-instagram';

/** Imports lib/adapters/lazy/<name>.ts, or `<name>.mjs` beside the bundle. */
export async function importLazy<T>(name: LazyModule): Promise<T> {
  const bundled = !import.meta.url.endsWith('.ts');
  return (await import(new URL(bundled ? `./${name}.mjs` : `./lazy/${name}.ts`, import.meta.url).href)) as T;
}

/**
 * `load` run once, on the first call, its promise shared by every later call; a failure is not
 * kept (the next call tries again). What the lazily loaded SDK clients and modules are held by.
 */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}
