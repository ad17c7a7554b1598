/** The generated parts of docs/ are what the code and the tests say today (`npm run docs` rewrites them). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generatedFiles, ROOT } from './generate.ts';

describe('generated docs', () => {
  for (const file of generatedFiles()) {
    it(`${file.path} is up to date (run \`npm run docs\` if not)`, () => {
      assert.equal(readFileSync(join(ROOT, file.path), 'utf8'), file.content);
    });
  }
});
