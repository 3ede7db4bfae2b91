/** Hand-made analysis results for the formatter tests (no analyzer involved). */
import type { AnalysisResult, Finding } from '../../src/core/types';
import type { RuleMeta } from '../../src/rules/types';

export const SAMPLE_RULES: RuleMeta[] = [
  {
    code: 'OWN001',
    name: 'missing-driver-managed-dma',
    category: 'ownership',
    defaultSeverity: 'error',
    tier: 1,
    description: 'A driver that takes DMA ownership must set driver_managed_dma.',
    messages: { missing: '{{driver}} claims ownership without the flag' },
    docsUrl: 'https://example.invalid/docs/rules/missing-driver-managed-dma.md',
  },
  {
    code: 'OWN005',
    name: 'unbalanced-dma-owner-claim',
    category: 'ownership',
    defaultSeverity: 'error',
    tier: 1,
    description: 'Every DMA owner claim is released on every path.',
    messages: { leak: 'claim leaks' },
    docsUrl: 'https://example.invalid/docs/rules/unbalanced-dma-owner-claim.md',
  },
  {
    code: 'OWN012',
    name: 'attach-device-in-multi-device-group',
    category: 'attach',
    defaultSeverity: 'warning',
    tier: 1,
    description: 'Attaching one device of a shared group.',
    messages: { shared: 'shared group' },
    docsUrl: 'https://example.invalid/docs/rules/attach-device-in-multi-device-group.md',
  },
];

export const ERROR_FINDING: Finding = {
  rule: 'missing-driver-managed-dma',
  code: 'OWN001',
  severity: 'error',
  message: 'foo_vfio_driver: foo_probe() registers a VFIO device but the driver does not set .driver_managed_dma = true',
  location: { path: 'series/0002-foo.patch', line: 42, column: 3, endLine: 42, endColumn: 20 },
  source: { file: 'drivers/vfio/pci/foo/main.c', line: 120, patch: '[PATCH 2/3] vfio/foo: add a variant driver', patchIndex: 1 },
  trace: [
    { step: 'bind: pci_dma_configure → iommu_device_use_default_domain(dev0)', result: '0', location: { path: 'series/0002-foo.patch', line: 30 } },
    { step: 'user: vfio open → iommu_group_claim_dma_owner(grp0)', result: '-EPERM' },
  ],
  fixes: [
    {
      title: 'Set .driver_managed_dma = true',
      edits: [{ path: 'drivers/vfio/pci/foo/main.c', span: { line: 125, column: 1, endLine: 125, endColumn: 1 }, newText: '\t.driver_managed_dma = true,\n' }],
    },
  ],
  fixedBy: '[PATCH 3/3] vfio/foo: set driver_managed_dma',
};

export const WARNING_FINDING: Finding = {
  rule: 'attach-device-in-multi-device-group',
  code: 'OWN012',
  severity: 'warning',
  message: 'bar_probe() attaches one device of a group # with ? odd chars',
  location: { path: 'dir with space/bar.c', line: 7, column: 2 },
  trace: [],
  fixes: [{ title: 'Claim the group first', edits: [], suggestion: 'call iommu_group_claim_dma_owner() before attaching' }],
};

export const INFO_FINDING: Finding = {
  rule: 'unbalanced-dma-owner-claim',
  code: 'OWN005',
  severity: 'info',
  message: 'baz_probe() claims ownership;\nthe .remove callback is not in the patch',
  location: { path: '<stdin>', line: 11, column: 1 },
  trace: [],
  fixes: [],
  partial: 'the .remove callback baz_remove() is not in the patch',
};

export function sampleResult(findings: Finding[] = [ERROR_FINDING, WARNING_FINDING, INFO_FINDING]): AnalysisResult {
  return {
    findings,
    problems: [
      { path: 'series/0000-cover-letter.patch', message: 'cover letter: no diff', kind: 'skipped' },
      { path: 'broken.patch', message: 'hunk header does not match its lines', line: 9, kind: 'failed' },
    ],
    inputs: [],
    stats: { inputs: 4, reviewed: 2, skipped: 1, failed: 1, findings: findings.length, ms: 12 },
  };
}

export const EMPTY_RESULT: AnalysisResult = {
  findings: [],
  problems: [],
  inputs: [],
  stats: { inputs: 1, reviewed: 1, skipped: 0, failed: 0, findings: 0, ms: 1 },
};
