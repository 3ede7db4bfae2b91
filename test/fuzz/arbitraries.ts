/**
 * Fuzzing shared by the quick run (test/unit/fuzz-quick.test.ts) and the long run (test/fuzz/long.ts):
 * inputs (arbitrary bytes, and mutations of the project's own fixtures) and the invariants analyze() must keep.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import type { Analyzer } from '../../src/review/analyze';
import type { AnalysisResult } from '../../src/core/types';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const FAILURES_DIR = path.join(REPO_ROOT, 'test/fuzz-failures');
const SEED_DIRS = ['test/fixtures', 'examples'];
const SEED_FILE = /\.(patch|diff|mbox|mbx|eml|c|h)$/;

export interface SeedFile {
  name: string;
  bytes: Uint8Array;
}

/** The project's fixtures (patches, mails, mboxes, C files): the starting points of the mutations. */
export function loadSeeds(): SeedFile[] {
  const out: SeedFile[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (SEED_FILE.test(entry.name) && fs.statSync(full).size <= 256 * 1024) {
        out.push({ name: path.relative(REPO_ROOT, full), bytes: new Uint8Array(fs.readFileSync(full)) });
      }
    }
  };
  for (const dir of SEED_DIRS) if (fs.existsSync(path.join(REPO_ROOT, dir))) walk(path.join(REPO_ROOT, dir));
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Regression inputs saved by earlier fuzz runs (every file but the notes). */
export function loadFailures(): SeedFile[] {
  if (!fs.existsSync(FAILURES_DIR)) return [];
  return fs
    .readdirSync(FAILURES_DIR)
    .filter((f) => !f.endsWith('.md') && !f.endsWith('.json') && !f.startsWith('tmp-'))
    .sort()
    .map((f) => ({ name: path.join('test/fuzz-failures', f), bytes: new Uint8Array(fs.readFileSync(path.join(FAILURES_DIR, f))) }));
}

// ───────────────────────────── mutations ─────────────────────────────

const encoder = new TextEncoder();
const latin1 = new TextDecoder('latin1');

function splitLines(bytes: Uint8Array): string[] {
  return latin1.decode(bytes).split('\n');
}

