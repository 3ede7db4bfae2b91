/** analyze(): a series given as separate format-patch files is reviewed as one series, each finding on its own file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getAnalyzer, FIXTURES } from '../helpers';
import type { AnalyzeInput } from '../../src/core/types';
import { mergeResults, splitByInput } from '../../src/cli/merge';

const dir = path.join(FIXTURES, 'analyze/series-files');
const SERIES = ['0000-cover-letter.patch', '0001-misc-tether-new-driver.patch', '0002-misc-tether-release-DMA-ownership-when-the-IRQ-is-mi.patch', '0003-misc-board-names-add-delta.patch'];
const [COVER, P1, P2, P3] = SERIES.map((f) => `series/${f}`);
const input = (rel: string): AnalyzeInput => ({ path: rel, content: fs.readFileSync(path.join(dir, rel)) });
const lineOf = (rel: string, line: number): string => fs.readFileSync(path.join(dir, rel), 'utf8').split('\n')[line - 1];
const P2_SUBJECT = '[PATCH v2 2/3] misc: tether: release DMA ownership when the IRQ is missing';

/** A --tree reader over the fixture tree (throws like a missing file for anything else). */
function treeReader(p: string): string {
  const file = path.join(dir, 'tree', p);
  if (!file.startsWith(path.join(dir, 'tree') + path.sep)) throw new Error('outside');
  return fs.readFileSync(file, 'utf8');
}

test('separate patch files: the leak patch 1 adds is on patch 1\'s file and line, fixedBy names patch 2', async () => {
  const a = await getAnalyzer();
  const r = a.analyze([COVER, P1, P2, P3].map(input));
  const own005 = r.findings.filter((f) => f.code === 'OWN005');
  assert.equal(own005.length, 1, JSON.stringify(r.findings.map((f) => [f.code, f.location, f.message])));
  const f = own005[0];
  assert.equal(f.location.path, P1);
  assert.match(lineOf(P1, f.location.line), /^\+.*iommu_device_claim_dma_owner/);
  assert.equal(f.fixedBy, P2_SUBJECT);
  assert.match(f.message, /fixed later in the series by \[PATCH v2 2\/3\]/);
  assert.equal(f.source?.file, 'drivers/misc/tether/tether.c');
  for (const step of f.trace) if (step.location) assert.equal(step.location.path, P1);
  // No finding points at a file it does not come from.
  for (const x of r.findings) assert.ok([P1, P2, P3].includes(x.location.path), x.location.path);
  // One inputs[] entry per file, in the order given, each with its own patch.
  assert.deepEqual(r.inputs.map((i) => i.path), [COVER, P1, P2, P3]);
  assert.deepEqual(r.inputs.map((i) => i.patches.length), [1, 1, 1, 1]);
  assert.equal(r.inputs[1].drivers.length, 1);
  assert.equal(r.inputs[1].drivers[0].location.path, P1);
  assert.deepEqual(r.inputs[0].drivers, []);
  assert.equal(r.stats.inputs, 4);
  assert.equal(r.stats.reviewed, 3);
  assert.equal(r.stats.skipped, 1, 'the cover letter holds no C file');
});

test('patch 1 reviewed alone keeps its finding without fixedBy (the grouping is what finds the fix)', async () => {
  const a = await getAnalyzer();
  const r = a.analyze([input(P1)]);
  const f = r.findings.find((x) => x.code === 'OWN005');
  assert.ok(f);
  assert.equal(f.fixedBy, undefined);
});

test('separate patch files given in shuffled order are reviewed in series order', async () => {
  const a = await getAnalyzer();
  const r = a.analyze([P3, P2, COVER, P1].map(input));
  const f = r.findings.find((x) => x.code === 'OWN005');
  assert.ok(f);
  assert.equal(f.location.path, P1);
  assert.equal(f.fixedBy, P2_SUBJECT);
  assert.deepEqual(r.inputs.map((i) => i.path), [P3, P2, COVER, P1]);
});

test('with readFile a later patch applies on top of the earlier patches\' post-images', async () => {
  const a = await getAnalyzer();
  // Patch 3's context holds the line patch 1 adds to board-names.c: it applies only after patch 1.
  const alone = a.analyze([input(P3)], { readFile: treeReader });
  assert.ok(
    alone.problems.some((p) => p.path === P3 && /do not apply/.test(p.message)),
    JSON.stringify(alone.problems),
  );
  const series = a.analyze([COVER, P1, P2, P3].map(input), { readFile: treeReader });
  assert.deepEqual(series.problems.filter((p) => /do not apply/.test(p.message)), []);
  const f = series.findings.find((x) => x.code === 'OWN005');
  assert.ok(f);
  assert.equal(f.location.path, P1);
  assert.equal(f.fixedBy, P2_SUBJECT);
});

test('an unnumbered extra file stays separate: it neither joins the series nor becomes its fix', async () => {
  const a = await getAnalyzer();
  // The extra is patch 2's change as a plain [PATCH]: given with patch 1 only, it must not count as a later patch.
  const withoutFix = a.analyze([input(P1), input(P3), input('extra-unnumbered.patch')]);
  const f = withoutFix.findings.find((x) => x.code === 'OWN005');
  assert.ok(f);
  assert.equal(f.location.path, P1);
  assert.equal(f.fixedBy, undefined);
  assert.equal(withoutFix.inputs.length, 3);
  // With the whole series as well, the fix is still patch 2.
  const all = a.analyze([...[COVER, P1, P2, P3].map(input), input('extra-unnumbered.patch')]);
  assert.equal(all.findings.find((x) => x.code === 'OWN005')?.fixedBy, P2_SUBJECT);
  assert.equal(all.inputs[4].path, 'extra-unnumbered.patch');
  assert.equal(all.inputs[4].patches[0].subject, '[PATCH] misc: tether: release DMA ownership when the IRQ is missing');
});

test('conflicting numbering (two files claim the same number) is reviewed file by file', async () => {
  const a = await getAnalyzer();
  const p2 = input(P2);
  const r = a.analyze([input(P1), p2, { path: 'resend-2.patch', content: p2.content }]);
  const f = r.findings.find((x) => x.code === 'OWN005');
  assert.ok(f);
  assert.equal(f.fixedBy, undefined);
  // A different version does not join either.
  const v3 = fs.readFileSync(path.join(dir, P2), 'utf8').replace('[PATCH v2 2/3]', '[PATCH v3 2/3]');
  const r3 = a.analyze([input(P1), { path: 'v3-2.patch', content: v3 }]);
  assert.equal(r3.findings.find((x) => x.code === 'OWN005')?.fixedBy, undefined);
});

test('the CLI splits one analyze() result back per input: own findings, problems and inputs[] entry, stats summed once', async () => {
  const a = await getAnalyzer();
  const paths = [P3, COVER, P1, P2];
  const whole = a.analyze(paths.map(input), { readFile: treeReader });
  const parts = splitByInput(whole, paths);
  assert.equal(parts.length, 4);
  parts.forEach((part, k) => {
    assert.deepEqual(part.inputs.map((i) => i.path), [paths[k]]);
    for (const f of part.findings) assert.equal(f.location.path, paths[k]);
    for (const p of part.problems) assert.equal(p.path, paths[k]);
  });
  assert.equal(parts[2].findings.filter((f) => f.code === 'OWN005').length, 1);
  const merged = mergeResults(parts, 0);
  assert.deepEqual(merged.stats, { ...whole.stats, ms: 0 });
  assert.equal(merged.findings.length, whole.findings.length);
});
