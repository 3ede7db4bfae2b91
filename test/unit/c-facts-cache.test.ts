import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { clearFactsCache, extractFacts, initC } from '../../src/core/c';
import { extractFacts as extractUncached } from '../../src/core/c/extract';
import { freezeStoredFacts } from '../../src/core/c/facts-cache';
import { loadWasmForNode } from '../../src/core/c/node-wasm';
import { nameFromHeadings } from '../../src/core/c/hunk-headings';
import type { CView, FileDiff } from '../../src/core/types';

before(async () => {
  await initC(loadWasmForNode());
  freezeStoredFacts(true);
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

test('the memo hands out one object equal to a fresh extraction; frozen under test, writing into it throws', () => {
  clearFactsCache();
  const view = hunkView(BODY);
  const expected = extractUncached(view);
  const first = extractFacts(view);
  assert.deepEqual(first, expected);
  assert.ok(first.functions.length > 0 && first.dmaApi.length + first.identifiers.length > 0);
  const second = extractFacts(view);
  assert.equal(second, first, 'a hit is the stored object, not a copy');
  assert.ok(Object.isFrozen(second) && Object.isFrozen(second.functions[0].calls[0]) && Object.isFrozen(second.identifiers));
  assert.throws(() => {
    second.functions[0].name = 'renamed';
  }, TypeError);
  assert.throws(() => second.identifiers.push(second.identifiers[0]), TypeError);
  assert.deepEqual(extractFacts(view), expected);
});

test('naming a memoised fragment from its heading builds a renamed copy and leaves the memo as it was', () => {
  clearFactsCache();
  // The hunk starts inside widget_probe: its header is only in the hunk heading.
  const fragment = BODY.slice(2);
  const view: CView = { ...hunkView(fragment), changedLines: [3, 4] };
  const expected = extractUncached(view);
  const facts = extractFacts(view);
  assert.equal(facts.functions[0].name, '', 'an unnamed fragment');
  const heading = 'static int widget_probe(struct pci_dev *pdev, const struct pci_device_id *id)';
  const file = {
    oldPath: view.path, newPath: view.path, status: 'modified', inputLine: 1,
    hunks: [{ oldStart: 3, oldLines: fragment.length, newStart: 3, newLines: fragment.length, heading, inputLine: 1, lines: [], truncated: false }],
  } as unknown as FileDiff;
  const named = nameFromHeadings(facts, file, 'post');
  assert.notEqual(named, facts);
  const fn = named.functions[0];
  assert.equal(fn.name, 'widget_probe');
  assert.equal(fn.complete, false);
  assert.deepEqual(fn.params.map((p) => p.name), ['pdev', 'id']);
  assert.ok(fn.calls.length > 0 && fn.calls.every((c) => c.inFunction === 'widget_probe'));
  // The program's call instructions hold the same renamed call objects as calls[].
  const programCalls = fn.program.flatMap((ins) => (ins.op === 'call' ? [ins.call] : []));
  assert.deepEqual(programCalls.map((c) => fn.calls.indexOf(c)), fn.calls.map((_, i) => i));
  assert.ok(named.identifiers.length > 0 && named.identifiers.every((d) => d.inFunction === 'widget_probe'));
  assert.ok(named.dmaApi.every((d) => d.inFunction === 'widget_probe'));
  // Nothing of the memoised facts changed, and the next analysis gets them unnamed again.
  assert.deepEqual(facts, expected);
  assert.equal(extractFacts(view), facts);
  // Facts whose fragments have no heading to name them come back as they are.
  const noHeading = { ...file, hunks: [{ ...file.hunks[0], heading: '' }] } as FileDiff;
  assert.equal(nameFromHeadings(facts, noHeading, 'post'), facts);
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

test('outside tests the memo neither copies nor freezes: a hit is the stored object, as it was extracted', () => {
  freezeStoredFacts(false);
  try {
    clearFactsCache();
    const view = hunkView(BODY);
    const first = extractFacts(view);
    assert.equal(extractFacts(view), first);
    assert.ok(!Object.isFrozen(first) && !Object.isFrozen(first.functions[0]));
  } finally {
    freezeStoredFacts(true);
  }
});
