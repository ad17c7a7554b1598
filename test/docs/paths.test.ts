/**
 * The docs name files that exist: every repository path (`lib/…`, `functions/…`, `infra/…`,
 * `test/…`, `bench/…`, `docs/…`) mentioned in README.md or docs/**\/*.md, and every relative
 * Markdown link. Paths git ignores (build output, screenshots) are left out. And the README stays short.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..');
const ignored = readFileSync(join(ROOT, '.gitignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l.includes('/') && !l.startsWith('#'));

function markdown(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? markdown(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [],
  );
}
/** Pages other branches write (the stack's shape, the offline AWS check); drop an entry once its file is here. */
const WRITTEN_ELSEWHERE = new Set(['docs/decisions/stack-shape.md', 'docs/verify-aws.md']);
const files = [join(ROOT, 'README.md'), ...(existsSync(join(ROOT, 'docs')) ? markdown(join(ROOT, 'docs')) : [])];

/** A path from the repository root, not preceded by a path or URL character. */
const PATH = /(?<![\w./@-])((?:lib|functions|infra|test|bench|docs)\/[\w./-]*\w)/g;
/** A Markdown link or image target. */
const LINK = /\]\(([^)\s]+)\)/g;

describe('paths named in the docs exist', () => {
  for (const file of files) {
    const name = relative(ROOT, file);
    const text = readFileSync(file, 'utf8');
    it(name, () => {
      const missing: string[] = [];
      for (const [, path] of text.matchAll(PATH)) {
        if (ignored.some((i) => `${path}/`.startsWith(i)) || WRITTEN_ELSEWHERE.has(path!)) continue;
        if (!existsSync(join(ROOT, path!))) missing.push(path!);
      }
      for (const [, target] of text.matchAll(LINK)) {
        if (/^[a-z]+:/i.test(target!) || target!.startsWith('#')) continue;
        const path = target!.split('#')[0]!;
        const resolved = join(dirname(file), path);
        if (!existsSync(resolved) && !WRITTEN_ELSEWHERE.has(relative(ROOT, resolved))) missing.push(`link ${target}`);
      }
      assert.deepEqual([...new Set(missing)], [], `${name} names paths that do not exist`);
    });
  }
});

describe('README.md', () => {
  it('stays short: at most 300 lines (details belong in docs/)', () => {
    const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').length;
    assert.ok(lines <= 300, `README.md has ${lines} lines`);
  });
});
