/**
 * Which programs a patch's views build (extract.ts buildRelevantPrograms): a file the patch adds, shown whole, builds
 * only what can matter, as a whole file of a scan does (ownership vocabulary, driver callbacks, what those call), and
 * so do a modified file's images and hunk views; a function one image of a modified file built is built in the
 * other too (the images are compared function by function). The findings do not depend on it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getAnalyzer } from '../helpers';
import type { CFacts } from '../../src/core/types';
import { VIEW_OF_INTEREST } from '../../src/core/c/relevance';
import { DMA_API_CALL, MMIO_CALL } from '../../src/core/c/call-names';
import { MANAGED_DMA_SPELLINGS } from '../../src/core/c/structs';

const PATH = 'drivers/misc/quokka/quokka.c';

/** A small PCI driver written for this test: probe claims ownership through a helper, one function is unrelated. */
const DRIVER = [
  '#include <linux/pci.h>',
  '#include <linux/iommu.h>',
  '',
  'static int quokka_take(struct pci_dev *pdev)',
  '{',
  '\treturn iommu_device_claim_dma_owner(&pdev->dev, pdev);',
  '}',
  '',
  'static void quokka_blink(void __iomem *regs, int times)',
  '{',
  '\tint i;',
  '',
  '\tfor (i = 0; i < times; i++)',
  '\t\twritel(i & 1, regs + 0x10);',
  '}',
  '',
  'static int quokka_probe(struct pci_dev *pdev, const struct pci_device_id *id)',
  '{',
  '\tint ret = quokka_take(pdev);',
  '',
  '\tif (ret)',
  '\t\treturn ret;',
  '\treturn 0;',
  '}',
  '',
  'static void quokka_remove(struct pci_dev *pdev)',
  '{',
  '\tiommu_device_release_dma_owner(&pdev->dev);',
  '}',
  '',
  'static struct pci_driver quokka_driver = {',
  '\t.name = "quokka",',
  '\t.probe = quokka_probe,',
  '\t.remove = quokka_remove,',
  '\t.driver_managed_dma = true,',
  '};',
  'module_pci_driver(quokka_driver);',
];

function newFilePatch(lines: string[]): string {
  return [
    'diff --git a/' + PATH + ' b/' + PATH,
    'new file mode 100644',
    'index 0000000..1111111',
    '--- /dev/null',
    '+++ b/' + PATH,
    `@@ -0,0 +1,${lines.length} @@`,
    ...lines.map((l) => `+${l}`),
    '',
  ].join('\n');
}

/** A patch adding one comment line after line `after` (1-based) of the driver; its hunk starts at line `from`. */
function modifyPatch(lines: string[], after: number, from: number): string {
  const context = lines.slice(from - 1, after);
  const tail = lines.slice(after, after + 3);
  return [
    'diff --git a/' + PATH + ' b/' + PATH,
    'index 1111111..2222222 100644',
    '--- a/' + PATH,
    '+++ b/' + PATH,
    `@@ -${from},${context.length + tail.length} +${from},${context.length + tail.length + 1} @@`,
    ...context.map((l) => ` ${l}`),
    '+\t/* reviewed */',
    ...tail.map((l) => ` ${l}`),
    '',
  ].join('\n');
}

function fn(facts: CFacts | undefined, name: string): CFacts['functions'][number] {
  const found = facts?.functions.find((f) => f.name === name);
  assert.ok(found, `${name} is in the facts`);
  return found;
}

test('a new file builds what matters: the driver callbacks and their helper, not an unrelated function', async () => {
  const analyzer = await getAnalyzer();
  const dumped = analyzer.dumpFacts({ path: 'new.patch', content: newFilePatch(DRIVER) });
  const post = dumped.patches[0].files[0].post;
  assert.equal(post?.complete, true);
  assert.ok(fn(post, 'quokka_probe').program.length > 0, 'probe (a driver callback)');
  assert.ok(fn(post, 'quokka_take').program.length > 0, 'the helper probe calls');
  assert.ok(fn(post, 'quokka_remove').program.length > 0, 'remove');
  assert.equal(fn(post, 'quokka_blink').program.length, 0, 'a function nothing that matters reaches');
  assert.deepEqual(fn(post, 'quokka_blink').calls, []);
});

