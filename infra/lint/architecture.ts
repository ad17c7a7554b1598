/**
 * The architecture check of `npm run lint`: dependency-cruiser validates the rules of
 * .dependency-cruiser.cjs over functions/, lib/ and infra/; then every folder is collapsed to
 * one node and any cycle between folders fails too (a folder depends on another when a module
 * inside it imports a module inside the other; a folder and its own subfolder are one unit).
 * Exits 1 and names each offending import when a rule is broken.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cruise, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';

/**
 * Imports exempt from the rules, each listed exactly (from → to) with the reason on the line
 * above it. Empty, and meant to stay so: an entry is a debt, and the check reports it once the
 * import is gone.
 */
export const KNOWN_VIOLATIONS: readonly (readonly [from: string, to: string])[] = [];

/** The runtime and tooling folders the rules are about (test/ and bench/ may import anything). */
export const CHECKED = ['functions', 'lib', 'infra'];
const CHECKED_PATH = /^(functions|lib|infra)\//;

export interface ArchitectureReport {
  /** One line per broken rule: the rule's name and the imports that break it. */
  problems: string[];
  /** Known violations that no longer occur: their lines can go. */
  gone: string[];
}

const edgeKey = (from: string, to: string) => `${from} → ${to}`;

/** The folders that hold `path`, innermost first, up to the top folder. */
function foldersOf(path: string): string[] {
  const folders: string[] = [];
  for (let dir = dirname(path); dir !== '.' && dir !== '/'; dir = dirname(dir)) folders.push(dir);
  return folders;
}
const inside = (path: string, folder: string) => path.startsWith(`${folder}/`);

/** Strongly connected components with more than one node (Tarjan). */
export function cycles(graph: Map<string, Set<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

/** The module imports between checked folders, minus the known violations. */
function importsOf(result: ICruiseResult, known: Set<string>): [string, string][] {
  const edges: [string, string][] = [];
  for (const module of result.modules) {
    if (!CHECKED_PATH.test(module.source)) continue;
    for (const dependency of module.dependencies) {
      if (!CHECKED_PATH.test(dependency.resolved) || known.has(edgeKey(module.source, dependency.resolved))) continue;
      edges.push([module.source, dependency.resolved]);
    }
  }
  return edges;
}

/** Cycles between folders: each folder that holds an importer depends on each folder that holds the imported module, unless one holds the other. */
export function folderCycles(edges: [string, string][]): string[] {
  const graph = new Map<string, Set<string>>();
  const because = new Map<string, Set<string>>();
  for (const [from, to] of edges) {
    for (const a of foldersOf(from)) {
      if (inside(to, a)) continue;
      for (const b of foldersOf(to)) {
        if (inside(from, b)) continue;
        let targets = graph.get(a);
        if (!targets) graph.set(a, (targets = new Set()));
        targets.add(b);
        const key = edgeKey(a, b);
        let imports = because.get(key);
        if (!imports) because.set(key, (imports = new Set()));
        imports.add(edgeKey(from, to));
      }
    }
  }
  return cycles(graph).map((component) => {
    // Name one shortest way round (BFS from the first folder back to it), one import per step.
    const members = new Set(component);
    const start = component[0]!;
    const previous = new Map<string, string>();
    const queue = [start];
    while (queue.length > 0 && !previous.has(start)) {
      const at = queue.shift()!;
      for (const b of [...(graph.get(at) ?? [])].sort()) {
        if (!members.has(b) || previous.has(b)) continue;
        previous.set(b, at);
        queue.push(b);
      }
    }
    const steps: string[] = [];
    let to = start;
    do {
      const from = previous.get(to)!;
      steps.unshift(`    ${from} → ${to}: ${[...because.get(edgeKey(from, to))!].sort()[0]}`);
      to = from;
    } while (to !== start);
    return `no-folder-cycle: ${component.join(', ')}\n${steps.join('\n')}`;
  });
}

/** The imports a violation stands for (a cycle: every import round it). */
function importsOfViolation(v: IViolation): string[] {
  if (v.type !== 'cycle' || !v.cycle) return [edgeKey(v.from, v.to)];
  const path = [v.from, ...v.cycle.map((c) => c.name)];
  return path.slice(1).map((to, i) => edgeKey(path[i]!, to));
}

/** Runs the check on `baseDir` (the repository by default) with the rules of .dependency-cruiser.cjs. */
export async function checkArchitecture(options: { baseDir?: string; known?: readonly (readonly [string, string])[] } = {}): Promise<ArchitectureReport> {
  const root = join(import.meta.dirname, '..', '..');
  const baseDir = options.baseDir ?? root;
  const knownList = options.known ?? KNOWN_VIOLATIONS;
  const known = new Set(knownList.map(([from, to]) => edgeKey(from, to)));
  const config = await extractDepcruiseOptions(join(root, '.dependency-cruiser.cjs'));
  const { output } = await cruise(
    CHECKED.filter((folder) => existsSync(join(baseDir, folder))),
    { ...config, baseDir, validate: true },
  );
  const result = output as ICruiseResult;
  const seen = new Set<string>();
  for (const m of result.modules) for (const d of m.dependencies) seen.add(edgeKey(m.source, d.resolved));

  const problems: string[] = [];
  for (const violation of result.summary.violations) {
    if (violation.rule.severity !== 'error') continue;
    const imports = importsOfViolation(violation);
    if (imports.some((i) => known.has(i))) continue;
    problems.push(`${violation.rule.name}: ${imports.join(', ')}`);
  }
  problems.push(...folderCycles(importsOf(result, known)));
  const gone = [...known].filter((k) => !seen.has(k));
  return { problems, gone };
}

if (import.meta.main) {
  const { problems, gone } = await checkArchitecture();
  for (const line of gone)
    console.warn(`architecture: the known violation ${line} no longer occurs: delete it from KNOWN_VIOLATIONS (infra/lint/architecture.ts)`);
  if (problems.length > 0) {
    console.error(`architecture: ${problems.length} broken rule(s) (.dependency-cruiser.cjs, infra/lint/architecture.ts):`);
    for (const line of problems) console.error(`  ${line}`);
    process.exit(1);
  }
  console.log(`architecture: ok (${KNOWN_VIOLATIONS.length - gone.length} known violations left)`);
}
