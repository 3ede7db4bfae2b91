import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { extractFacts, initC, isCReady } from '../../src/core/c';
import { loadWasmForNode } from '../../src/core/c/node-wasm';
import type { CFacts, CView, FunctionFact, Instr } from '../../src/core/types';

const fixtures = path.join(__dirname, '../../../test/fixtures/c');

function wholeFile(name: string): CView {
  const text = fs.readFileSync(path.join(fixtures, name), 'utf8');
  return { path: `drivers/misc/${name}`, image: 'file', text, complete: true, changedLines: [], visibleLines: [] };
}

function fn(facts: CFacts, name: string): FunctionFact {
  const found = facts.functions.find((f) => f.name === name);
  assert.ok(found, `function ${name} not found`);
  return found;
}

/** Instruction summary that reads like the source: "call foo", "branch !truthy(ret) → 8". */
function describe(instr: Instr): string {
  switch (instr.op) {
    case 'call':
      return `call ${instr.call.callee}${instr.assignTo ? ` → ${instr.assignTo}` : ''}`;
    case 'branch':
      return `branch ${JSON.stringify(instr.cond)} → ${instr.target}`;
    case 'jump':
      return `jump → ${instr.target}`;
    case 'return':
      return `return ${JSON.stringify(instr.value)}`;
    case 'assign':
      return `assign ${instr.target} = ${JSON.stringify(instr.value)}`;
    case 'label':
      return `label ${instr.name}`;
    case 'gap':
      return 'gap';
  }
}

before(async () => {
  await initC(loadWasmForNode());
});

test('initC loads the wasm once and is idempotent', async () => {
  assert.equal(isCReady(), true);
  await initC(loadWasmForNode()); // a second call must not re-create the parser or throw
  assert.equal(isCReady(), true);
});

test('pci_driver: fields, flag, callbacks, registration and insertion point', () => {
  const facts = extractFacts(wholeFile('pci-claim-driver.c'));
  assert.equal(facts.drivers.length, 1);
  const driver = facts.drivers[0];
  assert.equal(driver.name, 'widget_pci_driver');
  assert.equal(driver.structType, 'pci_driver');
  assert.equal(driver.bus, 'pci');
  assert.deepEqual(driver.nameSpan, { line: 78, column: 26, endLine: 78, endColumn: 43 });
  assert.equal(driver.complete, true);
  assert.deepEqual(driver.managedDma, {
    state: 'present', spelling: 'driver_managed_dma', value: 'true', inDeviceDriver: false,
    span: { line: 83, column: 2, endLine: 83, endColumn: 28 },
  });
  assert.equal(driver.callbacks.probe, 'widget_probe');
  assert.equal(driver.callbacks.remove, 'widget_remove');
  assert.deepEqual(driver.registeredBy?.macro, 'module_pci_driver');
  assert.equal(driver.registeredBy?.span.line, 85);
  assert.deepEqual(driver.insertBefore, { line: 84, column: 1, indent: '\t' });
  assert.deepEqual(facts.registrations.map((r) => [r.macro, r.arg]), [['module_pci_driver', 'widget_pci_driver']]);
  assert.equal(facts.parse.errorNodes, 0);
  assert.equal(facts.parse.timedOut, false);
  assert.deepEqual(facts.visibleLines, [{ from: 1, to: 88 }]);
});

test('function facts: name, params, return type, static, completeness', () => {
  const facts = extractFacts(wholeFile('pci-claim-driver.c'));
  const probe = fn(facts, 'widget_probe');
  assert.equal(probe.isStatic, true);
  assert.equal(probe.returnType, 'int');
  assert.equal(probe.complete, true);
  assert.deepEqual(probe.params, [
    { name: 'pdev', type: 'struct pci_dev *' },
    { name: 'id', type: 'const struct pci_device_id *' },
  ]);
  assert.deepEqual(probe.nameSpan, { line: 20, column: 12, endLine: 20, endColumn: 24 });
  assert.equal(fn(facts, 'widget_remove').returnType, 'void');
  const claim = probe.calls.find((c) => c.callee === 'iommu_device_claim_dma_owner');
  assert.ok(claim);
  assert.equal(claim.resultUse, 'assigned');
  assert.equal(claim.assignedTo, 'ret');
  assert.equal(claim.inFunction, 'widget_probe');
  assert.equal(claim.added, true);
  assert.equal(claim.inErrorRegion, false);
  assert.deepEqual(claim.args.map((a) => a.text), ['&pdev->dev', 'wd']);
  assert.deepEqual(claim.calleeSpan, { line: 38, column: 8, endLine: 38, endColumn: 36 });
  const tested = probe.calls.find((c) => c.callee === 'iommu_group_dma_owner_claimed');
  assert.equal(tested?.resultUse, 'tested');
  assert.equal(probe.calls.find((c) => c.callee === 'pci_set_drvdata')?.resultUse, 'ignored');
  assert.equal(probe.calls.find((c) => c.callee === 'dev_err_probe')?.resultUse, 'returned');
});

