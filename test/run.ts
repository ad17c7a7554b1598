/**
 * `npm test`: starts one DynamoDB Local (in memory) for the whole run, then runs every
 * `test/**\/*.test.ts` with Node's test runner; each test file makes its own table and its own
 * local host on a free port. `npm test -- test/api` runs a folder or file only.
 */
import '../infra/local/node-version.ts';
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startDynamoDbLocal } from '../infra/local/dynamodb.ts';
import { ensureClientBuilt } from './support/client-build.ts';

function collect(path: string): string[] {
  if (statSync(path).isFile()) return path.endsWith('.test.ts') ? [path] : [];
  return readdirSync(path)
    .filter((name) => name !== 'node_modules' && name !== 'bench')
    .flatMap((name) => collect(join(path, name)));
}

const root = join(import.meta.dirname, '..');
const targets = process.argv.slice(2);
const files = (targets.length ? targets : [join(root, 'test')]).flatMap((t) => collect(t)).sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

// The client tests share one build of the client (npm ci makes it; a changed source remakes it here).
if (ensureClientBuilt()) console.log('built @chatlines/client (a source was newer than lib/client/dist)');

const dynamo = await startDynamoDbLocal();
console.log(`Node ${process.version}; DynamoDB Local for tests at ${dynamo.endpoint}; ${files.length} test files`);

const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    // Each file's wall time at the end, slowest first.
    '--test-reporter=./test/support/timings.ts',
    '--test-reporter-destination=stdout',
    `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 3}`,
    ...files.map((f) => relative(root, f)),
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, DYNAMODB_ENDPOINT: dynamo.endpoint },
  },
);
const code: number = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
await dynamo.stop();
process.exit(code);
