/**
 * The pure parts of `npm run eval` (scripts/eval-lib.mjs): the mutation generator and the line-independent finding
 * key, on synthetic C written for this test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const REPO_ROOT = path.resolve(__dirname, '../../..');

interface Mutant { kind: string; line: number; function: string; text: string; site: string }
interface Skip { kind: string; line: number; why: string }
interface SourceIndex { text: string }
interface EvalLib {
  maskC(text: string): string;
  generateMutants(text: string): { mutants: Mutant[]; skipped: Skip[] };
  indexSource(text: string): SourceIndex;
  findingKey(code: string, treePath: string, line: number, index: SourceIndex): string;
}

// A real dynamic import (tsc would turn `import()` into require(), which cannot load an .mjs on node 20).
const importEsm = new Function('u', 'return import(u)') as (u: string) => Promise<EvalLib>;
const load = () => importEsm(pathToFileURL(path.join(REPO_ROOT, 'scripts/eval-lib.mjs')).href);

const SOURCE = [
  '/* heron: a made-up accelerator; iommu_detach_device(dom, dev) in a comment is no call */', // 1
  'void iommu_detach_device(struct iommu_domain *d, struct device *dev);', //                       2
  'static int heron_probe(struct pci_dev *pdev)', //                                                  3
  '{', //                                                                                             4
  '\tint ret = iommu_group_claim_dma_owner(heron_group, pdev);', //                                 5
  '\tif (ret)', //                                                                                    6
  '\t\treturn ret;', //                                                                               7
  '\tret = heron_start(pdev);', //                                                                    8
  '\tif (ret)', //                                                                                    9
  '\t\tiommu_group_release_dma_owner(heron_group);', //                                             10
  '\treturn ret;', //                                                                                 11
  '}', //                                                                                             12
  'static void heron_remove(struct pci_dev *pdev)', //                                               13
  '{', //                                                                                             14
  '\tputs("iommu_detach_device(x)");', //                                                            15
  '\tiommu_detach_device(heron_dom,', //                                                             16
  '\t\t\t    &pdev->dev);', //                                                                       17
  '\theron_stop(pdev, iommu_sva_unbind_device(h));', //                                              18
  '\tif (heron_busy(pdev))', //                                                                       19
  '\t\theron_wait(pdev);', //                                                                         20
  '\telse', //                                                                                        21
  '\t\tiommu_detach_group(heron_dom, heron_group);', //                                              22
  'out:', //                                                                                          23
  '\tiommu_device_unuse_default_domain(&pdev->dev);', //                                             24
  '}', //                                                                                             25
  'static void heron_put(struct heron *h)', //                                                       26
  '{', //                                                                                             27
  '\treturn iommu_sva_unbind_device(h->sva);', //                                                    28
  '}', //                                                                                             29
  'void iommu_device_release_dma_owner(struct device *dev)', //                                      30
  '{', //                                                                                             31
  '\tiommu_group_release_dma_owner(dev->group);', //                                                 32
  '}', //                                                                                             33
  'static struct pci_driver heron_driver = {', //                                                    34
  '\t.probe = heron_probe,', //                                                                       35
  '\t.driver_managed_dma = true,', //                                                                36
  '};', //                                                                                            37
  'static const struct bus_type heron_bus = {', //                                                   38
  '\t.name = "heron", .dma_cleanup = heron_dma_cleanup,', //                                         39
  '};', //                                                                                            40
  '',
].join('\n');

test('maskC blanks comments and literals and keeps every offset and line', async () => {
  const { maskC } = await load();
  const masked = maskC(SOURCE);
  assert.equal(masked.length, SOURCE.length);
  assert.equal(masked.split('\n').length, SOURCE.split('\n').length);
  assert.ok(!masked.split('\n')[0].includes('iommu_detach_device'));
  assert.ok(!masked.split('\n')[14].includes('iommu_detach_device'));
  assert.ok(masked.split('\n')[15].includes('iommu_detach_device('));
});

