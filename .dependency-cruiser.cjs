/**
 * The architecture rules, checked by `npm run lint` (infra/lint/architecture.ts runs
 * dependency-cruiser with them, then checks folder cycles):
 *
 *   functions → app → domain → contract;  app → adapters → contract.
 *   Nothing at runtime imports infra/; no handler imports another; adapters import no rules or
 *   use cases; the pure rules do no I/O; the client and the console import no server code.
 *
 * TypeScript 7 has no compiler API for dependency-cruiser, so it parses with swc, which also
 * reports `import type` (type-only imports count: a rule holds for types too).
 */

/** Modules that do I/O: the pure rules (lib/domain) import none of them. */
const IO_MODULES = [
  '^(node:)?(fs|fs/promises|net|dns|dns/promises|http|https|http2|tls|dgram|child_process|cluster|worker_threads|readline)$',
  '^node_modules/@aws-sdk/',
  '^node_modules/@aws-lambda-powertools/',
  '^node_modules/ws/',
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'runtime-zod-mini-only',
      comment:
        "Runtime code validates with zod/mini through lib/contract/zod.ts: one import of classic 'zod' puts its ~97 KB (every schema class, method and locale) back in every bundle that reaches it.",
      severity: 'error',
      from: { path: '^(functions|lib/(contract|domain|app|adapters))/' },
      to: { path: '^node_modules/zod/(index|v4/classic/|v4/index)' },
    },
    {
      name: 'runtime-not-to-infra',
      comment: 'Runtime code (functions/, lib/) never imports infra/: the stack and the local host wrap the runtime, not the other way round.',
      severity: 'error',
      from: { path: '^(functions|lib)/' },
      to: { path: '^infra/' },
    },
    {
      name: 'handler-not-to-handler',
      comment: 'A handler never imports another handler: what two handlers share lives in lib/app (or lower).',
      severity: 'error',
      from: { path: '^functions/' },
      to: { path: '^functions/' },
    },
    {
      name: 'lib-not-to-functions',
      comment: 'lib/ never imports a handler: handlers are the outermost layer.',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: '^functions/' },
    },
    {
      name: 'adapters-not-to-rules',
      comment: 'Adapters (the store, AWS, HTTP) import no rules and no use cases: lib/adapters → lib/contract (and other adapters) only.',
      severity: 'error',
      from: { path: '^lib/adapters/' },
      to: { path: '^lib/(domain|app)/' },
    },
    {
      name: 'domain-pure',
      comment: 'The pure rules (lib/domain) import only lib/contract and each other: no use case, no adapter, nothing that does I/O.',
      severity: 'error',
      from: { path: '^lib/domain/' },
      to: { path: ['^lib/(app|adapters|client|console)/', '^functions/', '^infra/', ...IO_MODULES] },
    },
    {
      name: 'contract-standalone',
      comment: 'The contract (routes, schemas, errors) is imported by every layer and imports nothing of lib/ but itself.',
      severity: 'error',
      from: { path: '^lib/contract/' },
      to: { path: ['^lib/(domain|app|adapters|client|console)/', '^functions/', '^infra/'] },
    },
    {
      name: 'client-no-server-code',
      comment: 'The client SDK ships to browsers and other Node apps: of the server it imports only the enums (lib/contract/enums.ts).',
      severity: 'error',
      from: { path: '^lib/client/' },
      to: { path: ['^lib/(?!client/)', '^functions/', '^infra/'], pathNot: '^lib/contract/enums\\.ts$' },
    },
    {
      name: 'enums-standalone',
      comment: 'lib/contract/enums.ts is bundled into the client: it imports nothing, so no server code reaches the client through it.',
      severity: 'error',
      from: { path: '^lib/contract/enums\\.ts$' },
      to: {},
    },
    {
      name: 'console-no-server-code',
      comment: 'The console runs in the browser and talks HTTP only: it imports nothing outside lib/console.',
      severity: 'error',
      from: { path: '^lib/console/' },
      to: { path: ['^lib/(?!console/)', '^functions/', '^infra/'] },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves, so no import slips past the rules above (aws-lambda is a types-only package: @types/aws-lambda).',
      severity: 'error',
      from: { path: '^(functions|lib|infra)/' },
      to: { couldNotResolve: true, pathNot: '^aws-lambda$' },
    },
    {
      name: 'no-circular',
      comment: 'No module cycle: it makes load order matter and hides which module owns what. (Cycles between folders: infra/lint/architecture.ts.)',
      severity: 'error',
      from: { path: '^(functions|lib|infra)/' },
      to: { circular: true },
    },
  ],
  options: {
    parser: 'swc',
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['(^|/)dist/', '^cdk\\.out/', '^\\.chatlines/'] },
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'node', 'default', 'types'],
      extensions: ['.ts', '.mjs', '.js', '.json'],
    },
  },
};
