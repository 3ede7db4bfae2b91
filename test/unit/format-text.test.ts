import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFindingText, formatText, formatTotalLine } from '../../src/format/text';
import { formatProblem } from '../../src/format/common';
import { EMPTY_RESULT, ERROR_FINDING, INFO_FINDING, WARNING_FINDING, sampleResult } from './format-sample';

test('a finding opens with the checkpatch ERROR:CODE name line and the #line: FILE: line', () => {
  const lines = formatFindingText(ERROR_FINDING).split('\n');
  assert.equal(lines[0], `ERROR:OWN001 missing-driver-managed-dma: ${ERROR_FINDING.message}`);
  assert.equal(lines[1], '#42: FILE: series/0002-foo.patch:42:');
  // The vscode-checkpatch problem matcher regex must recognise the pair.
  const matcher = /(WARNING|ERROR|CHECK): ?(.+):(.+)?\n#\d+: FILE: (.*):(\d+):/;
  const m = matcher.exec(lines.slice(0, 2).join('\n'));
  assert.ok(m);
  assert.equal(m[4], 'series/0002-foo.patch');
  assert.equal(m[5], '42');
});

test('a patched C file finding shows the post-image file:line and the patch subject', () => {
  const text = formatFindingText(ERROR_FINDING);
  assert.match(text, /^ {4}in drivers\/vfio\/pci\/foo\/main\.c:120 \(\[PATCH 2\/3\] vfio\/foo: add a variant driver\)$/m);
  assert.match(text, /^ {4}fixed later in the series by: \[PATCH 3\/3\] vfio\/foo: set driver_managed_dma$/m);
});

test('the trace is numbered and indented, with results and locations', () => {
  const lines = formatFindingText(ERROR_FINDING).split('\n');
  const traceAt = lines.indexOf('    trace:');
  assert.ok(traceAt > 1);
  assert.equal(lines[traceAt + 1], '      1. bind: pci_dma_configure → iommu_device_use_default_domain(dev0) = 0  (series/0002-foo.patch:30)');
  assert.equal(lines[traceAt + 2], '      2. user: vfio open → iommu_group_claim_dma_owner(grp0) = -EPERM');
  assert.equal(formatFindingText(ERROR_FINDING, { traces: false }).includes('trace:'), false);
  // Narrative steps (the simulation marks them 'call' / 'state') print without a fake return value.
  const narrative = { ...ERROR_FINDING, trace: [{ step: 'probe: foo_probe()', result: 'call' }, { step: 'after cleanup', result: 'state' }] };
  assert.match(formatFindingText(narrative), /^ {6}1\. probe: foo_probe\(\)\n {6}2\. after cleanup$/m);
});

test('warning and info use their own level words; a partial finding says what was not seen', () => {
  assert.match(formatFindingText(WARNING_FINDING), /^WARNING:OWN012 attach-device-in-multi-device-group: /);
  const info = formatFindingText(INFO_FINDING);
  assert.match(info, /^INFO:OWN005 unbalanced-dma-owner-claim: /);
  assert.match(info, /^ {4}partial: the \.remove callback baz_remove\(\) is not in the patch$/m);
  assert.match(info, /^#11: FILE: <stdin>:11:$/m);
  // A C file finding without source has no "in" line.
  assert.doesNotMatch(formatFindingText(WARNING_FINDING), /^ {4}in /m);
});

test('blocks are separated by a blank line and the text ends with the total line', () => {
  const text = formatText(sampleResult());
  const blocks = text.split('\n\n');
  assert.equal(blocks.length, 4);
  assert.equal(text.endsWith('\n'), true);
  assert.equal(blocks[3], 'total: 1 errors, 1 warnings, 1 info, 2 inputs reviewed (1 skipped, 1 failed)\n');
});

test('the total line counts by severity, with the fixed plurals of the contract (as checkpatch)', () => {
  assert.equal(formatTotalLine(EMPTY_RESULT), 'total: 0 errors, 0 warnings, 0 info, 1 inputs reviewed (0 skipped, 0 failed)');
  assert.equal(formatText(EMPTY_RESULT), 'total: 0 errors, 0 warnings, 0 info, 1 inputs reviewed (0 skipped, 0 failed)\n');
  const two = sampleResult([ERROR_FINDING, ERROR_FINDING]);
  assert.match(formatTotalLine(two), /^total: 2 errors, 0 warnings, 0 info, /);
});

test('problems print as one stderr line, with the line when known', () => {
  const [skipped, failed] = sampleResult().problems;
  assert.equal(formatProblem(skipped), 'iommu-review: series/0000-cover-letter.patch: cover letter: no diff');
  assert.equal(formatProblem(failed), 'iommu-review: broken.patch:9: hunk header does not match its lines');
});

test('the input line is quoted under the FILE line when the host provides it', () => {
  const lineOf = (p: string, n: number) => (p === 'series/0002-foo.patch' && n === 42 ? '+\t.probe = foo_probe,' : undefined);
  const lines = formatFindingText(ERROR_FINDING, { lineOf }).split('\n');
  assert.equal(lines[1], '#42: FILE: series/0002-foo.patch:42:');
  assert.equal(lines[2], '+\t.probe = foo_probe,');
  assert.match(lines[3], /^ {4}in /);
  // Nothing is quoted when the line is unknown.
  assert.match(formatFindingText(WARNING_FINDING, { lineOf }).split('\n')[2], /^ {4}/);
});