/** Lines → bytes without re-encoding: latin1 keeps every byte of the original as one char. */
function joinLines(lines: string[]): Uint8Array {
  const text = lines.join('\n');
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A mutation: given the input and a random position in [0, 1), returns the mutated input. */
type Mutation = (bytes: Uint8Array, where: number) => Uint8Array;

const at = (length: number, where: number): number => Math.min(length, Math.floor(where * (length + 1)));

const HEADERS = [
  'Content-Type: multipart/mixed; boundary="zz"',
  'Content-Transfer-Encoding: base64',
  'Content-Transfer-Encoding: quoted-printable',
  'Content-Type: text/plain; charset=iso-8859-1',
  'Subject: [PATCH v3 07/14] misc: =?utf-8?q?a=20subject?=',
  'From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001',
  '@@ -1,3 +1,4 @@',
  'diff --git a/drivers/x.c b/drivers/x.c',
  '+++ b/drivers/x.c',
  '--- a/drivers/x.c',
  'Content-Type: application/octet-stream',
  '> > +\tiommu_device_claim_dma_owner(dev, owner);',
];

export function mutationArbitrary(): fc.Arbitrary<{ name: string; apply: Mutation }> {
  const lineEdit = (name: string, edit: (lines: string[], i: number) => void): { name: string; apply: Mutation } => ({
    name,
    apply: (bytes, where) => {
      const lines = splitLines(bytes);
      edit(lines, Math.min(lines.length - 1, Math.floor(where * lines.length)));
      return joinLines(lines);
    },
  });
  return fc.oneof(
    fc.integer({ min: 0, max: 255 }).map((value) => ({
      name: `byte-flip(${value})`,
      apply: (bytes: Uint8Array, where: number) => {
        const out = bytes.slice();
        if (out.length > 0) out[Math.min(out.length - 1, Math.floor(where * out.length))] ^= value || 1;
        return out;
      },
    })),
    fc.constant({ name: 'truncate', apply: (bytes: Uint8Array, where: number) => bytes.slice(0, at(bytes.length, where)) }),
    fc.constant(lineEdit('duplicate-line', (lines, i) => void lines.splice(i, 0, lines[i]))),
    fc.constant(lineEdit('delete-line', (lines, i) => void lines.splice(i, 1))),
    fc.integer({ min: 1, max: 40 }).map((n) => lineEdit(`delete-${n}-lines`, (lines, i) => void lines.splice(i, n))),
    fc.constant({ name: 'crlf', apply: (bytes: Uint8Array) => joinLines(splitLines(bytes).map((l) => `${l}\r`)) }),
    fc.constant({ name: 'cr-only', apply: (bytes: Uint8Array) => joinLines([splitLines(bytes).join('\r')]) }),
    fc.constantFrom(...HEADERS).map((header) => lineEdit(`header(${header.slice(0, 30)})`, (lines, i) => void lines.splice(i, 0, header))),
    fc.constantFrom('+{', '+}', ' {', ' }', '-}', '+\t}', '+#if 0', '+#endif', '+/*', '+"', "+'").map((piece) =>
      lineEdit(`brace(${piece})`, (lines, i) => void lines.splice(i, 0, piece)),
    ),
    fc.tuple(fc.constantFrom('{', '(', '[', 'if (x) {', '/*', '#ifdef A\n'), fc.integer({ min: 50, max: 3000 })).map(([open, depth]) =>
      lineEdit(`nesting(${open.trim()}x${depth})`, (lines, i) => void lines.splice(i, 0, `+${open.repeat(depth)}`)),
    ),
    fc.tuple(fc.constantFrom('x', 'iommu_device_claim_dma_owner(d, o);', '\t', '{', '\\', '\0'), fc.integer({ min: 10_000, max: 300_000 })).map(
      ([piece, length]) => lineEdit(`gigantic-line(${length})`, (lines, i) => {
        lines.splice(i, 0, `+${piece.repeat(Math.ceil(length / piece.length)).slice(0, length)}`);
      }),
    ),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((junk) => ({
      name: 'insert-bytes',
      apply: (bytes: Uint8Array, where: number) => {
        const i = at(bytes.length, where);
        return concat(bytes.slice(0, i), junk, bytes.slice(i));
      },
    })),
    fc.constant({ name: 'utf8-bom+nul', apply: (bytes: Uint8Array) => concat(new Uint8Array([0xef, 0xbb, 0xbf]), bytes, new Uint8Array([0, 0xff, 0xfe])) }),
    fc.constant({
      name: 'quote-reply',
      apply: (bytes: Uint8Array) => joinLines(splitLines(bytes).map((l) => `> ${l}`)),
    }),
    fc.constant({
      name: 'series-doubled',
      apply: (bytes: Uint8Array) => concat(bytes, encoder.encode('\n'), bytes),
    }),
  );
}

export interface FuzzCase {
  /** What was done, for the report. */
  label: string;
  bytes: Uint8Array;
  path: string;
  /** Give analyze() a string instead of bytes (both are accepted). */
  asString: boolean;
}

const INPUT_PATHS = ['fuzz.patch', 'fuzz.mbox', 'fuzz.eml', 'fuzz.diff', 'drivers/fuzz/fuzz.c', 'fuzz.h', '<stdin>'];

export function mutatedCaseArbitrary(seeds: SeedFile[]): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      seed: fc.integer({ min: 0, max: seeds.length - 1 }),
      steps: fc.array(fc.tuple(mutationArbitrary(), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })), { minLength: 1, maxLength: 3 }),
      asString: fc.boolean(),
      keepPath: fc.boolean(),
      otherPath: fc.constantFrom(...INPUT_PATHS),
    })
    .map(({ seed, steps, asString, keepPath, otherPath }) => {
      let bytes = seeds[seed].bytes;
      for (const [mutation, where] of steps) bytes = mutation.apply(bytes, where);
      const seedName = seeds[seed].name;
      return {
        label: `${seedName} ← ${steps.map(([m, w]) => `${m.name}@${w.toFixed(3)}`).join(', ')}`,
        bytes,
        path: keepPath ? path.basename(seedName) : otherPath,
        asString,
      };
    });
}

export function arbitraryBytesCaseArbitrary(): fc.Arbitrary<FuzzCase> {
  return fc
    .record({ bytes: fc.uint8Array({ maxLength: 4096 }), where: fc.constantFrom(...INPUT_PATHS), asString: fc.boolean() })
    .map(({ bytes, where, asString }) => ({ label: 'arbitrary bytes', bytes, path: where, asString }));
}

