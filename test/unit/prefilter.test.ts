/**
 * The directory-scan prefilter (src/cli/prefilter.ts) loses nothing: on every C file of the fixture corpus, a file
 * it passes over has no finding, for the fixture's own target and for the target where most names are stale.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FIXTURES, getAnalyzer, readTarget } from '../helpers';
import { RULES } from '../../src/rules';
import type { KernelTarget } from '../../src/core/types';
import {
  directoryScreen, MAX_SCANNED_C_BYTES, mayBePlaceholderDriver, namesVocabulary, PREFILTER_COVERAGE, prefilterVocabulary,
} from '../../src/cli/prefilter';

function cFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...cFiles(full));
    else if (/\.[ch]$/.test(e.name)) out.push(full);
  }
  return out.sort();
}

test('every rule says what the prefilter keeps for it', () => {
  assert.deepEqual(Object.keys(PREFILTER_COVERAGE).sort(), RULES.map((r) => r.meta.code).sort());
});

test('the vocabulary comes from the simulated API and the rules, and every name has a needle', () => {
  for (const target of ['latest', 'series-v1', 'series-v5', '5.19'] as KernelTarget[]) {
    const v = prefilterVocabulary(target);
    for (const name of ['iommu_group_claim_dma_owner', 'iommu_device_use_default_domain', 'iommu_attach_device_pasid',
      'iommu_sva_bind_device', 'vfio_register_group_dev', 'iommufd_device_bind', 'driver_managed_dma', 'vfio_group_viable']) {
      assert.ok(v.names.includes(name), `${target}: ${name}`);
    }
    for (const name of [...v.names, ...v.conditional.map((c) => c.name)]) {
      assert.ok(v.anchors.some((a) => name.includes(a)), `${target}: no needle finds ${name}`);
    }
    assert.ok(v.anchors.length <= 10, `${target}: ${v.anchors.length} needles, each a pass over every file`);
  }
  // The stale names follow the target: dma_cleanup is a stale hook name only before series v3.
  assert.ok(prefilterVocabulary('series-v2').names.includes('dma_cleanup'));
  assert.ok(!prefilterVocabulary('latest').names.includes('dma_cleanup'));
});

test('names count as whole identifiers found around a needle, not in unrelated words', () => {
  const v = prefilterVocabulary('latest');
  assert.ok(namesVocabulary('static int f(struct device *d) { return iommu_device_claim_dma_owner(d, f); }', v));
  assert.ok(namesVocabulary('static struct pci_driver d = { .driver_managed_dma = true };', v));
  assert.ok(!namesVocabulary('/* an mmu_notifier, no ownership here */ int ommu_x, vfio;', v));
  assert.ok(namesVocabulary('struct iommu_domain { u32 pasid; };', v), 'iommu_domain with a PASID member');
  assert.ok(!namesVocabulary('struct iommu_domain *d;', v), 'iommu_domain alone');
  assert.ok(!namesVocabulary('static int f(struct iommu_domain *d, ioasid_t pasid)\n{\n\treturn 0;\n}', v), 'a domain and a PASID used, not declared');
  assert.ok(!namesVocabulary('static struct iommu_domain blocked = { .type = IOMMU_DOMAIN_BLOCKED };\nstatic u32 pasid_bits;', v),
    'a static iommu_domain initializer is no definition');
});

test('creating and unregistering a device of its own is not enough to be parsed; an ownership call on it is', async () => {
  const v = prefilterVocabulary('latest');
  const lifecycle = [
    'static struct platform_device *child;',
    'static struct device *node;',
    'static int foo_setup(struct device *parent)',
    '{',
    '\tchild = platform_device_register_simple("foo-child", -1, NULL, 0);',
    '\tif (IS_ERR(child))',
    '\t\treturn PTR_ERR(child);',
    '\tnode = device_create(foo_class, parent, 0, NULL, "foo");',
    '\treturn 0;',
    '}',
    '',
    'static void foo_teardown(void)',
    '{',
    '\tdevice_unregister(node);',
    '\tplatform_device_unregister(child);',
    '}',
    '',
  ].join('\n');
  assert.ok(!namesVocabulary(lifecycle, v), 'device creation alone');
  const analyzer = await getAnalyzer();
  assert.deepEqual(analyzer.analyze([{ path: 'drivers/x/foo.c', content: lifecycle }], { target: 'latest' }).findings, [], 'and it has no finding');
  const attached = lifecycle.replace('\treturn 0;\n}', '\treturn iommu_attach_device(foo_domain, &child->dev);\n}');
  assert.ok(namesVocabulary(attached, v), 'an attach to the created device keeps the file');
});

