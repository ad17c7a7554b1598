/**
 * The architecture check of `npm run lint` bites: on a small tree of its own, each kind of
 * forbidden import makes it fail, naming the rule and the import; a tree that keeps the rules
 * passes; a known violation exempts exactly its own import.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { checkArchitecture } from '../../infra/lint/architecture.ts';

const trees: string[] = [];
after(() => {
  for (const tree of trees) rmSync(tree, { recursive: true, force: true });
});

/** A tree of modules: path → the paths it imports (relative to the tree). */
function tree(modules: Record<string, string[]>): string {
  const root = mkdtempSync(join(tmpdir(), 'chatlines-architecture-'));
  trees.push(root);
  for (const [path, imports] of Object.entries(modules)) {
    mkdirSync(join(root, dirname(path)), { recursive: true });
    const lines = imports.map((target, i) => {
      if (!target.includes('/') || target.startsWith('node:')) return `import * as m${i} from '${target}';`;
      const from = dirname(path)
        .split('/')
        .map(() => '..');
      return `import * as m${i} from '${[...from, target].join('/')}';`;
    });
    writeFileSync(join(root, path), `${lines.join('\n')}\nexport const here = ${JSON.stringify(path)};\n`);
  }
  return root;
}

/** A layout that keeps every rule. */
const GOOD: Record<string, string[]> = {
  'functions/http/get-thing.ts': ['lib/app/things/read.ts', 'lib/contract/routes.ts'],
  'functions/http/put-thing.ts': ['lib/app/things/write.ts'],
  'lib/app/things/read.ts': ['lib/adapters/dynamodb/store.ts', 'lib/domain/things/rules.ts'],
  'lib/app/things/write.ts': ['lib/adapters/dynamodb/store.ts', 'lib/domain/things/rules.ts', 'lib/app/things/read.ts'],
  'lib/adapters/dynamodb/store.ts': ['lib/contract/routes.ts', 'node:net'],
  'lib/domain/things/rules.ts': ['lib/contract/routes.ts'],
  'lib/contract/routes.ts': [],
  'lib/contract/enums.ts': [],
  'lib/client/index.ts': ['lib/contract/enums.ts'],
  'lib/console/src/main.ts': ['lib/console/src/api.ts'],
  'lib/console/src/api.ts': [],
  'infra/local/host.ts': ['functions/http/get-thing.ts', 'lib/app/things/read.ts'],
};

const problemsOf = async (modules: Record<string, string[]>, known: [string, string][] = []) =>
  (await checkArchitecture({ baseDir: tree(modules), known })).problems;

test('a layout that keeps the rules passes', async () => {
  assert.deepEqual(await problemsOf(GOOD), []);
});

const cases: [rule: string, from: string, to: string][] = [
  ['runtime-not-to-infra', 'functions/http/put-thing.ts', 'infra/local/host.ts'],
  ['runtime-not-to-infra', 'lib/app/things/read.ts', 'infra/local/host.ts'],
  ['handler-not-to-handler', 'functions/http/put-thing.ts', 'functions/http/get-thing.ts'],
  ['lib-not-to-functions', 'lib/app/things/write.ts', 'functions/http/get-thing.ts'],
  ['adapters-not-to-rules', 'lib/adapters/dynamodb/store.ts', 'lib/domain/things/rules.ts'],
  ['adapters-not-to-rules', 'lib/adapters/dynamodb/store.ts', 'lib/app/things/read.ts'],
  ['domain-pure', 'lib/domain/things/rules.ts', 'lib/adapters/dynamodb/store.ts'],
  ['domain-pure', 'lib/domain/things/rules.ts', 'lib/app/things/read.ts'],
  ['domain-pure', 'lib/domain/things/rules.ts', 'node:fs'],
  ['contract-standalone', 'lib/contract/routes.ts', 'lib/domain/things/rules.ts'],
  ['client-no-server-code', 'lib/client/index.ts', 'lib/contract/routes.ts'],
  ['client-no-server-code', 'lib/client/index.ts', 'lib/app/things/read.ts'],
  ['console-no-server-code', 'lib/console/src/api.ts', 'lib/client/index.ts'],
  ['console-no-server-code', 'lib/console/src/api.ts', 'lib/contract/enums.ts'],
];

