/** analyze(): series bookkeeping, pre-existing problems, --tree views, severity overrides, locations, totality. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getAnalyzer, FIXTURES } from '../helpers';
import { analyzeInputs } from '../../src/review/analyze';
import { createRule } from '../../src/rules/types';
import { RULES } from '../../src/rules';

const dir = path.join(FIXTURES, 'analyze');
const read = (f: string): string => fs.readFileSync(path.join(dir, f), 'utf8');

test('series: a leak patch 1 introduces and patch 2 fixes is reported on patch 1 with fixedBy', async () => {
  const a = await getAnalyzer();
  const r = a.analyze([{ path: 'series.mbox', content: read('series-fixed-later.mbox') }]);
  const own005 = r.findings.filter((f) => f.code === 'OWN005');
  assert.equal(own005.length, 1, JSON.stringify(r.findings.map((f) => f.message)));
  const f = own005[0];
  assert.equal(f.source?.patch, '[PATCH 1/2] misc: relay: new driver');
  assert.equal(f.source?.patchIndex, 0);
  assert.equal(f.fixedBy, '[PATCH 2/2] misc: relay: release DMA ownership on remove');
  assert.match(f.message, /fixed later in the series by \[PATCH 2\/2\]/);
  // The location is the claim's line in the mbox, and source.line its line in the new file.
  const mboxLine = read('series-fixed-later.mbox').split('\n')[f.location.line - 1];
  assert.match(mboxLine, /^\+.*iommu_device_claim_dma_owner/);
  assert.equal(f.source?.file, 'drivers/misc/relay/relay.c');
  assert.equal(f.source?.line, 20);
  assert.ok(f.trace.length > 0, 'the finding carries the replay trace');
  assert.deepEqual(r.inputs[0].patches.map((p) => p.subject), ['[PATCH 1/2] misc: relay: new driver', '[PATCH 2/2] misc: relay: release DMA ownership on remove']);
});

test('series: without the fixing patch there is no fixedBy', async () => {
  const a = await getAnalyzer();
  const text = read('series-fixed-later.mbox');
  const firstOnly = text.slice(0, text.indexOf('From 0123456789abcdef', 10));
  const r = a.analyze([{ path: 'p1.patch', content: firstOnly }]);
  const f = r.findings.find((x) => x.code === 'OWN005');
  assert.ok(f);
  assert.equal(f.fixedBy, undefined);
  assert.doesNotMatch(f.message, /fixed later/);
});

test('a problem the patch did not introduce is not reported', async () => {
  const a = await getAnalyzer();
  // The patch rewords a message in a driver that already leaked its claim; the whole driver is in the context.
  const r = a.analyze([{ path: 'reword.patch', content: read('pre-existing-leak.patch') }]);
  assert.deepEqual(r.findings.map((f) => f.code), []);
  // The post-image on its own (as a whole C file) is reported: the problem is real, just not this patch's.
  const patch = read('pre-existing-leak.patch').split('\n');
  const hunk = patch.slice(patch.findIndex((l) => l.startsWith('@@')) + 1);
  const postImage = hunk.filter((l) => l.startsWith(' ') || l.startsWith('+')).map((l) => l.slice(1)).join('\n');
  const whole = a.analyze([{ path: 'relay.c', content: postImage }]);
  assert.deepEqual(whole.findings.map((f) => f.code), ['OWN005']);
});

test('--tree: the applied post-image turns an info (remove not in the patch) into an error', async () => {
  const a = await getAnalyzer();
  const patch = read('beacon-claim.patch');
  const partial = a.analyze([{ path: 'beacon.patch', content: patch }]);
  const info = partial.findings.find((f) => f.code === 'OWN005');
  assert.equal(info?.severity, 'info');
  assert.match(info?.message ?? '', /could not see: the \.remove callback beacon_remove\(\)/);
  assert.equal(info?.partial, 'the .remove callback beacon_remove() is not in the patch');

  const tree = read('tree-beacon.c');
  const asked: string[] = [];
  const full = a.analyze([{ path: 'beacon.patch', content: patch }], {
    readFile: (p) => {
      asked.push(p);
      return p === 'drivers/misc/beacon/beacon.c' ? tree : undefined;
    },
  });
  assert.ok(asked.includes('drivers/misc/beacon/beacon.c'));
  const err = full.findings.find((f) => f.code === 'OWN005');
  assert.equal(err?.severity, 'error');
  assert.equal(err?.partial, undefined);
  assert.equal(err?.location.line, info?.location.line, 'still located on the patch line');
  // With the whole struct visible the flag is seen: no OWN001 guess any more.
  assert.equal(full.findings.filter((f) => f.code === 'OWN001').length, 0);
  assert.equal(partial.findings.filter((f) => f.code === 'OWN001').length, 1);
});

test('--tree: a patch that does not apply is reviewed from its hunks, with a problem saying so', async () => {
  const a = await getAnalyzer();
  const r = a.analyze([{ path: 'beacon.patch', content: read('beacon-claim.patch') }], {
    readFile: () => '/* an unrelated file */\nint x;\n',
  });
  assert.equal(r.findings.find((f) => f.code === 'OWN005')?.severity, 'info');
  assert.ok(r.problems.some((p) => p.kind === 'skipped' && /beacon/.test(p.message)), JSON.stringify(r.problems));
});

