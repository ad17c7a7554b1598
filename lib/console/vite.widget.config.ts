/** The web-chat widget: one self-contained script (`widget.js`, IIFE) that a site embeds. */
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const root = import.meta.dirname;

export default defineConfig({
  root,
  logLevel: 'warn',
  build: {
    outDir: resolve(root, '../../dist/console'),
    emptyOutDir: false,
    target: 'es2020',
    reportCompressedSize: false,
    lib: { entry: resolve(root, 'widget/widget.ts'), name: 'ChatlinesWidget', formats: ['iife'], fileName: () => 'widget.js' },
  },
});
