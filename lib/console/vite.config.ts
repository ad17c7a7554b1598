/**
 * The console's build: the operator workspace + supervisor dashboard (index.html)
 * and the widget demo page, from lib/console into dist/console (git-ignored). Relative asset
 * paths: the same files serve from the local host's `/` and from the CloudFront root.
 * The widget (widget.js) is a second build: vite.widget.config.ts.
 */
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const root = import.meta.dirname;

export default defineConfig({
  root,
  base: './',
  logLevel: 'warn',
  build: {
    outDir: resolve(root, '../../dist/console'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    rollupOptions: {
      input: { index: resolve(root, 'index.html'), demo: resolve(root, 'demo.html') },
    },
  },
});
