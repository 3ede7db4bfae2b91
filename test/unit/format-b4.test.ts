import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatB4Check, formatB4Review } from '../../src/format/b4';
import { EMPTY_RESULT, ERROR_FINDING, INFO_FINDING, SAMPLE_RULES, WARNING_FINDING, sampleResult } from './format-sample';

test('b4 check prints checkpatch --terse lines for stdin input', () => {
  const out = formatB4Check(sampleResult([ERROR_FINDING, INFO_FINDING]));
  const lines = out.split('\n');
  assert.equal(lines[0], `-:42: ERROR: OWN001 missing-driver-managed-dma: ${ERROR_FINDING.message}`);
  // Multi-line messages are folded: b4 reads one result per line.
  assert.equal(lines[1], '-:11: INFO: OWN005 unbalanced-dma-owner-claim: baz_probe() claims ownership; the .remove callback is not in the patch');
  assert.equal(lines[2], '');
  assert.equal(lines.length, 3);
});

test('b4 check prints nothing for a clean patch', () => {
  assert.equal(formatB4Check(EMPTY_RESULT), '');
});

test('b4 review: fail with the doc link of the first error', () => {
  const [entry, ...rest] = JSON.parse(formatB4Review(sampleResult([WARNING_FINDING, ERROR_FINDING]), SAMPLE_RULES));
  assert.equal(rest.length, 0);
  assert.deepEqual(Object.keys(entry).sort(), ['details', 'status', 'summary', 'tool', 'url']);
  assert.equal(entry.tool, 'iommu-review');
  assert.equal(entry.status, 'fail');
  assert.equal(entry.summary, '1 error, 1 warning, 0 info; first: OWN001 missing-driver-managed-dma');
  assert.equal(entry.url, 'https://example.invalid/docs/rules/missing-driver-managed-dma.md');
  assert.match(entry.details, /^ERROR: OWN001 missing-driver-managed-dma: drivers\/vfio\/pci\/foo\/main\.c:120: .*\(fixed later by \[PATCH 3\/3\]/m);
});

test('b4 review: warn for warnings only, pass for a clean message', () => {
  const warn = JSON.parse(formatB4Review({ findings: [WARNING_FINDING], problems: [] }, SAMPLE_RULES))[0];
  assert.equal(warn.status, 'warn');
  assert.equal(warn.url, 'https://example.invalid/docs/rules/attach-device-in-multi-device-group.md');
  const pass = JSON.parse(formatB4Review(EMPTY_RESULT, SAMPLE_RULES))[0];
  assert.equal(pass.status, 'pass');
  assert.equal(pass.summary, 'no IOMMU DMA-ownership problems found');
  assert.equal(pass.details, '');
});