test('asking for the current domain is not enough to be parsed; attaching a domain of its own when it is IDENTITY is', async () => {
  const v = prefilterVocabulary('latest');
  // A network driver's buffer setup written for this test: IOVA under a translating domain, physical otherwise.
  const lookup = [
    'struct wren_priv { struct device *dev; bool translated; struct iommu_domain *own; };',
    '',
    'static int wren_probe(struct platform_device *pdev)',
    '{',
    '	struct wren_priv *priv = devm_kzalloc(&pdev->dev, sizeof(*priv), GFP_KERNEL);',
    '	struct iommu_group *group = iommu_group_get(&pdev->dev);',
    '	struct iommu_domain *domain = iommu_get_domain_for_dev(&pdev->dev);',
    '',
    '	if (!priv)',
    '		return -ENOMEM;',
    '	priv->dev = &pdev->dev;',
    '	priv->translated = domain && domain->type != IOMMU_DOMAIN_IDENTITY;',
    '	iommu_group_put(group);',
    '	platform_set_drvdata(pdev, priv);',
    '	return dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(40));',
    '}',
    '',
    'static struct platform_driver wren_driver = {',
    '	.probe = wren_probe,',
    '	.driver = { .name = "wren" },',
    '};',
    'module_platform_driver(wren_driver);',
    '',
  ].join('\n');
  assert.ok(!namesVocabulary(lookup, v), 'the lookups alone');
  assert.ok(!mayBePlaceholderDriver(lookup), 'and the probe does other work');
  const analyzer = await getAnalyzer();
  assert.deepEqual(analyzer.analyze([{ path: 'drivers/net/wren.c', content: lookup }], { target: 'latest' }).findings, [], 'it has no finding');
  const attaching = lookup.replace('\tiommu_group_put(group);', '\tif (domain && domain->type == IOMMU_DOMAIN_IDENTITY)\n\t\tiommu_attach_device(priv->own, &pdev->dev);\n\tiommu_group_put(group);');
  assert.ok(namesVocabulary(attaching, v), 'an attach keeps the file');
  assert.ok(analyzer.analyze([{ path: 'drivers/net/wren.c', content: attaching }], { target: 'latest' }).findings.length > 0, 'and it has findings');
});

test('placeholder candidates: kept unless every probe certainly does other work', () => {
  const driver = (probeBody: string, extra = '') =>
    `${extra}\nstatic int foo_probe(struct platform_device *pdev)\n{\n${probeBody}\n}\n\nstatic struct platform_driver foo_driver = {\n\t.probe = foo_probe,\n};\n`;
  assert.ok(mayBePlaceholderDriver(driver('\treturn 0;')), 'an empty probe parks');
  assert.ok(mayBePlaceholderDriver(driver('\tdev_info(&pdev->dev, "parked (%d)\\n", foo_setup(1));\n\treturn 0;', 'static int foo_setup(int x)\n{\n\treturn x;\n}\n')),
    'a local helper that does nothing is followed');
  assert.ok(!mayBePlaceholderDriver(driver('\treturn clk_prepare_enable(foo_clk);')), 'an external call is work');
  assert.ok(!mayBePlaceholderDriver(driver('\treturn foo_setup(pdev);', 'static int foo_setup(struct platform_device *p)\n{\n\treturn devm_request_irq(&p->dev, 1, NULL, 0, "x", p);\n}\n')),
    'work reached through a local helper');
  assert.ok(mayBePlaceholderDriver(driver('\t/* clk_prepare_enable(foo_clk); */\n\treturn 0;')), 'a call in a comment is not work');
  // Definitions are found once per file: a commented-out one is none (the call goes out of the file: work), a
  // helper defined twice under #ifdef is followed into both bodies, and a form feed before `{` makes no definition.
  assert.ok(!mayBePlaceholderDriver(driver('\treturn foo_setup(1);', '/*\nstatic int foo_setup(int x)\n{\n\treturn x;\n}\n*/\nint foo_setup(int x);\n')),
    'only a commented-out body: an external call');
  assert.ok(!mayBePlaceholderDriver(driver('\treturn foo_setup(1);', '#ifdef A\nstatic int foo_setup(int x)\n{\n\treturn x;\n}\n#else\nstatic int foo_setup(int x)\n{\n\treturn clk_prepare_enable(foo_clk);\n}\n#endif\n')),
    'one of two #ifdef bodies works');
  assert.ok(mayBePlaceholderDriver(driver('\treturn foo_setup(1);', '#ifdef A\nstatic int foo_setup(int x)\n{\n\treturn x;\n}\n#else\nstatic int foo_setup(int x)\n{\n\treturn 0;\n}\n#endif\n')),
    'both #ifdef bodies park');
  assert.ok(!mayBePlaceholderDriver(driver('\treturn foo_setup(1);', 'static int foo_setup(int x)\f{\n\treturn x;\n}\n')),
    'no definition across a form feed: an external call');
  assert.ok(!mayBePlaceholderDriver('static struct i2c_driver foo = { .probe = foo_probe };'), 'a bus without the flag');
  assert.ok(mayBePlaceholderDriver('static struct pci_driver foo = { .probe = FOO_PROBE(x) };'), 'an initializer it cannot read');
});

