/**
 * Issue 15, the time limits on huge inputs: a large mbox's chunks reviewed on worker threads give exactly the
 * one-thread result in the same order; a patch repeated through an archive is reviewed once (review-memo.ts) and every
 * copy still gets its own findings at its own lines; the memo never serves a review for other content.
 * Small instances only (the full sizes and their times: node out/test/fuzz/hostile-run.js, `npm run hostile`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { AnalysisResult, Finding } from '../../src/core/types';
import { analyzeChunked, analyzeChunkedInWorkers } from '../../src/cli/chunked';
import { getAnalyzer } from '../helpers';
import { hostileCase, leakyDriver, newFileDiff, patchMail } from '../fuzz/hostile';

const script = path.join(__dirname, '../../src/cli/worker.js');
const sizes = { chunkBytes: 8 * 1024, threshold: 1024 };
const encode = (text: string | Buffer): Uint8Array => (typeof text === 'string' ? new TextEncoder().encode(text) : text);
const line = (f: Finding): string => `${f.code} ${f.location.path}:${f.location.line}:${f.location.column} ${f.message} ${JSON.stringify(f.trace)} ${f.source?.patchIndex}`;

async function streamed(run: (emit: (p: Pick<AnalysisResult, 'findings' | 'problems'>) => void) => Promise<AnalysisResult>): Promise<{ parts: string[][]; problems: string[]; summary: AnalysisResult }> {
  const parts: string[][] = [];
  const problems: string[] = [];
  const summary = await run((p) => {
    parts.push(p.findings.map(line));
    for (const x of p.problems) problems.push(`${x.line} ${x.message}`);
  });
  return { parts, problems, summary };
}

test('chunks on two worker threads: the same findings, problems and counts, in the same order, as one thread', async () => {
  const analyzer = await getAnalyzer();
  // Varied patches (leaky drivers, plain files) and junk before the first From_ line.
  const text = `junk before the archive\n\n${hostileCase('dense.mbox').make(0.04) as string}${hostileCase('junk-first.mbox').make(0.01) as string}`;
  const input = { path: 'a.mbox', content: encode(text) };
  const one = await streamed(async (emit) => analyzeChunked((i, o) => analyzer.analyze(i, o), input, {}, sizes, emit));
  const two = await streamed(async (emit) => {
    const out = await analyzeChunkedInWorkers(async () => (i, o) => analyzer.analyze(i, o), input, {}, { script, setup: { options: {} }, jobs: 2 }, emit, sizes);
    assert.equal(out.workers, 2);
    return out.result;
  });
  assert.ok(one.parts.length > 4, `${one.parts.length} chunks`);
  assert.ok(one.parts.flat().length > 10, 'findings to compare');
  assert.deepEqual(two.parts, one.parts);
  assert.deepEqual(two.problems, one.problems);
  assert.deepEqual({ ...two.summary.stats, ms: 0 }, { ...one.summary.stats, ms: 0 });
});

test('chunks on workers, not streamed: the merged result equals the one-thread merged result', async () => {
  const analyzer = await getAnalyzer();
  const input = { path: 'b.mbox', content: encode(hostileCase('dense.mbox').make(0.03)) };
  const one = analyzeChunked((i, o) => analyzer.analyze(i, o), input, {}, sizes);
  const two = (await analyzeChunkedInWorkers(async () => (i, o) => analyzer.analyze(i, o), input, {}, { script, setup: { options: {} }, jobs: 2 }, undefined, sizes)).result;
  assert.deepEqual(two.findings.map(line), one.findings.map(line));
  assert.deepEqual(two.inputs, one.inputs);
});

test('a worker that cannot start: the chunks are reviewed here, same result', async () => {
  const analyzer = await getAnalyzer();
  const input = { path: 'c.mbox', content: encode(hostileCase('dense.mbox').make(0.02)) };
  const one = analyzeChunked((i, o) => analyzer.analyze(i, o), input, {}, sizes);
  const out = await analyzeChunkedInWorkers(async () => (i, o) => analyzer.analyze(i, o), input, {}, { script: path.join(__dirname, 'no-such-worker.js'), setup: { options: {} }, jobs: 2 }, undefined, sizes);
  assert.deepEqual(out.result.findings.map(line), one.findings.map(line));
});

test('one patch repeated through an mbox: every copy has the findings of the patch alone, at its own lines', async () => {
  const analyzer = await getAnalyzer();
  const mail = patchMail('[PATCH] repeated: one driver', newFileDiff('drivers/hostile/rep.c', leakyDriver('rep')));
  const alone = analyzer.analyze([{ path: 'r.mbox', content: mail }], {});
  assert.ok(alone.findings.length > 0);
  const copies = 5;
  const all = analyzer.analyze([{ path: 'r.mbox', content: mail.repeat(copies) }], {});
  const lines = mail.split('\n').length - 1;
  assert.equal(all.findings.length, copies * alone.findings.length);
  const expected = Array.from({ length: copies }, (_, k) =>
    alone.findings.map((f) => `${f.code} ${f.location.line + k * lines} ${f.message} ${f.trace.map((s) => `${s.step}@${(s.location?.line ?? 0) + (s.location ? k * lines : 0)}`).join(',')}`),
  ).flat().sort();
  const got = all.findings.map((f) => `${f.code} ${f.location.line} ${f.message} ${f.trace.map((s) => `${s.step}@${s.location?.line ?? 0}`).join(',')}`).sort();
  assert.deepEqual(got, expected);
});

test('the review memo keys on content: the same patch on another base is reviewed again', async () => {
  const analyzer = await getAnalyzer();
  // A base whose probe releases its claim on the error path, and the same file without that release.
  const released = leakyDriver('base').replace('\tret = base_setup(pdev);\n\tif (ret)\n\t\treturn ret;', '\tret = base_setup(pdev);\n\tif (ret) {\n\t\tiommu_device_release_dma_owner(&pdev->dev);\n\t\treturn ret;\n\t}');
  const leaky = leakyDriver('base');
  assert.notEqual(released, leaky);
  // The patch deletes that release: on the first base it introduces a leak; the second base lacks the line.
  const lines = released.split('\n');
  const at = lines.indexOf('\t\tiommu_device_release_dma_owner(&pdev->dev);');
  const diff = ['diff --git a/drivers/x/base.c b/drivers/x/base.c', '--- a/drivers/x/base.c', '+++ b/drivers/x/base.c', `@@ -${at},3 +${at},2 @@`, ` ${lines[at - 1]}`, `-${lines[at]}`, ` ${lines[at + 1]}`, ''].join('\n');
  const run = (text: string) => {
    const r = analyzer.analyze([{ path: 'p.patch', content: diff }], { readFile: (p) => (p === 'drivers/x/base.c' ? text : undefined) });
    return [...r.findings.map((f) => `${f.code} ${f.location.line} ${f.context}`), ...r.problems.map((p) => p.message)];
  };
  const onReleased = run(released);
  const onLeaky = run(leaky);
  assert.ok(onReleased.some((x) => /^OWN\d+ \d+ tree/.test(x)), onReleased.join('\n'));
  assert.notDeepEqual(onLeaky, onReleased, 'the base decides: a memo keyed on the patch alone would repeat the first answer');
  assert.deepEqual(run(released), onReleased);
  assert.deepEqual(run(leaky), onLeaky);
});

test('the prefilter screen on patches (huge inputs): the same findings on every patch and mail of the corpus', async () => {
  const { mayYieldFindings, prefilterVocabulary } = await import('../../src/cli/prefilter');
  const { REPO_ROOT } = await import('../helpers');
  const fs = await import('node:fs');
  const analyzer = await getAnalyzer();
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(patch|mbox|eml|diff|mail|c)$/.test(e.name)) files.push(p);
    }
  };
  walk(path.join(REPO_ROOT, 'examples'));
  walk(path.join(REPO_ROOT, 'test/fixtures'));
  assert.ok(files.length > 30, `${files.length} patch fixtures`);
  let screenedOut = 0;
  for (const target of ['latest', '6.2'] as const) {
    const vocabulary = prefilterVocabulary(target);
    const screen = (text: string): boolean => {
      const keep = mayYieldFindings(text, vocabulary);
      if (!keep) screenedOut++;
      return keep;
    };
    for (const file of files) {
      // A C fixture arrives as a new file in a patch: whole images, which are what the screen judges.
      const rel = path.relative(REPO_ROOT, file);
      const content = file.endsWith('.c') ? patchMail(`[PATCH] add ${path.basename(file)}`, newFileDiff(`drivers/fixture/${path.basename(file)}`, fs.readFileSync(file, 'utf8'))) : fs.readFileSync(file);
      const input = [{ path: rel, content }];
      const plain = analyzer.analyze(input, { target });
      const screened = analyzer.analyze(input, { target, screen });
      assert.deepEqual(screened.findings, plain.findings, `${file} (${target})`);
      assert.deepEqual({ ...screened.stats, ms: 0 }, { ...plain.stats, ms: 0 }, `${file} (${target})`);
    }
  }
  assert.ok(screenedOut > 10, `the screen passed over ${screenedOut} images: the comparison means something`);
});

test('each chunk reaches its worker as a copy of the chunk alone, never the whole input behind a view', async () => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  // A stand-in worker that reports what it received: the chunk's length and the size of the buffer behind it.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-chunk-transport-'));
  const probe = path.join(dir, 'probe-worker.js');
  fs.writeFileSync(
    probe,
    [
      "const { parentPort } = require('node:worker_threads');",
      "parentPort.on('message', (t) => parentPort.postMessage({ type: 'result', id: t.id, refused: [], result: {",
      "  findings: [], inputs: [], stats: { inputs: 1, reviewed: 1, skipped: 0, failed: 0, findings: 0, ms: 0 },",
      "  problems: [{ path: t.path, kind: 'skipped', message: `${t.content.byteLength} ${t.content.buffer.byteLength}` }] } }));",
      "parentPort.postMessage({ type: 'ready' });",
      '',
    ].join('\n'),
  );
  try {
    const text = encode(hostileCase('dense.mbox').make(0.05));
    // What readInputFile hands over: a Buffer view on a larger allocation (Buffer#slice of it is a view too).
    const backing = Buffer.alloc(text.length + 4 * 1024 * 1024);
    backing.set(text);
    const input = { path: 'v.mbox', content: backing.subarray(0, text.length) };
    const got: string[] = [];
    const out = await analyzeChunkedInWorkers(
      async () => {
        throw new Error('the probe workers answer every chunk');
      },
      input,
      {},
      { script: probe, setup: { options: {} }, jobs: 2 },
      (part) => {
        for (const p of part.problems) got.push(p.message);
      },
      sizes,
    );
    assert.equal(out.workers, 2);
    assert.ok(got.length > 4, `${got.length} chunks`);
    let total = 0;
    for (const m of got) {
      const [length, backingLength] = m.split(' ').map(Number);
      assert.equal(backingLength, length, `a chunk of ${length} bytes arrived with ${backingLength} bytes behind it`);
      total += length;
    }
    assert.equal(total, text.length);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('without verdicts (chunks of a huge input) each file is let go once reviewed: the same findings as with verdicts', async () => {
  const { REPO_ROOT } = await import('../helpers');
  const fs = await import('node:fs');
  const analyzer = await getAnalyzer();
  // A series with a fix later in it (fixedBy reads a later patch's released state), hunk-only patches and dense mails.
  const series = fs.readFileSync(path.join(REPO_ROOT, 'test/fixtures/analyze/series-fixed-later.mbox'), 'utf8');
  const text = `${series.replace(/\n*$/, '\n\n')}${hostileCase('dense.mbox').make(0.01) as string}${hostileCase('far-hunks.patch').make(3) as string}`;
  const input = [{ path: 'r.mbox', content: text }];
  const full = analyzer.analyze(input, {});
  const slim = analyzer.analyze(input, { verdicts: false });
  assert.ok(full.findings.some((f) => f.fixedBy !== undefined), 'a finding fixed later in the series');
  assert.ok(full.findings.length > 5);
  assert.deepEqual(slim.findings, full.findings);
  assert.deepEqual(slim.problems, full.problems);
});