/** Arbitrary text shaped like a patch (headers, hunks, C-ish lines): reaches deeper than random bytes. */
export function patchShapedCaseArbitrary(): fc.Arbitrary<FuzzCase> {
  const cLine = fc.oneof(
    fc.constantFrom('{', '}', 'return ret;', 'goto err;', 'err:', 'if (ret)', 'int ret;', 'ret = iommu_device_claim_dma_owner(dev, o);',
      'iommu_device_release_dma_owner(dev);', 'static int p_probe(struct pci_dev *pdev)', '.driver_managed_dma = true,',
      'static struct pci_driver d = {', '};', 'module_pci_driver(d);', 'iommu_attach_group(dom, grp);', '#ifdef CONFIG_X', '#endif'),
    fc.string({ maxLength: 40 }),
  );
  const line = fc.tuple(fc.constantFrom('+', '-', ' ', '', '> +', '@@ -1,3 +1,3 @@ '), cLine).map(([p, l]) => `${p}${l}`);
  return fc
    .record({ lines: fc.array(line, { maxLength: 120 }), newFile: fc.boolean(), asString: fc.boolean() })
    .map(({ lines, newFile, asString }) => {
      const header = newFile
        ? ['diff --git a/drivers/f/f.c b/drivers/f/f.c', 'new file mode 100644', '--- /dev/null', '+++ b/drivers/f/f.c', `@@ -0,0 +1,${lines.length} @@`]
        : ['diff --git a/drivers/f/f.c b/drivers/f/f.c', '--- a/drivers/f/f.c', '+++ b/drivers/f/f.c', `@@ -10,${lines.length} +10,${lines.length} @@ static int f(void)`];
      return { label: 'patch-shaped', bytes: encoder.encode([...header, ...lines].join('\n')), path: 'shaped.patch', asString };
    });
}

// ───────────────────────────── invariants ─────────────────────────────

function lineCountOf(bytes: Uint8Array): number {
  let n = 1;
  for (const b of bytes) if (b === 10 || b === 13) n++;
  return n;
}

/** Checks what every analyze() result must satisfy; throws an Error naming the broken invariant. */
export function checkResult(c: FuzzCase, r: AnalysisResult): void {
  const fail = (what: string): never => {
    throw new Error(`invariant broken: ${what}`);
  };
  if (!r || !Array.isArray(r.findings) || !Array.isArray(r.problems) || !Array.isArray(r.inputs)) fail('result shape');
  const s = r.stats;
  if (s.inputs !== 1) fail(`stats.inputs ${s.inputs} for one input`);
  if (s.reviewed + s.skipped + s.failed !== s.inputs) fail(`reviewed ${s.reviewed} + skipped ${s.skipped} + failed ${s.failed} ≠ inputs ${s.inputs}`);
  if (s.findings !== r.findings.length) fail('stats.findings ≠ findings.length');
  if (r.inputs.length !== 1 || r.inputs[0].path !== c.path) fail('inputs[] does not name the input');
  const maxLine = lineCountOf(c.bytes) + 1;
  for (const f of r.findings) {
    if (!/^OWN\d{3}$/.test(f.code)) fail(`finding code ${f.code}`);
    if (typeof f.message !== 'string' || f.message.length === 0) fail('empty finding message');
    const loc = f.location;
    if (!Number.isInteger(loc.line) || loc.line < 1 || !Number.isInteger(loc.column) || loc.column < 1) fail(`finding location ${loc.line}:${loc.column}`);
    if (loc.path === c.path && loc.line > maxLine) fail(`finding line ${loc.line} past the input's ${maxLine - 1} lines`);
  }
  for (const p of r.problems) {
    if (typeof p.message !== 'string' || p.message.length === 0) fail('empty problem message');
    if (p.kind !== 'skipped' && p.kind !== 'failed') fail(`problem kind ${String(p.kind)}`);
    if (p.line !== undefined && (!Number.isInteger(p.line) || p.line < 1)) fail(`problem line ${p.line}`);
  }
  // Every host serialises the result (CLI JSON, worker messages): it must survive a JSON round trip.
  JSON.stringify(r);
}

/** Runs one case; returns undefined when it holds, else the error (a throw out of analyze() or a broken invariant). */
export function runCase(analyzer: Analyzer, c: FuzzCase, inspect?: (r: AnalysisResult) => void): Error | undefined {
  try {
    const content = c.asString ? new TextDecoder().decode(c.bytes) : c.bytes;
    const r = analyzer.analyze([{ path: c.path, content }], { includeTraces: true });
    checkResult(c, r);
    inspect?.(r);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/** Writes a failing input (and what went wrong) to test/fuzz-failures/, named by its content hash. */
export function saveFailure(c: FuzzCase, error: Error, hash: (bytes: Uint8Array) => string): string {
  fs.mkdirSync(FAILURES_DIR, { recursive: true });
  const ext = path.extname(c.path) || '.patch';
  const base = `${hash(c.bytes).slice(0, 16)}${ext === '.h' || ext === '.c' ? ext : ext}`;
  fs.writeFileSync(path.join(FAILURES_DIR, base), c.bytes);
  fs.writeFileSync(
    path.join(FAILURES_DIR, `${base}.json`),
    `${JSON.stringify({ label: c.label, path: c.path, asString: c.asString, error: error.message, stack: error.stack?.split('\n').slice(0, 8) }, null, 2)}\n`,
  );
  return path.join('test/fuzz-failures', base);
}