test('a file that calls the DMA API or maps registers in some function has no placeholder to keep it', async () => {
  // The probe parks the device; another function of the file (a second driver's, a helper nothing calls) maps
  // registers. The replay calls a driver idle only when its file does no DMA and no MMIO anywhere.
  const stub = [
    'static int heron_probe(struct platform_device *pdev)',
    '{',
    '\tdev_info(&pdev->dev, "parked\\n");',
    '\treturn 0;',
    '}',
    '',
    'static struct platform_driver heron_driver = {',
    '\t.probe = heron_probe,',
    '\t.driver = { .name = "heron" },',
    '};',
    'module_platform_driver(heron_driver);',
    '',
  ].join('\n');
  const mapping = 'static void __iomem *heron_regs(struct device *dev, phys_addr_t at)\n{\n\treturn devm_ioremap(dev, at, 0x100);\n}\n\n';
  assert.ok(mayBePlaceholderDriver(stub), 'the stub alone is a candidate');
  assert.ok(!mayBePlaceholderDriver(mapping + stub), 'not with a register mapping in the file');
  assert.ok(!mayBePlaceholderDriver(mapping.replace('devm_ioremap(dev, at, 0x100)', 'dma_alloc_coherent(dev, 64, NULL, GFP_KERNEL)') + stub), 'nor with a DMA-API call');
  assert.ok(mayBePlaceholderDriver(mapping.replace('\treturn devm_ioremap', '\treturn NULL; /* devm_ioremap */ //') + stub), 'a call in a comment is none');
  assert.ok(mayBePlaceholderDriver('#define HERON_DEFINE_MAP(n) static void __iomem *n(struct device *d) { return devm_ioremap(d, 0, 0x100); }\n' + stub),
    'nor one in a macro that would define such a function');
  assert.ok(mayBePlaceholderDriver('static const char *heron_ops = ".map = pci_iomap(";\n' + stub), 'nor one in a string');
  const analyzer = await getAnalyzer();
  const codes = (text: string): string[] => analyzer.analyze([{ path: 'drivers/misc/heron.c', content: text }], { target: 'latest' }).findings.map((f) => f.code);
  assert.ok(codes(stub).includes('OWN004'), 'the stub alone is reported');
  assert.deepEqual(codes(mapping + stub), [], 'with the mapping it is not: the screen agrees with the replay');
});

test('on the fixture corpus, every C file the prefilter passes over has no finding (with or without it: same findings)', async () => {
  const analyzer = await getAnalyzer();
  let passed = 0;
  let withFindings = 0;
  for (const file of cFiles(FIXTURES)) {
    const content = fs.readFileSync(file);
    const rel = path.relative(FIXTURES, file);
    const pinned = readTarget(content.toString('utf8'));
    for (const target of new Set<KernelTarget>([pinned ?? 'latest', 'series-v1', 'series-v5'])) {
      const decided = directoryScreen({ prefilter: true, target }).decide({ path: rel, fromDirectory: true }, content);
      const result = analyzer.analyze([{ path: rel, content }], { target });
      if (result.findings.length > 0) withFindings++;
      if (decided === undefined) continue;
      passed++;
      assert.deepEqual(result.findings.map((f) => `${f.code}:${f.location.line}`), [], `${rel} on ${target}: passed over but has findings`);
      assert.deepEqual(decided.stats, { ...result.stats, ms: 0 }, `${rel}: the decided result counts like a reviewed file`);
    }
  }
  // Not vacuous: the corpus has files on both sides.
  assert.ok(passed >= 10, `only ${passed} passed over`);
  assert.ok(withFindings >= 50, `only ${withFindings} with findings`);
});

