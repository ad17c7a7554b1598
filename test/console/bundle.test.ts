/** The console stays small: budgets on the built files (dist/console), raw bytes, minified. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { consoleDir } from '../../infra/local/console.ts';

const dir = consoleDir();
const size = (file: string) => statSync(join(dir, file)).size;
const assets = () => readdirSync(join(dir, 'assets'));
const asset = (prefix: string, ext: string) => assets().filter((f) => f.startsWith(`${prefix}-`) && f.endsWith(ext));

before(() => {
  if (!existsSync(join(dir, 'index.html'))) assert.equal(spawnSync('npm', ['run', '-s', 'build:console'], { stdio: 'inherit' }).status, 0);
});

describe('console bundle sizes', () => {
  // 16 KB since it carries the live socket, files and the rating survey (13.1 KB then, 5.1 KB gzipped).
  it('widget.js ≤ 16 KB (one self-contained script, no dependencies)', () => {
    assert.ok(size('widget.js') <= 16 * 1024, `widget.js ${size('widget.js')} B`);
    assert.ok(gzipSync(readFileSync(join(dir, 'widget.js'))).length <= 6 * 1024);
  });

  it('the workspace (first page) ≤ 40 KB of JS + CSS; the dashboard chunk (uPlot) ≤ 80 KB, loaded only by supervisors', () => {
    const first = [...asset('index', '.js'), ...asset('index', '.css'), ...asset('workspace', '.js'), ...asset('live', '.js')];
    const total = first.reduce((n, f) => n + size(`assets/${f}`), 0);
    assert.ok(total <= 40 * 1024, `workspace ${total} B: ${first.join(', ')}`);
    const dashboard = [...asset('dashboard', '.js'), ...asset('dashboard', '.css')].reduce((n, f) => n + size(`assets/${f}`), 0);
    assert.ok(dashboard > 0 && dashboard <= 80 * 1024, `dashboard ${dashboard} B`);
  });
});