test('probe program: goto unwind labels, if (ret), IS_ERR, call in condition, dev_err_probe', () => {
  const probe = fn(extractFacts(wholeFile('pci-claim-driver.c')), 'widget_probe');
  assert.deepEqual(probe.program.map(describe), [
    'call devm_kzalloc → wd',
    'branch {"kind":"truthy","subject":{"kind":"var","name":"wd"}} → 3',
    'return {"kind":"int","value":-12}',
    'assign wd->pdev = {"kind":"var","name":"pdev"}',
    'call pcim_enable_device → ret',
    'branch {"kind":"not","cond":{"kind":"truthy","subject":{"kind":"var","name":"ret"}}} → 8',
    'call dev_err_probe',
    'return {"kind":"var","name":"ret"}',
    'call pcim_iomap → wd->regs',
    'branch {"kind":"truthy","subject":{"kind":"var","name":"wd->regs"}} → 11',
    'return {"kind":"int","value":-12}',
    'call iommu_device_claim_dma_owner → ret',
    'branch {"kind":"not","cond":{"kind":"cmp","subject":{"kind":"var","name":"ret"},"op":"<","rhs":0}} → 14',
    'jump → 28',
    'call widget_setup_domain → ret',
    'branch {"kind":"not","cond":{"kind":"truthy","subject":{"kind":"var","name":"ret"}}} → 17',
    'jump → 26',
    'call iommu_group_dma_owner_claimed',
    'branch {"kind":"truthy","subject":{"kind":"call","pc":17}} → 21',
    'assign ret = {"kind":"int","value":-16}',
    'jump → 23',
    'call pci_set_drvdata',
    'return {"kind":"int","value":0}',
    'label err_detach',
    'call iommu_detach_device',
    'call iommu_domain_free',
    'label err_release',
    'call iommu_device_release_dma_owner',
    'label err_out',
    'return {"kind":"var","name":"ret"}',
  ]);
  assert.deepEqual(probe.labels, { err_detach: 23, err_release: 26, err_out: 28 });
  // Every call of the function appears in the program, in the same order.
  const programCalls = probe.program.flatMap((i) => (i.op === 'call' ? [i.call] : []));
  assert.deepEqual(programCalls, probe.calls);
});

test('helper program: IS_ERR → return PTR_ERR, and return of a call', () => {
  const helper = fn(extractFacts(wholeFile('pci-claim-driver.c')), 'widget_setup_domain');
  assert.deepEqual(helper.program.map(describe), [
    'call iommu_paging_domain_alloc → wd->domain',
    'branch {"kind":"not","cond":{"kind":"isErr","subject":{"kind":"var","name":"wd->domain"}}} → 3',
    'return {"kind":"ptrErr","subject":{"kind":"var","name":"wd->domain"}}',
    'call iommu_attach_device',
    'return {"kind":"call","pc":3}',
  ]);
});