test('--no-prefilter screens nothing out but still refuses a C file over the scan limit, naming it', () => {
  const screen = directoryScreen({ prefilter: false, target: 'latest' }).decide;
  assert.equal(screen({ path: 'drivers/x/plain.c', fromDirectory: true }, Buffer.from('int x;\n')), undefined);
  const big = Buffer.alloc(MAX_SCANNED_C_BYTES + 1, 0x20);
  const decided = screen({ path: 'drivers/x/huge_sh_mask.h', fromDirectory: true }, big);
  assert.equal(decided?.problems[0]?.path, 'drivers/x/huge_sh_mask.h');
  assert.equal(decided?.problems[0]?.kind, 'skipped');
  assert.equal(screen({ path: 'drivers/x/huge_sh_mask.h', fromDirectory: false }, big), undefined, 'named on the command line');
});

test('the screen reads scanned C files through one reused buffer and hands out copies of what it keeps', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-review-screen-'));
  try {
    const keep = path.join(dir, 'claim.c');
    const skip = path.join(dir, 'plain.c');
    const claim = 'static int p(struct device *d) { return iommu_device_claim_dma_owner(d, p); }\n';
    fs.writeFileSync(keep, claim);
    fs.writeFileSync(skip, 'int plain;\n');
    const screen = directoryScreen({ prefilter: true, target: 'latest' });
    const first = screen.read({ path: keep, fromDirectory: true });
    const second = screen.read({ path: skip, fromDirectory: true });
    assert.ok(first && 'content' in first && second && 'decided' in second);
    assert.equal(Buffer.from(first.content).toString('utf8'), claim, 'the kept content survives the next read');
    assert.equal(screen.read({ path: keep, fromDirectory: false }), undefined, 'named files are read by the caller');
    assert.equal(screen.read({ path: path.join(dir, 'missing.c'), fromDirectory: true }), undefined, 'errors are left to the caller');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a C file over the scan limit is screened in pieces with the same answer as the whole-file screen', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-review-screen-big-'));
  try {
    const size = 2 * MAX_SCANNED_C_BYTES + 12345;
    const filler = (n: number) => Buffer.alloc(n, '#define REG_FIELD_MASK 0x1\n');
    const at = (offset: number, text: string) => {
      const b = filler(size);
      b.write(text, offset, 'latin1');
      return b;
    };
    const cases: [string, Buffer][] = [
      ['nothing', filler(size)],
      // A name across the first piece's edge (pieces are MAX_SCANNED_C_BYTES long).
      ['straddling', at(MAX_SCANNED_C_BYTES - 10, ' iommu_group_claim_dma_owner(d, o); ')],
      ['at the end', at(size - 40, ' iommu_device_use_default_domain(d); ')],
      // A conditional name in one piece, what it also needs in another.
      ['conditional', (() => { const b = at(100, ' struct iommu_domain *d; '); b.write(' struct iommu_domain { u32 pasid; ', size - 40, 'latin1'); return b; })()],
      ['conditional alone', at(100, ' struct iommu_domain *d; ')],
      ['probe only', at(MAX_SCANNED_C_BYTES + 5, ' .probe = foo_probe, ')],
    ];
    const screen = directoryScreen({ prefilter: true, target: 'latest' });
    const answers: string[] = [];
    for (const [name, content] of cases) {
      const file = path.join(dir, `${name.replace(/ /g, '-')}_sh_mask.h`);
      fs.writeFileSync(file, content);
      const read = screen.read({ path: file, fromDirectory: true });
      const whole = screen.decide({ path: file, fromDirectory: true }, content);
      assert.ok(read && 'decided' in read, name);
      assert.deepEqual(read.decided, whole, name);
      answers.push(`${name}: ${read.decided.problems.length ? 'named (too big)' : 'nothing'}`);
    }
    // Not vacuous: both answers occur.
    assert.deepEqual(answers, ['nothing: nothing', 'straddling: named (too big)', 'at the end: named (too big)', 'conditional: named (too big)',
      'conditional alone: nothing', 'probe only: nothing']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