for (const [rule, from, to] of cases) {
  test(`${rule}: ${from} importing ${to} fails`, async () => {
    const problems = await problemsOf({ ...GOOD, [from]: [...(GOOD[from] ?? []), to] });
    const resolved = to.startsWith('node:') ? to.slice('node:'.length) : to;
    assert.ok(
      problems.some((p) => p.startsWith(`${rule}: `) && p.includes(`${from} → ${resolved}`)),
      `expected ${rule} for ${from} → ${to}, got:\n${problems.join('\n')}`,
    );
  });
}

test('an import that does not resolve fails (it would slip past every rule)', async () => {
  const problems = await problemsOf({ ...GOOD, 'lib/domain/things/rules.ts': ['lib/domain/things/missing.ts'] });
  assert.ok(
    problems.some((p) => p.startsWith('not-to-unresolvable: lib/domain/things/rules.ts')),
    problems.join('\n'),
  );
});

test('a module cycle fails', async () => {
  const problems = await problemsOf({ ...GOOD, 'lib/app/things/read.ts': [...GOOD['lib/app/things/read.ts']!, 'lib/app/things/write.ts'] });
  assert.ok(
    problems.some((p) => p.startsWith('no-circular: ')),
    problems.join('\n'),
  );
});

test('a cycle between folders fails, though no module cycle exists', async () => {
  const problems = await problemsOf({
    ...GOOD,
    'lib/app/people/find.ts': ['lib/app/things/read.ts'],
    'lib/app/things/count.ts': ['lib/app/people/names.ts'],
    'lib/app/people/names.ts': [],
  });
  assert.ok(!problems.some((p) => p.startsWith('no-circular: ')), problems.join('\n'));
  const cycle = problems.find((p) => p.startsWith('no-folder-cycle: '));
  assert.ok(cycle, problems.join('\n'));
  assert.match(cycle, /lib\/app\/people, lib\/app\/things/);
  assert.match(cycle, /lib\/app\/people\/find\.ts → lib\/app\/things\/read\.ts/);
  assert.match(cycle, /lib\/app\/things\/count\.ts → lib\/app\/people\/names\.ts/);
});

test('a layer cycle through a subfolder fails (lib/domain/x → lib/app/y → lib/domain)', async () => {
  const problems = await problemsOf({
    ...GOOD,
    'lib/domain/ids.ts': [],
    'lib/app/things/read.ts': [...GOOD['lib/app/things/read.ts']!, 'lib/domain/ids.ts'],
    'lib/domain/things/rules.ts': ['lib/app/things/read.ts'],
  });
  assert.ok(
    problems.some((p) => p.startsWith('no-folder-cycle: ')),
    problems.join('\n'),
  );
});

test('a known violation exempts exactly its own import, and is reported once gone', async () => {
  const modules = { ...GOOD, 'lib/adapters/dynamodb/store.ts': ['lib/domain/things/rules.ts', 'lib/app/things/read.ts'] };
  const known: [string, string][] = [
    ['lib/adapters/dynamodb/store.ts', 'lib/domain/things/rules.ts'],
    ['lib/adapters/dynamodb/gone.ts', 'lib/domain/things/rules.ts'],
  ];
  const report = await checkArchitecture({ baseDir: tree(modules), known });
  assert.deepEqual(
    report.problems.filter((p) => p.startsWith('adapters-not-to-rules')),
    ['adapters-not-to-rules: lib/adapters/dynamodb/store.ts → lib/app/things/read.ts'],
  );
  assert.deepEqual(report.gone, ['lib/adapters/dynamodb/gone.ts → lib/domain/things/rules.ts']);
});