test('platform_driver with the flag nested in .driver; amba, fsl_mc, cdx; registrations by call', () => {
  const facts = extractFacts(wholeFile('platform-nested-driver.c'));
  const byName = new Map(facts.drivers.map((d) => [d.name, d]));
  assert.deepEqual([...byName.keys()], ['gadget_driver', 'gadget_amba_driver', 'gadget_mc_driver', 'gadget_cdx_driver']);

  const platform = byName.get('gadget_driver')!;
  assert.equal(platform.bus, 'platform');
  assert.equal(platform.managedDma.state, 'present');
  assert.equal(platform.managedDma.spelling, 'suppress_auto_claim_dma_owner');
  assert.equal(platform.managedDma.inDeviceDriver, true);
  assert.deepEqual(platform.fields.map((f) => f.name), ['probe', 'remove', 'driver.name', 'driver.suppress_auto_claim_dma_owner']);
  assert.equal(platform.callbacks.remove, 'gadget_remove', '__exit_p(x) wraps the callback name');
  assert.equal(platform.registeredBy?.macro, 'builtin_platform_driver');

  const amba = byName.get('gadget_amba_driver')!;
  assert.equal(amba.bus, 'amba');
  assert.deepEqual(amba.managedDma, { state: 'absent' });
  assert.equal(amba.registeredBy?.macro, 'amba_driver_register');

  const mc = byName.get('gadget_mc_driver')!;
  assert.equal(mc.bus, 'fsl_mc');
  assert.equal(mc.managedDma.value, 'true');
  assert.equal(mc.managedDma.inDeviceDriver, false);

  const cdx = byName.get('gadget_cdx_driver')!;
  assert.equal(cdx.bus, 'cdx');
  assert.equal(cdx.managedDma.state, 'present');
  assert.equal(cdx.managedDma.value, 'false');
  assert.equal(cdx.registeredBy?.macro, 'cdx_driver_register');
});

test('bus_type: dma_configure and dma_cleanup hooks', () => {
  const facts = extractFacts(wholeFile('platform-nested-driver.c'));
  assert.equal(facts.busTypes.length, 1);
  const bus = facts.busTypes[0];
  assert.equal(bus.name, 'gadget_bus_type');
  assert.equal(bus.complete, true);
  assert.equal(bus.dmaConfigure, 'gadget_dma_configure');
  assert.equal(bus.dmaCleanup, 'gadget_dma_cleanup');
  assert.equal(bus.dmaUnconfigure, undefined);
});

test('devm actions, loops, switch, DMA-API and MMIO uses', () => {
  const facts = extractFacts(wholeFile('platform-nested-driver.c'));
  const probe = fn(facts, 'gadget_probe');
  assert.deepEqual(probe.devmActions.map((a) => [a.fn, a.call.callee]), [['gadget_unuse', 'devm_add_action_or_reset']]);
  assert.equal(probe.isStatic, true, '__init is blanked, static stays');
  const loopBranch = probe.program.find((i) => i.op === 'branch' && i.cond.kind === 'unknown' && i.cond.text.startsWith('loop'));
  assert.ok(loopBranch && loopBranch.op === 'branch');
  // The loop may be skipped: its branch jumps past the body, to where `break` also goes.
  const breakJump = probe.program.find((i, pc) => i.op === 'jump' && pc > probe.program.indexOf(loopBranch) && pc < loopBranch.target);
  assert.ok(breakJump && breakJump.op === 'jump');
  assert.equal(breakJump.target, loopBranch.target);
  const cases = probe.program.filter((i) => i.op === 'branch' && i.cond.kind === 'unknown' && i.cond.text.startsWith('case'));
  assert.equal(cases.length, 1);
  assert.deepEqual(facts.dmaApi.map((u) => [u.callee, u.inFunction]), [['dma_set_mask_and_coherent', 'gadget_probe']]);
  assert.deepEqual(facts.mmio.map((u) => [u.callee, u.span.line]), [['devm_platform_ioremap_resource', 27]]);
  const init = fn(facts, 'gadget_init');
  assert.deepEqual(init.labels, { err_amba: 8 });
});

test('identifiers of interest: calls, designators, field declarations, accesses; not comments or strings', () => {
  const facts = extractFacts(wholeFile('platform-nested-driver.c'));
  const find = (name: string, role: string) => facts.identifiers.find((i) => i.name === name && i.role === role);
  assert.equal(find('iommu_device_use_default_domain', 'call')?.inFunction, 'gadget_probe');
  assert.equal(find('suppress_auto_claim_dma_owner', 'field-designator')?.span.line, 60);
  assert.equal(find('max_pasids', 'field-declaration')?.inStruct, 'gadget');
  assert.equal(find('max_pasids', 'field-access')?.inFunction, 'gadget_probe');
  assert.equal(find('dma_configure', 'field-designator')?.span.line, 106);
  assert.ok(find('IOMMU_DEV_FEAT_SVA', 'identifier'));
  const text = 'int x; /* iommu_group_claim_dma_owner() in a comment */\nconst char *s = "iommu_attach_group";\n'
    + 'enum { IOMMU_GROUP_NOTIFY_BIND_DRIVER = 1 };\nstruct iommu_domain { int (*set_dev_pasid)(int pasid); };\n';
  const small = extractFacts({ path: 'x.c', image: 'file', text, complete: true, changedLines: [], visibleLines: [] });
  assert.deepEqual(small.identifiers.map((i) => [i.name, i.role, i.inStruct]), [
    ['IOMMU_GROUP_NOTIFY_BIND_DRIVER', 'enum-constant', undefined],
    ['iommu_domain', 'identifier', undefined],
    ['set_dev_pasid', 'field-declaration', 'iommu_domain'],
  ]);
});

