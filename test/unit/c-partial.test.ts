import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { blankAnnotations, extractFacts, initC } from '../../src/core/c';
import { loadWasmForNode } from '../../src/core/c/node-wasm';
import type { CView } from '../../src/core/types';

before(async () => {
  await initC(loadWasmForNode());
});

/** A line-aligned hunk view: `lines` placed from image line `firstLine`, everything else blank and unseen. */
function hunkView(firstLine: number, lines: string[], added: number[], totalLines = firstLine + lines.length + 20): CView {
  const image: string[] = new Array<string>(totalLines).fill('');
  lines.forEach((line, i) => {
    image[firstLine - 1 + i] = line;
  });
  return {
    path: 'drivers/misc/widget.c',
    image: 'post',
    text: image.join('\n'),
    complete: false,
    changedLines: added,
    visibleLines: [{ from: firstLine, to: firstLine + lines.length - 1 }],
  };
}

test('blankAnnotations replaces annotations with same-length spaces and keeps lines', () => {
  const source = 'static void __iomem *map(struct foo __rcu *p) __must_check;\n'
    + 'unsigned int irq[] __counted_by(count);\nstruct bar *b __free(kfree) = NULL;\nint __init\n  x __aligned(\n8);\n'
    + 'static int __initdata y;';
  const blanked = blankAnnotations(source);
  assert.equal(blanked.length, source.length);
  assert.deepEqual(blanked.split('\n').map((l) => l.length), source.split('\n').map((l) => l.length));
  assert.equal(blanked.indexOf('*map'), source.indexOf('*map'));
  for (const gone of ['__iomem', '__rcu', '__must_check', '__counted_by', 'count)', '__free', 'kfree', '__init', '__aligned', '__initdata']) {
    assert.ok(!blanked.includes(gone), `${gone} should be blanked`);
  }
  assert.ok(blanked.includes('struct bar *b') && blanked.includes('= NULL;'));
  assert.equal(blankAnnotations('int plain;'), 'int plain;');
  assert.equal(blankAnnotations('x = __exit_p(foo);'), 'x = __exit_p(foo);', 'a longer name is not an annotation');
});

test('hunk view starting mid-function: calls keep their image lines, no enclosing function, gap at the top', () => {
  const view = hunkView(41, [
    '\tret = iommu_device_claim_dma_owner(dev, priv);',
    '\tif (ret)',
    '\t\tgoto err_free;',
    '\tpriv->domain = iommu_paging_domain_alloc(dev);',
    '\tif (IS_ERR(priv->domain)) {',
    '\t\tret = PTR_ERR(priv->domain);',
    '\t\tgoto err_release;',
    '\t}',
    '\treturn 0;',
    '',
    'err_release:',
    '\tiommu_device_release_dma_owner(dev);',
    'err_free:',
    '\tkfree(priv);',
    '\treturn ret;',
    '}',
  ], [41, 44]);
  const facts = extractFacts(view);
  assert.equal(facts.complete, false);
  assert.equal(facts.functions.length, 1);
  const pseudo = facts.functions[0];
  assert.equal(pseudo.name, '');
  assert.equal(pseudo.complete, false);
  assert.deepEqual(pseudo.calls.map((c) => [c.callee, c.span.line, c.span.column, c.inFunction, c.added]), [
    ['iommu_device_claim_dma_owner', 41, 8, undefined, true],
    ['iommu_paging_domain_alloc', 44, 17, undefined, true],
    ['iommu_device_release_dma_owner', 52, 2, undefined, false],
    ['kfree', 54, 2, undefined, false],
  ]);
  assert.equal(pseudo.program[0].op, 'gap', 'the unseen top of the function is unknown code');
  // goto targets resolve to the visible labels.
  const releaseLabel = pseudo.labels.err_release;
  assert.equal(pseudo.program[releaseLabel].op, 'label');
  const gotoRelease = pseudo.program.find((i) => i.op === 'jump' && i.span?.line === 47);
  assert.ok(gotoRelease && gotoRelease.op === 'jump');
  assert.equal(gotoRelease.target, releaseLabel);
  assert.deepEqual(facts.addedLines, [41, 44]);
  assert.equal(facts.identifiers.find((i) => i.name === 'iommu_device_claim_dma_owner')?.added, true);
  assert.equal(facts.identifiers.find((i) => i.name === 'iommu_device_release_dma_owner')?.added, false);
});