test('the generator deletes each balancing call statement, the flag and the bus cleanup hook, one at a time', async () => {
  const { generateMutants } = await load();
  const { mutants, skipped } = generateMutants(SOURCE);
  assert.deepEqual(
    mutants.map((m) => `${m.line} ${m.kind} ${m.function}`),
    [
      '10 iommu_group_release_dma_owner heron_probe',
      '16 iommu_detach_device heron_remove',
      '22 iommu_detach_group heron_remove',
      '24 iommu_device_unuse_default_domain heron_remove',
      '28 iommu_sva_unbind_device heron_put',
      '36 driver_managed_dma heron_driver',
      '39 dma_cleanup heron_bus',
    ],
  );
  // The call used as an argument, and the call inside the API's own implementation, are not mutated but said.
  assert.deepEqual(skipped.map((s) => `${s.line} ${s.kind}`).sort(), ['18 iommu_sva_unbind_device', '32 iommu_group_release_dma_owner']);
  const lines = (m: Mutant) => m.text.split('\n');
  const byLine = new Map(mutants.map((m) => [m.line, m]));
  const original = SOURCE.split('\n');

  // An unbraced `if (ret) release;` with no else goes as a whole: two lines fewer, the test is gone too.
  const m10 = byLine.get(10)!;
  assert.equal(lines(m10).length, original.length - 2);
  assert.ok(!m10.text.includes('iommu_group_release_dma_owner(heron_group)'));
  assert.equal(lines(m10).filter((l) => l === '\tif (ret)').length, 1);

  // A call over two lines: both lines deleted; the string literal naming the call stays.
  const m16 = byLine.get(16)!;
  assert.equal(lines(m16).length, original.length - 2);
  assert.ok(m16.text.includes('puts("iommu_detach_device(x)")'));
  assert.ok(!m16.text.includes('&pdev->dev);\n\theron_stop'));

  // The body of an else keeps an empty statement (removing it would make the next statement the else's body).
  const m22 = byLine.get(22)!;
  assert.equal(lines(m22)[21], '\t\t;');

  // A label's last statement before '}' keeps an empty statement too.
  const m24 = byLine.get(24)!;
  assert.equal(lines(m24)[23], '\t;');
  assert.equal(lines(m24)[22], 'out:');

  // `return call();` becomes `return;`.
  assert.equal(lines(byLine.get(28)!)[27], '\treturn;');

  // A flag alone on its line: the line goes; a hook sharing its line with another member: only the member goes.
  const m36 = byLine.get(36)!;
  assert.equal(lines(m36).length, original.length - 1);
  assert.ok(!m36.text.includes('driver_managed_dma'));
  const m39 = byLine.get(39)!;
  assert.equal(lines(m39)[38], '\t.name = "heron", ');
  // Every other mutant leaves the rest of the file as it was.
  for (const m of mutants) assert.ok(m.text.includes('static struct pci_driver heron_driver = {'));
});

test('a finding key names rule, path, enclosing definition and anchor, never the line', async () => {
  const { indexSource, findingKey } = await load();
  const idx = indexSource(SOURCE);
  assert.equal(findingKey('OWN005', 'drivers/misc/heron.c', 5, idx), 'OWN005|drivers/misc/heron.c|heron_probe|iommu_group_claim_dma_owner');
  assert.equal(findingKey('OWN013', 'drivers/misc/heron.c', 16, idx), 'OWN013|drivers/misc/heron.c|heron_remove|iommu_detach_device');
  assert.equal(findingKey('OWN001', 'drivers/misc/heron.c', 34, idx), 'OWN001|drivers/misc/heron.c|heron_driver|<head>');
  assert.equal(findingKey('OWN002', 'drivers/misc/heron.c', 36, idx), 'OWN002|drivers/misc/heron.c|heron_driver|.driver_managed_dma');
  // A call named in a string is not the anchor; the real call after it on the line is.
  const shifted = indexSource(`// two new lines\n#include <linux/heron.h>\n${SOURCE}`);
  for (const [line, code] of [[5, 'OWN005'], [16, 'OWN013'], [34, 'OWN001'], [36, 'OWN002'], [22, 'OWN014']] as const) {
    assert.equal(findingKey(code, 'p.c', line + 2, shifted), findingKey(code, 'p.c', line, idx), `line ${line}`);
  }
  assert.notEqual(findingKey('OWN013', 'p.c', 16, idx), findingKey('OWN013', 'p.c', 22, idx));
  assert.notEqual(findingKey('OWN013', 'p.c', 16, idx), findingKey('OWN005', 'p.c', 16, idx));
});
