/**
 * The architecture: data flows one way (input → C facts → simulation → rules → review → formats → hosts), the core
 * stays editor-free (only src/extension imports 'vscode') and does no I/O.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '../../..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (/\.(ts|tsx|js|mjs|cjs)$/.test(entry.name)) out.push(full);
  }
  return out;
}

/**
 * The layer of every place under src/, lowest first. A module may import from its own layer or a lower one, never
 * from a higher one. The longest matching prefix decides; a file no prefix matches fails the test (add it here).
 */
const LAYERS: readonly { prefix: string; layer: number; what: string }[] = [
  { prefix: 'src/core/types.ts', layer: 0, what: 'shared types' },
  { prefix: 'src/core/errno.ts', layer: 0, what: 'errno names' },
  { prefix: 'src/core/limits.ts', layer: 0, what: 'budgets' },
  { prefix: 'src/core/git-blob.ts', layer: 0, what: 'git blob ids' },
  { prefix: 'src/core/input/', layer: 1, what: 'input: diff/mbox parsing, views' },
  { prefix: 'src/core/c/', layer: 2, what: 'C facts' },
  { prefix: 'src/core/sim/', layer: 3, what: 'simulation and the kernel vocabulary' },
  { prefix: 'src/core/patch-evidence.ts', layer: 3, what: 'simulation: pre/post replay of a hunk' },
  { prefix: 'src/rules/', layer: 4, what: 'rules' },
  { prefix: 'src/review/', layer: 5, what: 'analyze(): the run of the rules over an input' },
  { prefix: 'src/format/', layer: 6, what: 'formats' },
  { prefix: 'src/cli/', layer: 7, what: 'host: command line' },
  { prefix: 'src/extension/', layer: 7, what: 'host: VS Code' },
];

function layerOf(rel: string): { prefix: string; layer: number; what: string } | undefined {
  let best: (typeof LAYERS)[number] | undefined;
  for (const l of LAYERS) if (rel.startsWith(l.prefix) && (!best || l.prefix.length > best.prefix.length)) best = l;
  return best;
}

interface ImportRef {
  spec: string;
  /** `import type` / `export type`: erased at build time. */
  typeOnly: boolean;
}

/** Every module a source text imports: static imports and re-exports (also multi-line), import(), require(). */
export function importsOf(text: string): ImportRef[] {
  const out: ImportRef[] = [];
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  for (const m of code.matchAll(/(?:^|[;\n])\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s*)?['"]([^'"]+)['"]/g)) {
    out.push({ spec: m[3], typeOnly: m[2] !== undefined });
  }
  for (const m of code.matchAll(/\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push({ spec: m[1], typeOnly: false });
  return out;
}

/** The repository path a relative import resolves to (a .ts file or a folder's index.ts), or undefined for packages. */
function resolveImport(fromRel: string, spec: string, exists: (rel: string) => boolean): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(fromRel), spec));
  for (const cand of [base, `${base}.ts`, `${base}/index.ts`, base.replace(/\.js$/, '.ts')]) if (exists(cand)) return cand;
  return base;
}

interface Violation {
  file: string;
  imports: string;
  why: string;
}

/** Every import of `files` that runs back up the layer order, imports vscode outside src/extension, or is unplaced. */
export function layerViolations(files: readonly { rel: string; text: string }[]): Violation[] {
  const known = new Set(files.map((f) => f.rel));
  const out: Violation[] = [];
  for (const f of files) {
    const from = layerOf(f.rel);
    if (!from) {
      out.push({ file: f.rel, imports: '', why: 'no layer: add its place to LAYERS' });
      continue;
    }
    for (const ref of importsOf(f.text)) {
      if (ref.spec === 'vscode') {
        if (!f.rel.startsWith('src/extension/')) out.push({ file: f.rel, imports: 'vscode', why: 'only src/extension may import vscode' });
        continue;
      }
      const target = resolveImport(f.rel, ref.spec, (r) => known.has(r));
      if (!target || !target.startsWith('src/')) continue;
      const to = layerOf(target);
      if (!to) {
        out.push({ file: f.rel, imports: target, why: 'imports a module with no layer' });
        continue;
      }
      if (to.layer > from.layer) {
        out.push({ file: f.rel, imports: target, why: `${from.what} (layer ${from.layer}) imports ${to.what} (layer ${to.layer})` });
      }
      // Formats render results; rule metadata types are all they may take from the rules.
      if (from.prefix === 'src/format/' && to.prefix === 'src/rules/' && !ref.typeOnly) {
        out.push({ file: f.rel, imports: target, why: 'formats take only types from the rules' });
      }
    }
  }
  return out;
}