test('a modified file builds what matters, as a whole file does, with its base known and as hunks', async () => {
  const analyzer = await getAnalyzer();
  // Inside quokka_blink; the hunk starts at quokka_take (a hunk without the ownership vocabulary is not parsed at all).
  const patch = modifyPatch(DRIVER, 13, 4);
  const readFile = (p: string): string => {
    if (p === PATH) return DRIVER.join('\n') + '\n';
    throw new Error(`${p}: not in the test's tree`);
  };
  for (const withBase of [true, false]) {
    const dumped = analyzer.dumpFacts({ path: 'mod.patch', content: patch }, withBase ? { readFile } : {});
    const file = dumped.patches[0].files[0];
    assert.equal(file.post?.complete, withBase, withBase ? 'the base makes the view complete' : 'hunks only');
    assert.ok(fn(file.post, 'quokka_take').program.length > 0, 'the claiming helper is built in the post-image');
    assert.ok(fn(file.pre, 'quokka_take').program.length > 0, 'and in the pre-image');
    assert.equal(fn(file.post, 'quokka_blink').program.length, 0, 'the unrelated function is not built in the post-image');
    assert.equal(fn(file.pre, 'quokka_blink').program.length, 0, 'nor in the pre-image');
  }
});

/**
 * A patch replacing quokka_remove's release (its only call of interest) with a call of quokka_blink, the hunk showing
 * `after` lines of context after the change (the remove's closing brace first, then the driver struct's first lines).
 */
function releaseReplacedPatch(after: number, postBlob: string): string {
  const at = DRIVER.indexOf('\tiommu_device_release_dma_owner(&pdev->dev);') + 1;
  return [
    'diff --git a/' + PATH + ' b/' + PATH,
    `index 1111111..${postBlob} 100644`,
    '--- a/' + PATH,
    '+++ b/' + PATH,
    `@@ -${at - 2},${3 + after} +${at - 2},${3 + after} @@`,
    ` ${DRIVER[at - 3]}`,
    ` ${DRIVER[at - 2]}`,
    `-${DRIVER[at - 1]}`,
    '+\tquokka_blink(NULL, 1);',
    ...DRIVER.slice(at, at + after).map((l) => ` ${l}`),
    '',
  ].join('\n');
}

/** Both images of the patch have quokka_remove built: the pre-image with its release, the post-image without. */
async function assertBothImagesBuildRemove(patch: string): Promise<void> {
  const analyzer = await getAnalyzer();
  const file = analyzer.dumpFacts({ path: 'rm.patch', content: patch }).patches[0].files[0];
  assert.ok(fn(file.pre, 'quokka_remove').calls.some((c) => c.callee === 'iommu_device_release_dma_owner'), 'the pre-image has the release');
  assert.deepEqual(fn(file.post, 'quokka_remove').calls.map((c) => c.callee), ['quokka_blink'], 'the post-image is built all the same');
}

test('a function one image of a modified file built is built in the other, though the patch took out what it mentioned', async () => {
  // quokka_remove loses its only call of interest. The hunk shows the driver struct's first line only (so the view
  // has something of interest), not the `.remove =` that names the function.
  await assertBothImagesBuildRemove(releaseReplacedPatch(3, '3333333'));
});

test('the same findings whether the driver arrives as a new file or is reviewed whole', async () => {
  const analyzer = await getAnalyzer();
  const leaky = DRIVER.filter((l) => !l.includes('iommu_device_release_dma_owner'));
  const asPatch = analyzer.analyze([{ path: 'new.patch', content: newFilePatch(leaky) }], { verdicts: false });
  const whole = analyzer.analyze([{ path: PATH, content: leaky.join('\n') + '\n' }], { verdicts: false });
  const codes = (r: typeof whole): string[] => r.findings.map((f) => `${f.code}:${f.message}`).sort();
  assert.ok(codes(whole).length > 0, 'the leak is found');
  assert.deepEqual(codes(asPatch), codes(whole));
});