test('two visible ranges inside one function body are joined by a gap', () => {
  const lines = [
    'static int widget_probe(struct pci_dev *pdev, const struct pci_device_id *id)',
    '{',
    '\tint ret;',
    '',
    '\tret = iommu_device_use_default_domain(&pdev->dev);',
  ];
  const view = hunkView(10, lines, [14]);
  const text = view.text.split('\n');
  text[29] = '\tiommu_device_unuse_default_domain(&pdev->dev);';
  text[30] = '\treturn 0;';
  text[31] = '}';
  view.text = text.join('\n');
  view.visibleLines = [{ from: 10, to: 14 }, { from: 30, to: 32 }];
  const probe = extractFacts(view).functions.find((f) => f.name === 'widget_probe');
  assert.ok(probe);
  assert.equal(probe.complete, false, 'lines 15-29 were not seen');
  const ops = probe.program.map((i) => (i.op === 'call' ? i.call.callee : i.op));
  assert.deepEqual(ops, ['iommu_device_use_default_domain', 'gap', 'iommu_device_unuse_default_domain', 'return']);
  const gap = probe.program[1];
  assert.ok(gap.op === 'gap');
  assert.deepEqual([gap.span.line, gap.span.endLine], [15, 29]);
  assert.equal(probe.calls[0].inFunction, 'widget_probe');
});

test('a goto to a label outside the hunk jumps to unseen code that returns an unknown value', () => {
  const view = hunkView(20, ['\tret = iommu_attach_group(domain, group);', '\tif (ret)', '\t\tgoto out_unlock;'], [20]);
  const pseudo = extractFacts(view).functions[0];
  const target = pseudo.labels.out_unlock;
  assert.ok(target !== undefined);
  assert.deepEqual(pseudo.program.slice(target).map((i) => i.op), ['label', 'gap', 'return']);
  const last = pseudo.program[pseudo.program.length - 1];
  assert.equal(last.op === 'return' && last.value?.kind, 'unknown');
});

test('managed-DMA flag: unknown for a partly visible initializer, absent for a whole one', () => {
  const partial = hunkView(100, [
    'static struct platform_driver widget_driver = {',
    '\t.probe = widget_probe,',
    '\t.remove = widget_remove,',
  ], [101]);
  const [torn] = extractFacts(partial).drivers;
  assert.ok(torn, 'the struct is recognised from its visible start');
  assert.equal(torn.name, 'widget_driver');
  assert.equal(torn.complete, false);
  assert.deepEqual(torn.managedDma, { state: 'unknown' });
  assert.equal(torn.insertBefore, null);
  assert.equal(torn.callbacks.probe, 'widget_probe');
  assert.deepEqual(torn.addedLines, [101]);
  assert.deepEqual([torn.span.line, torn.span.endLine], [100, 102]);

  const whole = hunkView(100, [
    'static struct platform_driver widget_driver = {',
    '\t.probe = widget_probe,',
    '\t.driver = {',
    '\t\t.name = "widget",',
    '\t},',
    '};',
  ], [101]);
  const [seen] = extractFacts(whole).drivers;
  assert.equal(seen.complete, true);
  assert.deepEqual(seen.managedDma, { state: 'absent' });
  assert.deepEqual(seen.insertBefore, { line: 105, column: 1, indent: '\t' });

  // Same struct, but line 103 is not visible: the flag might be there.
  const holed = { ...whole, visibleLines: [{ from: 100, to: 102 }, { from: 104, to: 105 }] };
  assert.deepEqual(extractFacts(holed).drivers[0].managedDma, { state: 'unknown' });
});