function repoSources(): { rel: string; text: string }[] {
  return sourceFiles(path.join(REPO_ROOT, 'src'))
    .map((f) => ({ rel: path.relative(REPO_ROOT, f).split(path.sep).join('/'), text: fs.readFileSync(f, 'utf8') }));
}

test('every import runs down the layer order (input → C facts → simulation → rules → review → formats → hosts)', () => {
  const files = repoSources();
  assert.ok(files.length > 50, 'the source tree was found');
  assert.deepEqual(layerViolations(files), []);
});

test('the layer check fails on imports that run back up, on vscode in the core, and on unplaced files', () => {
  const files = [
    { rel: 'src/core/c/extract.ts', text: "import { simulateDriver } from '../sim';\n" },
    { rel: 'src/core/sim/index.ts', text: '' },
    { rel: 'src/core/input/diff.ts', text: "import {\n  x,\n  y,\n} from '../sim/index';\n" },
    { rel: 'src/core/sim/replay.ts', text: "export { RULES } from '../../rules';\n" },
    { rel: 'src/rules/index.ts', text: "const r = require('../review/analyze');\n" },
    { rel: 'src/review/analyze.ts', text: "import 'vscode';\n" },
    { rel: 'src/format/sarif.ts', text: "import type { RuleMeta } from '../rules/types';\nimport { RULES } from '../rules';\n" },
    { rel: 'src/rules/types.ts', text: '' },
    { rel: 'src/cli/main.ts', text: "import { analyze } from '../review/analyze';\nimport * as fs from 'node:fs';\n" },
    { rel: 'src/newplace/x.ts', text: '' },
  ];
  const v = layerViolations(files).map((x) => `${x.file} → ${x.imports}`);
  assert.deepEqual(v, [
    'src/core/c/extract.ts → src/core/sim/index.ts',
    'src/core/input/diff.ts → src/core/sim/index.ts',
    'src/core/sim/replay.ts → src/rules/index.ts',
    'src/rules/index.ts → src/review/analyze.ts',
    'src/review/analyze.ts → vscode',
    'src/format/sarif.ts → src/rules/index.ts',
    'src/newplace/x.ts → ',
  ]);
});

test('import parsing: static, type-only, re-export, multi-line, dynamic and require forms; not comments', () => {
  const refs = importsOf(
    [
      "import * as vscode from 'vscode';",
      'import { window } from "vscode";',
      "import type { A } from './a';",
      "export type { B } from './b';",
      "export * from './c';",
      "import {\n  d,\n  e,\n} from './de';",
      "const f = require('./f');",
      "const g = await import('./g');",
      "import './side-effect';",
      "// import { no } from './commented';",
      "/* import { no2 } from './block'; */",
      "const s = 'import x from \"./in-string\"';",
    ].join('\n'),
  );
  assert.deepEqual(
    refs.map((r) => `${r.spec}${r.typeOnly ? ' (type)' : ''}`),
    ['vscode', 'vscode', './a (type)', './b (type)', './c', './de', './side-effect', './f', './g'],
  );
});

test('the core does no file-system or network I/O', () => {
  // node-wasm.ts is the one allowed reader (it loads the wasm bytes for node hosts).
  const core = ['src/core', 'src/rules', 'src/review', 'src/format'].flatMap((d) => (fs.existsSync(path.join(REPO_ROOT, d)) ? sourceFiles(path.join(REPO_ROOT, d)) : []));
  const offenders = core
    .filter((f) => !f.endsWith(path.join('c', 'node-wasm.ts')))
    .filter((f) => /from\s+['"](node:)?(fs|net|http|https|child_process)['"]|require\(['"](node:)?(fs|net|http|https|child_process)['"]\)/.test(fs.readFileSync(f, 'utf8')))
    .map((f) => path.relative(REPO_ROOT, f));
  assert.deepEqual(offenders, []);
});