test('severity overrides by name and by code, and off', async () => {
  const a = await getAnalyzer();
  const content = read('series-fixed-later.mbox');
  const byName = a.analyze([{ path: 's.mbox', content }], { rules: { 'unbalanced-dma-owner-claim': 'warning' } });
  assert.equal(byName.findings.find((f) => f.code === 'OWN005')?.severity, 'warning');
  const byCode = a.analyze([{ path: 's.mbox', content }], { rules: { OWN005: 'info' } });
  assert.equal(byCode.findings.find((f) => f.code === 'OWN005')?.severity, 'info');
  const off = a.analyze([{ path: 's.mbox', content }], { rules: { OWN005: 'off' } });
  assert.equal(off.findings.filter((f) => f.code === 'OWN005').length, 0);
  assert.equal(off.stats.findings, off.findings.length);
});

test('a bare C file: locations are the file itself, whole-file edits for fixes, verdicts per driver', async () => {
  const a = await getAnalyzer();
  const file = path.join(FIXTURES, 'rules/missing-driver-managed-dma/invalid-vfio-variant.c');
  const text = fs.readFileSync(file, 'utf8');
  const r = a.analyze([{ path: 'variant.c', content: new TextEncoder().encode(text) }]);
  const f = r.findings.find((x) => x.code === 'OWN001');
  assert.ok(f);
  assert.equal(f.location.path, 'variant.c');
  assert.equal(f.source, undefined);
  assert.match(text.split('\n')[f.location.line - 1], /acme_vfio_pci_driver = \{/);
  const edit = f.fixes[0]?.edits[0];
  assert.equal(edit?.path, 'variant.c');
  assert.match(edit?.newText ?? '', /\.driver_managed_dma = true,/);
  // Applying the fix silences the rule.
  const lines = text.split('\n');
  lines.splice(edit!.span.line - 1, 0, edit!.newText.replace(/\n$/, ''));
  const fixed = a.analyze([{ path: 'variant.c', content: lines.join('\n') }]);
  assert.equal(fixed.findings.filter((x) => x.code === 'OWN001').length, 0);
  const verdict = r.inputs[0].drivers.find((d) => d.driver === 'acme_vfio_pci_driver');
  assert.equal(verdict?.mode, 'kernel-dma-api');
  assert.deepEqual(verdict?.scenarios.map((s) => s.topology), ['singleton', 'shared-dma-api', 'user-owned']);
  const fixedVerdict = fixed.inputs[0].drivers.find((d) => d.driver === 'acme_vfio_pci_driver');
  assert.equal(fixedVerdict?.mode, 'driver-managed');
});

test('findings are sorted by path, line, code; stats add up', async () => {
  const a = await getAnalyzer();
  const c = fs.readFileSync(path.join(FIXTURES, 'rules/stale-api-name/invalid-series-names-on-latest.c'), 'utf8');
  const r = a.analyze([
    { path: 'z.c', content: c },
    { path: 'a.c', content: c },
  ]);
  const keys = r.findings.map((f) => [f.location.path, f.location.line, f.code] as const);
  const sorted = [...keys].sort((x, y) => x[0].localeCompare(y[0]) || x[1] - y[1] || x[2].localeCompare(y[2]));
  assert.deepEqual(keys, sorted);
  assert.equal(r.findings[0].location.path, 'a.c');
  assert.equal(r.stats.inputs, 2);
  assert.equal(r.stats.reviewed, 2);
  assert.equal(r.stats.findings, r.findings.length);
  assert.ok(r.stats.ms >= 0);
});

test('never throws: garbage, empty and binary inputs become problems or nothing; other inputs go on', async () => {
  const a = await getAnalyzer();
  const good = read('series-fixed-later.mbox');
  const garbage: (string | Uint8Array)[] = [
    '',
    '\u0000\u0001\u0002',
    Uint8Array.from({ length: 512 }, (_, i) => (i * 37 + 11) % 256),
    'diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1,3 +1,900 @@\n+int f(void) { return iommu_device_claim_dma_owner(\n',
    '@@ -1 +1 @@\n+}}}}{{{{((((\n',
    '{'.repeat(5000),
    'static struct pci_driver x = { .probe = ',
  ];
  for (const content of garbage) {
    const r = a.analyze([{ path: 'junk.patch', content }, { path: 'good.mbox', content: good }]);
    assert.ok(r.findings.some((f) => f.location.path === 'good.mbox' && f.code === 'OWN005'), 'the good input is still reviewed');
    assert.equal(r.stats.inputs, 2);
  }
});

test('a rule that throws becomes a failed problem naming it; the other rules still report', async () => {
  await getAnalyzer();
  const boom = createRule({
    meta: { code: 'OWN999', name: 'always-throws', category: 'api', defaultSeverity: 'error', tier: 3, description: 'test rule that throws', messages: { x: 'x' } },
    check() {
      throw new Error('kaboom');
    },
  });
  const r = analyzeInputs([{ path: 's.mbox', content: read('series-fixed-later.mbox') }], {}, [boom, ...RULES]);
  assert.ok(r.problems.some((p) => p.kind === 'failed' && /always-throws/.test(p.message) && /kaboom/.test(p.message)));
  assert.ok(r.findings.some((f) => f.code === 'OWN005'));
});

test('dumpFacts returns the post and pre facts of each patched C file', async () => {
  const a = await getAnalyzer();
  const d = a.dumpFacts({ path: 's.mbox', content: read('series-fixed-later.mbox') });
  assert.equal(d.patches.length, 2);
  assert.equal(d.patches[0].files[0].path, 'drivers/misc/relay/relay.c');
  assert.equal(d.patches[0].files[0].pre, undefined, 'a new file has no pre-image');
  assert.ok(d.patches[1].files[0].pre);
  assert.ok(d.patches[1].files[0].post?.functions.some((f) => f.name === 'relay_remove'));
  // Patch 2 applies on top of patch 1's new file: its views are complete.
  assert.equal(d.patches[1].files[0].post?.complete, true);
});

test('a hunk that ends on the next function\'s header does not swallow the following hunk', async () => {
  const a = await getAnalyzer();
  const content = read('hunk-ends-on-header.patch');
  const d = a.dumpFacts({ path: 'quark.patch', content });
  const post = d.patches[0].files[0].post!;
  const configure = post.functions.find((f) => f.name === 'quark_dma_configure');
  assert.ok(configure, JSON.stringify(post.functions.map((f) => f.name)));
  assert.ok(configure.calls.some((c) => c.callee === 'iommu_device_use_default_domain'));
  assert.ok(!post.functions.some((f) => f.name === 'quark_match' && f.calls.some((c) => c.callee.startsWith('iommu_'))));
  // So the file is recognised as bus code: no driver rule fires on the hooks.
  const r = a.analyze([{ path: 'quark.patch', content }]);
  assert.deepEqual(r.findings.map((f) => f.code), []);
});

test('a hunk that starts inside a function is named after git\'s hunk heading', async () => {
  const a = await getAnalyzer();
  const d = a.dumpFacts({ path: 'beacon.patch', content: read('beacon-claim.patch') });
  const post = d.patches[0].files[0].post!;
  const probe = post.functions.find((f) => f.name === 'beacon_probe');
  assert.ok(probe, JSON.stringify(post.functions.map((f) => f.name)));
  assert.deepEqual(probe.params, [{ name: 'pdev', type: 'struct platform_device *' }]);
  assert.ok(probe.calls.every((c) => c.inFunction === 'beacon_probe'));
});

test('an override does not raise a finding built on code the rule could not see; off still drops it', async () => {
  const a = await getAnalyzer();
  const content = read('beacon-claim.patch');
  const raised = a.analyze([{ path: 'b.patch', content }], { rules: { OWN005: 'error' } });
  assert.equal(raised.findings.find((f) => f.code === 'OWN005')?.severity, 'info');
  const off = a.analyze([{ path: 'b.patch', content }], { rules: { 'unbalanced-dma-owner-claim': 'off' } });
  assert.equal(off.findings.filter((f) => f.code === 'OWN005').length, 0);
});
