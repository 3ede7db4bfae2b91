import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { clearFactsCache, extractFacts, initC } from '../../src/core/c';
import { extractFacts as extractUncached } from '../../src/core/c/extract';
import { loadWasmForNode } from '../../src/core/c/node-wasm';
import type { CView } from '../../src/core/types';

before(async () => {
  await initC(loadWasmForNode());
});

const BODY = [
  'static int widget_probe(struct pci_dev *pdev, const struct pci_device_id *id)',
  '{',
  '\tstruct iommu_domain *dom = iommu_paging_domain_alloc(&pdev->dev);',
  '\tif (IS_ERR(dom))',
  '\t\treturn PTR_ERR(dom);',
  '\treturn iommu_attach_device(dom, &pdev->dev);',
  '}',
];

function hunkView(lines: string[], image: 'post' | 'pre' = 'post'): CView {
  return {
    path: 'drivers/misc/widget.c',
    image,
    text: ['', '', ...lines, ''].join('\n'),
    complete: false,
    changedLines: [5, 6],
    visibleLines: [{ from: 3, to: 2 + lines.length }],
  };
}

test('a memoised result equals a fresh extraction, and mutating it does not leak into the next call', () => {
  clearFactsCache();
  const view = hunkView(BODY);
  const expected = extractUncached(view);
  const first = extractFacts(view);
  assert.deepEqual(first, expected);
  assert.ok(first.functions.length > 0 && first.dmaApi.length + first.identifiers.length > 0);
  // analyze() renames fragments from hunk headings in place: the memo must not hand that back.
  first.functions[0].name = 'renamed';
  first.functions[0].calls.length = 0;
  first.identifiers.length = 0;
  const second = extractFacts(view);
  assert.notEqual(second, first);
  assert.deepEqual(second, expected);
  second.functions[0].complete = !second.functions[0].complete;
  assert.deepEqual(extractFacts(view), expected);
});

test('the memo tells apart views that differ only in image, changed lines, visible lines or one character', () => {
  clearFactsCache();
  const base = hunkView(BODY);
  const variants: CView[] = [
    base,
    { ...base, image: 'pre' },
    { ...base, changedLines: [3] },
    { ...base, visibleLines: [{ from: 4, to: 8 }] },
    { ...base, complete: true },
    hunkView(BODY.map((l) => l.replace('iommu_attach_device', 'iommu_detach_device'))),
  ];
  for (const view of variants) extractFacts(view);
  for (const view of variants) assert.deepEqual(extractFacts(view), extractUncached(view), `${view.image} ${view.changedLines} ${JSON.stringify(view.visibleLines)}`);
});
