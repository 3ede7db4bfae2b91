/**
 * Issue 15 regression tests (small generated instances of each case; the full sizes run in test/fuzz/hostile-run.ts):
 * no spread over big arrays, streamed reports equal to the whole ones, chunking robust to junk, special files never
 * opened, nothing dropped silently, control characters escaped, explicit budgets reported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AnalysisResult, Finding, InputProblem } from '../../src/core/types';
import { mergeResults, emptyResult } from '../../src/cli/merge';
import { analyzeChunked, mboxChunks } from '../../src/cli/chunked';
import { expandPaths, readInputFile } from '../../src/cli/inputs';
import { spooledDetailStore } from '../../src/cli/spool';
import { formatJson, toJsonReport } from '../../src/format/json';
import { formatSarif, toSarif } from '../../src/format/sarif';
import { formatFindingText } from '../../src/format/text';
import { formatB4Check, toB4Review } from '../../src/format/b4';
import { escapeControls, formatProblem } from '../../src/format/common';
import { parseInput } from '../../src/core/input';
import { getAnalyzer } from '../helpers';
import { HOSTILE_CASES, hostileCase, leakyDriver, newFileDiff, patchMail } from '../fuzz/hostile';
import { ERROR_FINDING, SAMPLE_RULES, sampleResult } from './format-sample';

const META = { toolName: 'iommu-review', version: '9.9.9', target: '6.15', informationUri: 'https://example.invalid' };

const ESC = '\u001b';

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-hostile-test-'));
}

async function analyzeCase(file: string, scale?: number): Promise<AnalysisResult> {
  const c = hostileCase(file);
  const analyzer = await getAnalyzer();
  return analyzer.analyze([{ path: c.file, content: c.make(scale ?? c.small) }], {});
}

const messages = (r: { problems: InputProblem[] }): string => r.problems.map((p) => p.message).join('\n');

test('every generator makes its small instance', () => {
  for (const c of HOSTILE_CASES) assert.ok(c.make(c.small).length > 0, c.name);
});

// ─────────────── 1. no spread over input-sized arrays, streamed output ───────────────

test('merging 300k problems and findings does not overflow the stack (push(...big) did at ~126k)', () => {
  const big = emptyResult();
  for (let i = 0; i < 300_000; i++) big.problems.push({ path: 'x', message: 'm', kind: 'skipped' });
  big.findings = new Array(300_000).fill(ERROR_FINDING);
  const merged = mergeResults([big, big], 1);
  assert.equal(merged.problems.length, 600_000);
  assert.equal(merged.stats.findings, 600_000);
});

test('streamed JSON is byte for byte the report JSON.stringify prints, with C1/bidi characters escaped', () => {
  const r = sampleResult();
  assert.equal(formatJson(r, META, { workers: 2 }), `${JSON.stringify({ ...toJsonReport(r, META), workers: 2 }, null, 2)}\n`);
  const odd: Finding = { ...ERROR_FINDING, message: 'a\u009b2Jb\u202ec', location: { ...ERROR_FINDING.location, path: `x${ESC}]0;t\u0007.c` } };
  const text = formatJson({ findings: [odd], problems: [], stats: r.stats }, META);
  assert.doesNotMatch(text, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
  assert.equal(JSON.parse(text).findings[0].message, odd.message, 'escaped, not lost');
});

test('streamed SARIF holds what toSarif holds', () => {
  const r = sampleResult();
  assert.deepEqual(JSON.parse(formatSarif(r, SAMPLE_RULES, META)), JSON.parse(JSON.stringify(toSarif(r, SAMPLE_RULES, META))));
  const empty = JSON.parse(formatSarif({ findings: [], problems: [] }, SAMPLE_RULES, META));
  assert.deepEqual(empty.runs[0].results, []);
});

test('spooled finding details come back in order, whatever they contain', () => {
  const store = spooledDetailStore();
  const texts = Array.from({ length: 10_000 }, (_, i) => JSON.stringify({ i, s: `line\n${'é'.repeat(i % 50)}\u0000` }, null, 2));
  for (const t of texts) store.add(t);
  const back: string[] = [];
  store.drain((t) => back.push(t));
  assert.deepEqual(back, texts);
});

// ─────────────── 4. chunking, special files, stdin ───────────────

test('chunking: junk before the first From_ line does not turn chunking off', () => {
  const bytes = new TextEncoder().encode(hostileCase('junk-first.mbox').make(0.2) as string);
  const chunks = mboxChunks(bytes, 16 * 1024, 64 * 1024);
  assert.ok(chunks.length > 4, `${chunks.length} chunks`);
  const text = new TextDecoder().decode(bytes);
  for (const c of chunks.slice(1)) assert.match(text.slice(c.start, c.start + 5), /^From /);
});

test('chunking: a big plain diff is cut at file starts, junk without boundaries at lines', () => {
  const diff = new TextEncoder().encode(hostileCase('many-files.diff').make(2000) as string);
  const chunks = mboxChunks(diff, 8 * 1024, 16 * 1024);
  assert.ok(chunks.length > 4);
  const text = new TextDecoder().decode(diff);
  for (const c of chunks.slice(1)) assert.match(text.slice(c.start, c.start + 4), /^--- /);
  const junk = new TextEncoder().encode('y\n'.repeat(200_000));
  const cut = mboxChunks(junk, 8 * 1024, 16 * 1024);
  assert.ok(cut.length >= 6 && cut.every((c) => c.end - c.start <= 8 * 8 * 1024 + 2), `${cut.length} chunks`);
});

test('chunked analysis can stream each chunk and keep only the counts', async () => {
  const analyzer = await getAnalyzer();
  const content = new TextEncoder().encode(hostileCase('dense.mbox').make(0.03) as string);
  const parts: number[] = [];
  const summary = analyzeChunked((i, o) => analyzer.analyze(i, o), { path: 'd.mbox', content }, {}, { chunkBytes: 8 * 1024, threshold: 1024 }, (p) =>
    parts.push(p.findings.length),
  );
  assert.ok(parts.length > 2 && parts.reduce((a, b) => a + b, 0) > 0);
  assert.equal(summary.findings.length, 0);
  assert.equal(summary.stats.findings, parts.reduce((a, b) => a + b, 0));
  assert.equal(summary.stats.reviewed, 1);
});

test('special files are listed, never opened: a FIFO given directly, in a directory, behind a link', { skip: process.platform === 'win32' }, () => {
  const dir = tmpdir();
  try {
    const fifo = path.join(dir, 'x.patch');
    spawnSync('mkfifo', [fifo]);
    const started = Date.now();
    const read = readInputFile(fifo);
    assert.ok('problem' in read && /named pipe/.test(read.problem.message), JSON.stringify(read));
    fs.mkdirSync(path.join(dir, 'scan'));
    spawnSync('mkfifo', [path.join(dir, 'scan', 'in.patch')]);
    fs.symlinkSync(fifo, path.join(dir, 'scan', 'link.patch'));
    fs.symlinkSync('/etc/passwd', path.join(dir, 'scan', 'out.patch'));
    fs.writeFileSync(path.join(dir, 'scan', 'ok.c'), 'int ok;\n');
    fs.symlinkSync(path.join(dir, 'scan', 'ok.c'), path.join(dir, 'scan', 'inside.c'));
    const expanded = expandPaths([path.join(dir, 'scan')]);
    assert.deepEqual(expanded.files.map((f) => path.basename(f.path)), ['inside.c', 'ok.c']);
    const notes = expanded.notes.map((p) => `${path.basename(p.path)}: ${p.message}`).sort();
    assert.equal(notes.length, 3, notes.join('\n'));
    assert.match(notes.join('\n'), /in\.patch: not read: a named pipe/);
    assert.match(notes.join('\n'), /link\.patch: refused to read: the symbolic link leads out/);
    assert.match(notes.join('\n'), /out\.patch: refused to read: the symbolic link leads out/);
    assert.ok(Date.now() - started < 2000, 'nothing blocked');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a directory deeper than PATH_MAX is searched without recursion; the unreadable part is a problem of its own', { skip: process.platform === 'win32' }, () => {
  const dir = tmpdir();
  try {
    fs.mkdirSync(path.join(dir, 'scan'));
    fs.writeFileSync(path.join(dir, 'scan', 'ok.c'), 'int ok;\n');
    const name = 'd'.repeat(120);
    spawnSync('bash', ['-c', `cd scan && for i in $(seq 40); do mkdir ${name} && cd ${name}; done && echo 'int deep;' > deep.c`], { cwd: dir });
    const expanded = expandPaths([path.join(dir, 'scan')]);
    assert.deepEqual(expanded.problems, [], 'the scan as a whole does not fail');
    assert.ok(expanded.files.some((f) => f.path.endsWith('ok.c')));
    assert.ok(expanded.notes.length >= 1, 'the part that could not be searched is named');
  } finally {
    spawnSync('rm', ['-rf', dir]);
  }
});

// ─────────────── 5. nothing dropped silently ───────────────

for (const file of ['alternative.eml', 'epilogue.eml', 'no-boundary.eml']) {
  test(`MIME: the patch in ${file} is found and reviewed`, async () => {
    const r = await analyzeCase(file);
    assert.equal(r.stats.reviewed, 1, messages(r));
    assert.ok(r.findings.length >= 1, 'the leaking driver is reported');
    if (file === 'no-boundary.eml') assert.match(messages(r), /boundary "NEVER" never occurs/);
  });
}

test('MIME: a part that is not base64 is a problem, not a silent skip', async () => {
  const r = await analyzeCase('bad-base64.eml');
  assert.match(messages(r), /outside the base64 alphabet: not decoded, not reviewed/);
});

test('MIME: only the alternative that carries the diff is read (no duplicate findings)', async () => {
  const diff = newFileDiff('drivers/hostile/alt.c', leakyDriver('alt'));
  const mail = [
    'From: a@example.org', 'Subject: [PATCH] both alternatives carry the diff', 'MIME-Version: 1.0', 'Content-Type: multipart/alternative; boundary="A"', '',
    '--A', 'Content-Type: text/plain', '', diff, '--A', 'Content-Type: text/x-patch', '', diff, '--A--', '',
  ].join('\n');
  const analyzer = await getAnalyzer();
  const once = analyzer.analyze([{ path: 'once.patch', content: patchMail('[PATCH] x', diff) }], {});
  const r = analyzer.analyze([{ path: 'alt.eml', content: mail }], {});
  assert.equal(r.findings.length, once.findings.length);
});

test('a malformed hunk header is a problem naming the file', () => {
  const parsed = parseInput('bad-hunk.patch', hostileCase('bad-hunk.patch').make(1) as string);
  assert.match(parsed.problems.map((p) => p.message).join('\n'), /drivers\/x\/h\.c: malformed hunk header '@@ --5,-17 \+-5,-18 @@'/);
});

test('b4 review: a partly reviewed message is never a plain pass', () => {
  const entry = toB4Review({ findings: [], problems: [{ path: '<stdin>', message: 'MIME part 2: not decoded', kind: 'skipped' }] }, SAMPLE_RULES, META)[0];
  assert.equal(entry.status, 'warn');
  assert.match(entry.summary, /not all of this message was reviewed/);
  assert.equal(toB4Review({ findings: [], problems: [] }, SAMPLE_RULES, META)[0].status, 'pass');
});

test('b4 review: a message with no diff at all is warn, not pass; a bare C file or a diff without C files is a pass', () => {
  const input = (kind: 'cover-letter' | 'format-patch' | 'c-source', files: string[][]) => ({ path: '<stdin>', kind, patches: files.map((f, index) => ({ index, subject: 's', files: f })), drivers: [] });
  const none = toB4Review({ findings: [], problems: [], inputs: [input('cover-letter', [[]])] }, SAMPLE_RULES, META)[0];
  assert.equal(none.status, 'warn');
  assert.match(none.summary, /no diff/);
  assert.equal(toB4Review({ findings: [], problems: [], inputs: [input('cover-letter', [])] }, SAMPLE_RULES, META)[0].status, 'warn');
  assert.equal(toB4Review({ findings: [], problems: [], inputs: [input('format-patch', [['README']])] }, SAMPLE_RULES, META)[0].status, 'pass');
  assert.equal(toB4Review({ findings: [], problems: [], inputs: [input('c-source', [])] }, SAMPLE_RULES, META)[0].status, 'pass');
});

// ─────────────── 6. control characters ───────────────

test('control characters from the input never reach a terminal line', () => {
  assert.equal(escapeControls(`a${ESC}[2J\u0007b\nc\td\u009b\u202e`), 'a\\x1b[2J\\x07b\\nc\td\\x9b\\u202e');
  const line = formatProblem({ path: `x${ESC}]0;owned\u0007\niommu-review: forged`, message: 'm\r\n', line: 3, kind: 'skipped' });
  assert.equal(line.split('\n').length, 1);
  assert.doesNotMatch(line, /[\u0000-\u001f]/);
  const f: Finding = { ...ERROR_FINDING, message: `m${ESC}[2J`, location: { ...ERROR_FINDING.location, path: `p${ESC}]0;t\u0007.c` }, source: { file: `s${ESC}c`, line: 1, patch: `subj\u0007` } };
  const text = formatFindingText(f, { lineOf: () => `code ${ESC}[31m` });
  assert.doesNotMatch(text, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  assert.doesNotMatch(formatB4Check({ findings: [f] }), /\u001b/);
});

test('a file name with escapes and a newline stays one escaped name through parsing', () => {
  const parsed = parseInput('inject.patch', hostileCase('inject.patch').make(1) as string);
  const name = parsed.patches[0]?.files[0]?.newPath ?? '';
  assert.match(name, /\u001b/, 'the parser keeps the name as written');
  assert.doesNotMatch(escapeControls(name), /[\u0000-\u001f]/);
});

// ─────────────── 3. analysis budgets and the depth limit ───────────────

test('deep nesting: one limit, reported, the function not replayed', async () => {
  for (const file of ['nested-if.c', 'else-if.c', 'and-chain.c']) {
    const r = await analyzeCase(file);
    assert.match(messages(r), /nests deeper than the limit of 600 syntax levels/, file);
    assert.doesNotMatch(messages(r), /Maximum call stack/);
  }
});

test('hunks far into files: the image budget stops after two such files and names the rest', async () => {
  const r = await analyzeCase('deep-lines.patch', 4);
  const budget = r.problems.filter((p) => /budget of 4000000 view lines/.test(p.message));
  assert.deepEqual(budget.map((p) => /drivers\/x\/f\d\.c/.exec(p.message)?.[0]), ['drivers/x/f2.c', 'drivers/x/f3.c']);
  const beyond = parseInput('far.patch', hostileCase('far-hunks.patch').make(3) as string);
  assert.match(beyond.problems[0].message, /^drivers\/x\/far\.c: hunk at line 2000001 starts beyond the limit of 2000000/);
});

test('per-function API-call budget: a function with hundreds of claims is reported, not replayed', async () => {
  const r = await analyzeCase('claims.patch', 300);
  assert.match(messages(r), /makes 301 IOMMU\/VFIO API calls, over the budget of 256 per function/);
  const s = await analyzeCase('switch.patch', 600);
  assert.match(messages(s), /over the budget of 256 per function/);
});

test('per-input C file budget: files past 5,000 are counted in one problem', () => {
  const parsed = parseInput('many.diff', hostileCase('many-files.diff').make(5003) as string);
  const files = parsed.patches[0].files;
  assert.equal(files.filter((f) => f.hunks.length > 0).length, 5000);
  assert.deepEqual(parsed.problems.map((p) => p.message), ['3 C files from drivers/x/m5000.c on not reviewed: this input\'s budget of 5000 C files is spent']);
});

test('per-view code budget: more than 2 MB of code is reported, not parsed', async () => {
  const body = Array.from({ length: 70_000 }, (_, i) => `\tx[${i}] = iommu_get_domain_for_dev(dev) != NULL;`);
  const c = `int big(struct device *dev, int *x)\n{\n${body.join('\n')}\n\treturn 0;\n}\n`;
  const analyzer = await getAnalyzer();
  const r = analyzer.analyze([{ path: 'big.c', content: c }], {});
  assert.match(messages(r), /bytes of code, over the budget of 2097152 per file: not reviewed/);
});
