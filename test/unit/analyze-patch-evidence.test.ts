/**
 * Hunks only: removed lines are evidence, unseen code an explicit unknown (src/core/patch-evidence.ts).
 * Fixtures: test/fixtures/patch/*.patch, made by gen.sh from the sources in src/ (own code) with git.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getAnalyzer, FIXTURES } from '../helpers';
import type { AnalysisResult } from '../../src/core/types';

const dir = path.join(FIXTURES, 'patch');

async function review(name: string): Promise<AnalysisResult> {
  const a = await getAnalyzer();
  return a.analyze([{ path: name, content: fs.readFileSync(path.join(dir, name), 'utf8') }]);
}

function summary(r: AnalysisResult): string[] {
  return r.findings.map((f) => `${f.code}:${f.severity}`);
}

/** The patch line the finding points at. */
function lineOf(name: string, line: number): string {
  return fs.readFileSync(path.join(dir, name), 'utf8').split('\n')[line - 1];
}

for (const [name, code, removed] of [
  ['osprey-detach-error-path.patch', 'OWN013', 'iommu_detach_device'],
  ['osprey-detach-remove.patch', 'OWN013', 'iommu_detach_device'],
  ['tern-unbind-error-exit.patch', 'OWN019', 'iommu_sva_unbind_device'],
  ['tern-unbind-release.patch', 'OWN019', 'iommu_sva_unbind_device'],
  ['gannet-unuse.patch', 'OWN010', 'iommu_device_unuse_default_domain'],
  ['gannet-cleanup-hook.patch', 'OWN010', '.dma_cleanup'],
  ['kestrel-flag.patch', 'OWN001', 'driver_managed_dma'],
] as const) {
  test(`hunks only: ${name} is found on the removed line (${code}, error)`, async () => {
    const r = await review(name);
    assert.deepEqual(summary(r), [`${code}:error`], JSON.stringify(r.findings.map((f) => f.message)));
    const f = r.findings[0];
    assert.ok(lineOf(name, f.location.line).startsWith('-'), 'points at the removed line');
    assert.ok(lineOf(name, f.location.line).includes(removed));
    assert.equal(f.context, 'hunks only');
    assert.ok(f.trace.length > 0, 'carries the replay trace');
  });
}

test('hunks only: the undo replaced by a helper the patch does not show is info naming the helper', async () => {
  const r = await review('osprey-detach-helper.patch');
  assert.deepEqual(summary(r), ['OWN013:info']);
  assert.match(r.findings[0].partial ?? '', /osprey_fw_release\(\), not shown, does not do what iommu_detach_device\(\) did/);
});

test('hunks only: a flag removed from a driver not known to be VFIO is info naming the unseen probe', async () => {
  const r = await review('wren-flag.patch');
  assert.deepEqual(summary(r), ['OWN001:info']);
  assert.match(r.findings[0].partial ?? '', /the probe of wren_driver, not shown, hands the device to user space/);
});

for (const name of [
  'osprey-detach-moved.patch',
  'osprey-reword.patch',
  'osprey-detach-error-path-fix.patch',
  'gannet-cleanup-hook-fix.patch',
  'kestrel-flag-fix.patch',
  'tern-unbind-release-fix.patch',
]) {
  test(`hunks only: ${name} (a move, a reword, or the fix direction) is quiet`, async () => {
    const r = await review(name);
    assert.deepEqual(summary(r), [], JSON.stringify(r.findings.map((f) => f.message)));
    assert.equal(r.stats.reviewed, 1);
  });
}

for (const name of ['trimmed.eml', 'snipped.eml', 'dots.eml', 'uncounted.eml']) {
  test(`a trimmed quoted reply (${name}) is reviewed on what is quoted, with a note that it was trimmed`, async () => {
    const r = await review(`replies/${name}`);
    assert.deepEqual(summary(r), ['OWN013:error'], JSON.stringify(r.problems));
    assert.ok(lineOf(`replies/${name}`, r.findings[0].location.line).includes('-\tiommu_detach_device'));
    assert.equal(r.stats.reviewed, 1);
    assert.ok(r.problems.some((p) => /trimmed.*reviewed what is quoted/.test(p.message)), JSON.stringify(r.problems));
    assert.ok(!r.problems.some((p) => /not reviewed/.test(p.message)), JSON.stringify(r.problems));
  });
}

test('not a patch: random bytes named .c (or anything) are a problem, never counted as reviewed', async () => {
  const a = await getAnalyzer();
  let seed = 12345;
  const bytes = new Uint8Array(4096).map(() => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed >>> 24;
  });
  for (const p of ['noise.c', 'noise.patch', 'noise.bin']) {
    const r = a.analyze([{ path: p, content: bytes }]);
    assert.equal(r.stats.reviewed, 0, p);
    assert.equal(r.stats.failed, 1, p);
    assert.match(r.problems[0]?.message ?? '', /no (patch|diff)[^]*C source found/, p);
  }
});

test('an added claim whose driver struct is not shown: info naming the struct and the flag it may lack', async () => {
  const r = await review('finch-claim-added.patch');
  const own001 = r.findings.find((f) => f.code === 'OWN001');
  assert.ok(own001, JSON.stringify(r.findings.map((f) => f.message)));
  assert.equal(own001.severity, 'info');
  assert.match(own001.message, /this claim fails with -EPERM/);
  assert.match(own001.partial ?? '', /if the driver struct binding finch_probe\(\), not shown, lacks \.driver_managed_dma/);
  assert.ok(lineOf('finch-claim-added.patch', own001.location.line).includes('+\tret = iommu_device_claim_dma_owner'));
});

test('an added attach unwound on every error path whose .remove is not shown: info on the condition', async () => {
  const r = await review('finch-attach-added.patch');
  assert.deepEqual(summary(r), ['OWN013:info'], JSON.stringify(r.findings.map((f) => f.message)));
  assert.match(r.findings[0].partial ?? '', /if the \.remove callback, not shown, does not call iommu_detach_device\(\)/);
});