test('calls inside ERROR regions are reported and marked', () => {
  const text = [
    'static int widget_attach(struct widget *w)',
    '{',
    '\tif (w->ready) {{',
    '\t\tiommu_attach_group(w->domain, w->group) = = 3;',
    '\treturn 0;',
    '}',
    '',
    'static int widget_detach(struct widget *w)',
    '{',
    '\tint a = 1 +;',
    '\tiommu_detach_group(w->domain, w->group) iommu_group_put(w->group);',
    '\treturn a;',
    '}',
  ].join('\n');
  const facts = extractFacts({ path: 'w.c', image: 'file', text, complete: true, changedLines: [], visibleLines: [] });
  assert.ok(facts.parse.errorNodes > 0);
  const all = facts.functions.flatMap((f) => f.calls);
  const attach = all.find((c) => c.callee === 'iommu_attach_group');
  assert.ok(attach, 'call inside a torn function is found');
  assert.equal(attach.inErrorRegion, true);
  assert.equal(attach.span.line, 4);
  assert.equal(attach.inFunction, 'widget_attach');
  const detach = all.find((c) => c.callee === 'iommu_detach_group');
  assert.ok(detach);
  assert.equal(detach.inErrorRegion, true);
  assert.equal(detach.inFunction, 'widget_detach');
  const put = all.find((c) => c.callee === 'iommu_group_put');
  assert.equal(put?.inErrorRegion, false);
});

test('annotations do not shift positions: spans after __iomem and __counted_by are exact', () => {
  const text = 'struct ring { unsigned int n; u32 slots[] __counted_by(n); };\n'
    + 'static void __iomem *widget_map(struct pci_dev *pdev)\n{\n\treturn pci_iomap(pdev, 0, 0);\n}\n';
  const facts = extractFacts({ path: 'w.c', image: 'file', text, complete: true, changedLines: [], visibleLines: [] });
  assert.equal(facts.parse.errorNodes, 0);
  const map = facts.functions.find((f) => f.name === 'widget_map');
  assert.ok(map);
  assert.equal(map.returnType, 'void *');
  assert.deepEqual(map.nameSpan, { line: 2, column: 22, endLine: 2, endColumn: 32 });
  assert.deepEqual(facts.mmio.map((u) => [u.callee, u.span]), [['pci_iomap', { line: 4, column: 9, endLine: 4, endColumn: 18 }]]);
});

test('conditions: &&, ||, unlikely, WARN_ON, IS_ERR_OR_NULL and a call on the right of &&', () => {
  const text = [
    'static int widget_check(struct widget *w)',
    '{',
    '\tif (WARN_ON(!w->group) || IS_ERR_OR_NULL(w->domain))',
    '\t\treturn -EINVAL;',
    '\tif (unlikely(w->owned && iommu_group_dma_owner_claimed(w->group)))',
    '\t\treturn -EBUSY;',
    '\treturn 0;',
    '}',
  ].join('\n');
  const check = extractFacts({ path: 'w.c', image: 'file', text, complete: true, changedLines: [], visibleLines: [] }).functions[0];
  const first = check.program[0];
  assert.ok(first.op === 'branch');
  assert.deepEqual(first.cond, {
    kind: 'not',
    cond: {
      kind: 'or',
      left: { kind: 'not', cond: { kind: 'truthy', subject: { kind: 'var', name: 'w->group' } } },
      right: { kind: 'isErrOrNull', subject: { kind: 'var', name: 'w->domain' } },
    },
  });
  // `a && call()`: the call only runs when a holds, so a branch on a comes before it.
  const ops = check.program.map((i) => (i.op === 'call' ? `call ${i.call.callee}` : i.op));
  assert.deepEqual(ops, ['branch', 'return', 'branch', 'call iommu_group_dma_owner_claimed', 'branch', 'return', 'return']);
  const guard = check.program[2];
  const afterCall = check.program[4];
  assert.ok(guard.op === 'branch' && afterCall.op === 'branch');
  assert.deepEqual(guard.cond, { kind: 'not', cond: { kind: 'truthy', subject: { kind: 'var', name: 'w->owned' } } });
  assert.deepEqual(afterCall.cond, { kind: 'not', cond: { kind: 'truthy', subject: { kind: 'call', pc: 3 } } });
  assert.equal(guard.target, 6);
  assert.equal(afterCall.target, 6);
});