test('a function whose only DMA-API call is a managed one (dmam_*) matters as one with dma_* does', async () => {
  const analyzer = await getAnalyzer();
  // Nothing else in the function's text is of interest (the comment lets the file be parsed at all).
  const text = [
    '/* rings of the quokka_driver */',
    '',
    'static void *quokka_rings(struct device *dev, u64 *bus)',
    '{',
    '\treturn dmam_alloc_coherent(dev, 4096, bus, GFP_KERNEL);',
    '}',
    '',
  ].join('\n');
  const dumped = analyzer.dumpFacts({ path: PATH, content: text });
  const post = dumped.patches[0]?.files[0]?.post;
  assert.ok(fn(post, 'quokka_rings').program.length > 0, 'built');
  assert.deepEqual(post?.dmaApi.map((u) => u.callee), ['dmam_alloc_coherent']);
});

test('a view whose only dma_ words are the address type and register names is not parsed; a DMA-API call or a bus hook is', async () => {
  const analyzer = await getAnalyzer();
  const body = (line: string): string => [
    'static u32 quokka_ring_base(void __iomem *regs, dma_addr_t addr)',
    '{',
    '\twritel(lower_32_bits(addr), regs + QUOKKA_DMA_ADDR_LO);',
    `\t${line}`,
    '\treturn readl(regs + quokka_dma_addr_hi);',
    '}',
    '',
  ].join('\n');
  const factsOf = (text: string): CFacts | undefined => analyzer.dumpFacts({ path: PATH, content: text }).patches[0]?.files[0]?.post;
  assert.deepEqual(factsOf(body('(void)addr;'))?.functions, [], 'nothing of interest: no function facts');
  const mapping = factsOf(body('dma_unmap_single(NULL, addr, 4, DMA_TO_DEVICE);'));
  assert.ok(fn(mapping, 'quokka_ring_base').program.length > 0, 'a DMA-API call is of interest');
  assert.ok(fn(factsOf(body('quokka_dma_configure(NULL);')), 'quokka_ring_base'), 'so is a bus DMA hook name');
});

test('an image without anything of interest is still built for the functions the other image built', async () => {
  // The hunk takes out quokka_remove's release and shows nothing else of interest: the post-image hunk view alone
  // would not be parsed, but its quokka_remove is compared with the pre-image's.
  await assertBothImagesBuildRemove(releaseReplacedPatch(1, '4444444'));
});

test('every name the facts record lets a view be parsed: DMA-API and MMIO calls, flag spellings, identifiers of interest', () => {
  // One example per alternative of the call patterns (\\w+ and \\w* filled in), so a name added there is covered.
  const examples = (re: RegExp): string[] => re.source.replace(/^\^\(\?:|\)\$$/g, '').split('|').map((alt) => alt.replace(/\\w\+/g, 'single').replace(/\\w\*/g, ''));
  const calls = [...examples(DMA_API_CALL), ...examples(MMIO_CALL)];
  assert.ok(calls.length >= 20 && calls.includes('dma_map_single') && calls.includes('pci_iomap'), calls.join(' '));
  for (const name of calls) assert.ok(VIEW_OF_INTEREST.test(`\tret = ${name}(dev);`), name);
  for (const name of [...MANAGED_DMA_SPELLINGS, 'iommu_x', 'IOMMU_X', 'DMA_OWNER_USER', 'vfio_x', 'VFIO_X', 'iommufd_x', 'IOMMUFD_X',
    'max_pasids', 'foo_pasid', 'dma_configure', 'dma_cleanup', 'dma_unconfigure', 'bus_type', 'module_pci_driver']) {
    assert.ok(VIEW_OF_INTEREST.test(`\t.${name} = x,`), name);
  }
  for (const text of ['dma_addr_t addr;', 'writel(x, base + FOO_DMA_ADDR_LO);', 'u32 foo_dma_addr_hi;', 'dmaengine_submit(tx);']) {
    assert.ok(!VIEW_OF_INTEREST.test(text), text);
  }
});
