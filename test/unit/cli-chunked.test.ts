/** Chunked review of large mboxes (src/cli/chunked.ts): cuts at message starts, keeps series whole, same findings. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getAnalyzer, REPO_ROOT } from '../helpers';
import { analyzeChunked, mboxChunks } from '../../src/cli/chunked';

/** Independent series from the project's fixtures, one after the other as in a thread archive. */
const SERIES = [
  ['examples/0000-cover-letter.patch', 'examples/0001-vfio-acme-add-a-VFIO-PCI-variant-driver-for-ACME-wid.patch',
    'examples/0002-vfio-zeta-add-a-VFIO-PCI-variant-driver-for-Zeta-off.patch', 'examples/0003-accel-acme-add-a-driver-for-the-ACME-NPU.patch'],
  ['test/fixtures/analyze/series-fixed-later.mbox'],
  ['test/fixtures/e2e/series-fix.mbox'],
  ['test/fixtures/analyze/beacon-claim.patch'],
];
const read = (f: string): string => fs.readFileSync(path.join(REPO_ROOT, f), 'utf8').replace(/\n*$/, '\n\n');
const seriesTexts = SERIES.map((files) => files.map(read).join(''));
const archive = seriesTexts.join('');
const encoder = new TextEncoder();
const bytes = encoder.encode(archive);
// Each chunk should hold about one series: bigger than half the largest series, so no series needs cutting.
const largest = Math.max(...seriesTexts.map((t) => encoder.encode(t).length));
const sizes = { chunkBytes: Math.ceil(largest * 0.6), threshold: 1000 };

test('chunks: contiguous, message-aligned, series kept whole, line counts right', () => {
  const chunks = mboxChunks(bytes, sizes.chunkBytes, sizes.threshold);
  assert.ok(chunks.length >= 2, `only ${chunks.length} chunk`);
  const text = new TextDecoder().decode(bytes);
  assert.equal(chunks[0].start, 0);
  assert.equal(chunks[chunks.length - 1].end, bytes.length);
  for (let k = 0; k < chunks.length; k++) {
    if (k > 0) assert.equal(chunks[k].start, chunks[k - 1].end);
    const piece = text.slice(chunks[k].start, chunks[k].end);
    assert.match(piece, /^From \S+ Mon Sep 17/);
    // No series was cut: every chunk starts with a series' first message (each is smaller than twice the chunk size).
    const subject = /^Subject: (.*)$/m.exec(piece)?.[1] ?? '';
    assert.match(subject, /\[PATCH (0\/|1\/|\])/, subject);
    assert.equal(chunks[k].linesBefore, text.slice(0, chunks[k].start).split('\n').length - 1);
  }
});

test('chunks: a small input or a non-mbox is one chunk', () => {
  assert.equal(mboxChunks(bytes).length, 1);
  assert.equal(mboxChunks(encoder.encode(`diff --git a/x.c b/x.c\n${'x'.repeat(5000)}`), 100, 10).length, 1);
});

test('chunked analysis reports what the whole-file analysis reports, at the same lines', async () => {
  const analyzer = await getAnalyzer();
  const analyze = analyzer.analyze.bind(analyzer);
  const input = { path: 'archive.mbox', content: bytes };
  const whole = analyze([input], {});
  const chunked = analyzeChunked(analyze, input, {}, sizes);
  const key = (r: typeof whole) => r.findings.map((f) => `${f.code}:${f.location.path}:${f.location.line}:${f.source?.file}:${f.source?.patchIndex}`).sort();
  assert.ok(whole.findings.length >= 3, `expected findings in several series, got ${whole.findings.length}`);
  assert.deepEqual(key(chunked), key(whole));
  assert.deepEqual(chunked.stats, { ...whole.stats, ms: chunked.stats.ms });
  assert.deepEqual(chunked.inputs[0].patches.map((p) => p.index), whole.inputs[0].patches.map((p) => p.index));
  assert.deepEqual(chunked.inputs[0].drivers.map((d) => `${d.driver}:${d.location.line}`), whole.inputs[0].drivers.map((d) => `${d.driver}:${d.location.line}`));
  assert.ok(chunked.findings.some((f) => f.fixedBy !== undefined), 'a fix later in the same series is still seen');
  // The whole-file result is the reference; the chunks were really used (the series-fix finding is past the first chunk).
  assert.ok(mboxChunks(bytes, sizes.chunkBytes, sizes.threshold).length >= 2);
  assert.ok(chunked.findings.some((f) => f.location.line > archive.slice(0, mboxChunks(bytes, sizes.chunkBytes, sizes.threshold)[1].start).split('\n').length));
});

test('time budget: once it has run out, the chunks not started are listed as not reviewed, with their lines', async () => {
  const analyzer = await getAnalyzer();
  const chunks = mboxChunks(bytes, sizes.chunkBytes, sizes.threshold);
  assert.ok(chunks.length >= 2);
  const slow = (inputs: Parameters<typeof analyzer.analyze>[0], o: Parameters<typeof analyzer.analyze>[1]) => {
    const r = analyzer.analyze(inputs, o);
    const until = Date.now() + 20;
    while (Date.now() < until) { /* the first chunk outlasts the budget */ }
    return r;
  };
  const r = analyzeChunked(slow, { path: 'archive.mbox', content: bytes }, { target: 'latest' }, sizes, undefined, 10);
  const left = r.problems.filter((p) => p.message.startsWith('not reviewed:'));
  assert.equal(left.length, chunks.length - 1, JSON.stringify(r.problems));
  for (const [k, p] of left.entries()) {
    assert.equal(p.kind, 'skipped');
    assert.equal(p.line, chunks[k + 1].linesBefore + 1);
    assert.match(p.message, new RegExp(`lines ${chunks[k + 1].linesBefore + 1}-\\d+ .*time budget \\(0\\.0 s`));
  }
  assert.equal(r.stats.reviewed, 1, 'the first chunk was reviewed');
  // No budget: nothing is left out.
  const all = analyzeChunked(slow, { path: 'archive.mbox', content: bytes }, { target: 'latest' }, sizes);
  assert.equal(all.problems.filter((p) => p.message.startsWith('not reviewed:')).length, 0);
});

test('time budget: the default grows with the input (0.25 s per MB, at least 5 s); 0 means no limit', async () => {
  const { chunkTimeBudgetMs } = await import('../../src/cli/chunked');
  assert.equal(chunkTimeBudgetMs(1024 * 1024, undefined), 5000);
  assert.equal(chunkTimeBudgetMs(200 * 1024 * 1024, undefined), 50000);
  assert.equal(chunkTimeBudgetMs(200 * 1024 * 1024, 0), Infinity);
  assert.equal(chunkTimeBudgetMs(200 * 1024 * 1024, 3), 3000);
});