test('assignments the replay reads: errno names, NULL, PTR_ERR, other variables, declarations', () => {
  const text = [
    'static int widget_setup(struct device *dev)',
    '{',
    '\tstruct iommu_group *group = iommu_group_get(dev);',
    '\tint ret = -EPROBE_DEFER, err = -EVENDOR_ONLY;',
    '\tvoid *p = NULL;',
    '',
    '\tret = other;',
    '\tret = PTR_ERR(group);',
    '\t(void)iommu_group_claim_dma_owner(group, dev);',
    '\treturn ERR_PTR(-ENODEV) ? 1 : 0;',
    '}',
  ].join('\n');
  const setup = extractFacts({ path: 'w.c', image: 'file', text, complete: true, changedLines: [], visibleLines: [] }).functions[0];
  const assigns = setup.program.filter((i) => i.op === 'assign').map((i) => (i.op === 'assign' ? [i.target, i.value] : []));
  assert.deepEqual(assigns, [
    ['ret', { kind: 'int', value: -517 }],
    ['err', { kind: 'errno', name: 'EVENDOR_ONLY' }],
    ['p', { kind: 'null' }],
    ['ret', { kind: 'var', name: 'other' }],
    ['ret', { kind: 'ptrErr', subject: { kind: 'var', name: 'group' } }],
  ]);
  assert.equal(setup.calls[0].assignedTo, 'group');
  assert.equal(setup.calls[1].resultUse, 'void-cast');
});

test('a parse that exceeds its time budget reports timedOut, and the parser recovers', () => {
  const unit = 'static int f(struct device *dev)\n{\n\treturn iommu_device_use_default_domain(dev);\n}\n';
  const big = unit.repeat(20000); // under the 2 MB code budget (past it the view is not parsed at all)
  const slow = extractFacts({ path: 'big.c', image: 'file', text: big, complete: true, changedLines: [], visibleLines: [] }, { timeoutMs: 0 });
  assert.equal(slow.parse.timedOut, true);
  assert.deepEqual(slow.functions, []);
  const next = extractFacts({ path: 'small.c', image: 'file', text: unit, complete: true, changedLines: [], visibleLines: [] });
  assert.equal(next.parse.timedOut, false);
  assert.deepEqual(next.functions.map((f) => f.name), ['f']);
});

test('200 parses free their trees without crashing and give identical facts', () => {
  const text = 'static struct pci_driver d = {\n\t.probe = p,\n\t.driver_managed_dma = true,\n};\nmodule_pci_driver(d);\n'
    + 'static int p(struct pci_dev *pdev, const struct pci_device_id *id)\n{\n\treturn iommu_device_claim_dma_owner(&pdev->dev, pdev);\n}\n';
  const view: CView = { path: 'd.c', image: 'file', text, complete: true, changedLines: [], visibleLines: [] };
  const first = JSON.stringify(extractFacts(view));
  for (let i = 0; i < 200; i++) {
    assert.equal(JSON.stringify(extractFacts(view)), first);
  }
});

test('WARN_ON around a call counts as testing its result; *_driver_probe registers the driver', () => {
  const text = [
    'static int __init widget_init(void)',
    '{',
    '\tWARN_ON(iommu_group_claim_dma_owner(widget_group, widget_owner));',
    '\tiommu_group_release_dma_owner(widget_group);',
    '\treturn 0;',
    '}',
    'static struct platform_driver widget_driver = {',
    '\t.driver = { .name = "widget" },',
    '};',
    'module_platform_driver_probe(widget_driver, widget_probe);',
    '/* module_pci_driver(not_a_registration); */',
  ].join('\n');
  const facts = extractFacts({ path: 'w.c', image: 'file', text, complete: true, changedLines: [], visibleLines: [] });
  const init = facts.functions.find((f) => f.name === 'widget_init');
  assert.deepEqual(init?.calls.map((c) => [c.callee, c.resultUse]), [
    ['iommu_group_claim_dma_owner', 'tested'],
    ['iommu_group_release_dma_owner', 'ignored'],
  ]);
  assert.deepEqual(facts.registrations.map((r) => [r.macro, r.arg, r.span.line]), [['module_platform_driver_probe', 'widget_driver', 10]]);
  assert.equal(facts.drivers[0].registeredBy?.macro, 'module_platform_driver_probe');
  assert.deepEqual(facts.drivers[0].insertBefore, { line: 9, column: 1, indent: '\t' });
});