test('a file with no token of interest yields valid, empty facts without parsing', () => {
  const text = 'static int add(int a, int b)\n{\n\treturn a + b;\n}\n';
  const facts = extractFacts({ path: 'lib/add.c', image: 'file', text, complete: true, changedLines: [], visibleLines: [] });
  assert.deepEqual([facts.functions, facts.drivers, facts.identifiers], [[], [], []]);
  assert.equal(facts.parse.bytes, text.length);
  assert.deepEqual(facts.visibleLines, [{ from: 1, to: 5 }]);
});

test('programs are built for relevant functions and what they reach; unrelated ones stay empty', () => {
  const text = [
    'static int widget_hw_init(struct widget *w)',
    '{',
    '\treturn widget_reset_regs(w);',
    '}',
    '',
    'static int widget_reset_regs(struct widget *w)',
    '{',
    '\twritel(0, w->base);',
    '\treturn 0;',
    '}',
    '',
    'static long widget_unrelated(struct widget *w)',
    '{',
    '\treturn strlen(w->name);',
    '}',
    '',
    'static int widget_probe(struct platform_device *pdev)',
    '{',
    '\treturn widget_hw_init(platform_get_drvdata(pdev));',
    '}',
    '',
    'static struct platform_driver widget_driver = {',
    '\t.probe = widget_probe,',
    '};',
  ].join('\n');
  const facts = extractFacts({ path: 'w.c', image: 'file', text, complete: true, changedLines: [], visibleLines: [] });
  const programOf = (name: string) => fn(facts, name).program.map((i) => (i.op === 'call' ? i.call.callee : i.op));
  assert.deepEqual(programOf('widget_probe'), ['platform_get_drvdata', 'widget_hw_init', 'return'], 'a driver callback');
  assert.deepEqual(programOf('widget_hw_init'), ['widget_reset_regs', 'return'], 'called by the probe');
  assert.deepEqual(programOf('widget_reset_regs'), ['writel', 'return'], 'reached transitively');
  assert.deepEqual(programOf('widget_unrelated'), [], 'nothing reaches it and it mentions nothing of interest');
  assert.equal(fn(facts, 'widget_unrelated').complete, true);
});

test('idTableMatches / busDriverTypes: what a driver matches and which structs a bus registers', async () => {
  const { idTableMatches, busDriverTypes } = await import('../../src/core/c/structs');
  const text = [
    'static const struct pci_device_id ids[] = {',
    '\t{ PCI_DEVICE_CLASS(PCI_CLASS_BRIDGE_PCI_NORMAL, ~0) }, /* ports */',
    '\t{ PCI_DEVICE_CLASS(((PCI_CLASS_SYSTEM_RCEC << 8) | 0x00), ~0) },',
    '\t{ }',
    '};',
    'static const struct pci_device_id mixed[] = {',
    '\t{ PCI_DEVICE_CLASS(PCI_CLASS_BRIDGE_PCI_NORMAL, ~0) },',
    '\t{ PCI_VDEVICE(INTEL, 0x1234) },',
    '\t{ 0, }',
    '};',
    'int reg(struct widget_driver *wd) { wd->driver.bus = &widget_bus; return 0; }',
  ].join('\n');
  assert.deepEqual(idTableMatches(text, 'ids'), { classes: ['PCI_CLASS_BRIDGE_PCI_NORMAL', 'PCI_CLASS_SYSTEM_RCEC'], byOtherIds: false });
  assert.deepEqual(idTableMatches(text, 'mixed'), { classes: ['PCI_CLASS_BRIDGE_PCI_NORMAL'], byOtherIds: true });
  assert.equal(idTableMatches(text, 'absent'), undefined);
  assert.deepEqual(busDriverTypes(text, 'widget_bus'), ['widget_driver']);
  assert.deepEqual(busDriverTypes(text, 'other_bus'), []);
});
