import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatJson, toJsonReport } from '../../src/format/json';
import { ERROR_FINDING, INFO_FINDING, WARNING_FINDING, sampleResult } from './format-sample';

const META = { toolName: 'iommu-review', version: '9.9.9', target: '6.15', informationUri: 'https://example.invalid' };

test('json is one object whose findings carry exactly the contract fields', () => {
  const parsed = JSON.parse(formatJson(sampleResult(), META));
  assert.ok(Array.isArray(parsed.findings));
  assert.deepEqual(Object.keys(parsed.findings[0]).sort(), ['code', 'location', 'message', 'rule', 'severity', 'source', 'trace']);
  assert.deepEqual(Object.keys(parsed.findings[1]).sort(), ['code', 'location', 'message', 'rule', 'severity', 'trace']);
  assert.deepEqual(parsed.findings[0].location, { path: 'series/0002-foo.patch', line: 42, column: 3 });
  assert.deepEqual(parsed.findings[0].source, { file: 'drivers/vfio/pci/foo/main.c', line: 120, patch: '[PATCH 2/3] vfio/foo: add a variant driver' });
  assert.deepEqual(parsed.findings[0].trace, [
    { step: 'bind: pci_dma_configure → iommu_device_use_default_domain(dev0)', result: '0', location: { path: 'series/0002-foo.patch', line: 30 } },
    { step: 'user: vfio open → iommu_group_claim_dma_owner(grp0)', result: '-EPERM' },
  ]);
  assert.equal(parsed.findings[0].rule, 'missing-driver-managed-dma');
  assert.equal(parsed.findings[0].code, 'OWN001');
  assert.equal(parsed.findings[0].severity, 'error');
});

test('problems carry path and message only; the line moves into the message', () => {
  const report = toJsonReport(sampleResult(), META);
  assert.deepEqual(report.problems, [
    { path: 'series/0000-cover-letter.patch', message: 'cover letter: no diff' },
    { path: 'broken.patch', message: 'line 9: hunk header does not match its lines' },
  ]);
});

test('extras live in top-level keys: tool, target, stats, findingDetails aligned with findings', () => {
  const report = toJsonReport(sampleResult([ERROR_FINDING, WARNING_FINDING, INFO_FINDING]), META);
  assert.deepEqual(report.tool, { name: 'iommu-review', version: '9.9.9' });
  assert.equal(report.target, '6.15');
  assert.equal(report.stats.reviewed, 2);
  assert.equal(report.findingDetails.length, 3);
  assert.equal(report.findingDetails[0].fixedBy, '[PATCH 3/3] vfio/foo: set driver_managed_dma');
  assert.equal(report.findingDetails[2].partial, 'the .remove callback baz_remove() is not in the patch');
  assert.equal(report.findingDetails[1].fixes[0].title, 'Claim the group first');
});

test('an empty result is still one object with empty arrays', () => {
  const parsed = JSON.parse(formatJson({ findings: [], problems: [], stats: { inputs: 0, reviewed: 0, skipped: 0, failed: 0, findings: 0, ms: 0 } }, META));
  assert.deepEqual(parsed.findings, []);
  assert.deepEqual(parsed.problems, []);
});

test('host extras are added at the top level but never replace a report key', () => {
  const parsed = JSON.parse(formatJson(sampleResult(), META, { workers: 2, findings: 'clobbered' }));
  assert.equal(parsed.workers, 2);
  assert.ok(Array.isArray(parsed.findings));
});