test('in a hunk view a function gets its program as in a whole file: when it mentions something of interest', () => {
  const plain = hunkView(30, ['static int widget_hw_init(struct widget *w)', '{', '\treturn widget_reset_regs(w);', '}'], [32]);
  const init = extractFacts({ ...plain, text: `${plain.text}\n/* iommu */` }).functions.find((f) => f.name === 'widget_hw_init');
  assert.deepEqual(init?.program, []);
  assert.equal(init?.complete, true);
  const owning = hunkView(30, ['static int widget_hw_init(struct widget *w)', '{', '\treturn iommu_device_use_default_domain(w->dev);', '}'], [32]);
  const built = extractFacts(owning).functions.find((f) => f.name === 'widget_hw_init');
  assert.deepEqual(built?.program.map((i) => i.op), ['call', 'return']);
});

test('#ifdef/#else inside a body: each side once, behind an unknown branch; case values are not statements', () => {
  const text = [
    'static int widget_dma_setup(struct device *dev, int mode)',
    '{',
    '#ifdef CONFIG_IOMMU_API',
    '\tiommu_device_claim_dma_owner(dev, dev);',
    '#else',
    '\tdev_warn(dev, "no iommu");',
    '#endif',
    '\tswitch (mode) {',
    '\tcase WIDGET_MODE(1):',
    '\t\treturn 1;',
    '\t}',
    '\treturn 0;',
    '}',
  ].join('\n');
  const setup = extractFacts({ path: 'w.c', image: 'file', text, complete: true, changedLines: [], visibleLines: [] }).functions[0];
  const ops = setup.program.map((i) => (i.op === 'call' ? i.call.callee : i.op));
  assert.deepEqual(ops, ['branch', 'iommu_device_claim_dma_owner', 'jump', 'dev_warn', 'branch', 'jump', 'return', 'return']);
  const ifdef = setup.program[0];
  assert.ok(ifdef.op === 'branch' && ifdef.cond.kind === 'unknown');
  assert.equal(ifdef.target, 3, 'the #else side');
  const skipElse = setup.program[2];
  assert.ok(skipElse.op === 'jump');
  assert.equal(skipElse.target, 4);
});

test('a hunk starting on the tail of a multi-line call still yields that line\'s calls', () => {
  const view = hunkView(70, [
    '\t\t\t\t   iommu_group_id(group), widget_flags(w));',
    '\tif (ret)',
    '\t\tgoto out;',
    '\tiommu_group_put(group);',
  ], [73]);
  const pseudo = extractFacts(view).functions[0];
  assert.deepEqual(pseudo.calls.map((c) => [c.callee, c.span.line, c.span.column, c.inErrorRegion]), [
    ['iommu_group_id', 70, 8, true],
    ['widget_flags', 70, 31, true],
    ['iommu_group_put', 73, 2, false],
  ]);
  assert.deepEqual(pseudo.calls[0].args, [{ text: 'group', span: { line: 70, column: 23, endLine: 70, endColumn: 28 } }]);
  assert.deepEqual(pseudo.program.slice(0, 3).map((i) => (i.op === 'call' ? i.call.callee : i.op)), ['gap', 'iommu_group_id', 'widget_flags']);
  // A first line that is a whole statement is parsed normally.
  const normal = extractFacts(hunkView(70, ['\tret = iommu_group_id(group);'], [70])).functions[0];
  assert.equal(normal.calls[0].inErrorRegion, false);
  assert.equal(normal.calls[0].assignedTo, 'ret');
});
