/** The extension's pure helpers (no 'vscode'): settings, tree reading, texts, git arguments, grammar coverage. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { allApiNames } from '../../src/core/sim/index';
import { formatPatchArgs, stagedDiffArgs, validateRange } from '../../src/extension/git';
import { inputPathFor, looksLikeKernelTree, makeTreeReader, resolveInsideTree } from '../../src/extension/kernel-tree';
import { alignInitializerLine, driverLenses, relatedSteps, modeLensTitle, resultSummary, traceHtmlBody, traceViewRows, verdictLensTitle } from '../../src/extension/presentation';
import { reviewKind, reviewKindOfPath } from '../../src/extension/reviewable';
import { parseAnalyzeOn, parseRuleOverrides, parseSettings, parseTarget } from '../../src/extension/settings';

const repo = path.join(__dirname, '../../..');

test('settings: unknown values fall back, CLI spellings are accepted', () => {
  assert.equal(parseTarget('series-v3'), 'series-v3');
  assert.equal(parseTarget('7.0'), 'latest');
  assert.deepEqual([...parseAnalyzeOn(['save', 'bogus'])], ['save']);
  assert.deepEqual([...parseAnalyzeOn('change')], ['change']);
  assert.deepEqual([...parseAnalyzeOn(undefined)].sort(), ['change', 'open', 'save']);
  assert.deepEqual(parseRuleOverrides({ OWN001: 'off', 'attach-without-detach': 'warn', OWN002: 'loud', OWN003: 3 }), {
    OWN001: 'off',
    'attach-without-detach': 'warning',
  });
  assert.deepEqual(parseRuleOverrides(['OWN001']), {});
  const s = parseSettings((k) => ({ target: '6.2', treePath: ' ../linux ', 'codeLens.enabled': false })[k]);
  assert.equal(s.target, '6.2');
  assert.equal(s.treePath, '../linux');
  assert.equal(s.codeLensEnabled, false);
});

test('kernel tree: reads inside the tree, refuses ../, absolute paths and symlinks that leave it', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-review-tree-'));
  try {
    const tree = path.join(base, 'linux');
    fs.mkdirSync(path.join(tree, 'drivers', 'vfio'), { recursive: true });
    fs.mkdirSync(path.join(tree, 'include', 'linux'), { recursive: true });
    fs.writeFileSync(path.join(tree, 'drivers', 'vfio', 'a.c'), 'int a;\n');
    fs.writeFileSync(path.join(base, 'secret.txt'), 'outside\n');
    fs.symlinkSync(path.join(base, 'secret.txt'), path.join(tree, 'drivers', 'link.c'));
    assert.ok(looksLikeKernelTree(tree));
    assert.ok(!looksLikeKernelTree(base));
    const read = makeTreeReader(tree);
    assert.equal(read('drivers/vfio/a.c'), 'int a;\n');
    assert.equal(read('drivers/vfio/../vfio/a.c'), 'int a;\n');
    assert.equal(read('../secret.txt'), undefined);
    assert.equal(read('drivers/../../secret.txt'), undefined);
    assert.equal(read(path.join(base, 'secret.txt')), undefined);
    assert.equal(read('drivers/link.c'), undefined, 'a symlink out of the tree');
    assert.equal(read('drivers/vfio/missing.c'), undefined);
    assert.equal(read('drivers/vfio'), undefined, 'a directory');
    assert.equal(read('a\0b'), undefined);
    assert.equal(resolveInsideTree(tree, ''), undefined);
    const overlay = makeTreeReader(tree, (abs) => (abs.endsWith('a.c') ? 'int unsaved;\n' : undefined));
    assert.equal(overlay('drivers/vfio/a.c'), 'int unsaved;\n');
    assert.equal(inputPathFor(path.join(tree, 'drivers', 'vfio', 'a.c'), tree, 'x'), 'drivers/vfio/a.c');
    assert.equal(inputPathFor(path.join(base, 'secret.txt'), tree, 'fallback.c'), 'fallback.c');
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('reviewable documents: patch languages and C, not .diff stolen from the diff language', () => {
  assert.equal(reviewKind('diff', '/x/a.diff'), 'patch');
  assert.equal(reviewKind('patch-mail', '/x/a.mbox'), 'patch');
  assert.equal(reviewKind('c', '/x/a.c'), 'c');
  assert.equal(reviewKind('cpp', '/x/iommu.h'), 'c');
  assert.equal(reviewKind('cpp', '/x/a.cpp'), undefined);
  assert.equal(reviewKind('plaintext', '/x/a.eml'), 'patch');
  assert.equal(reviewKind('markdown', '/x/a.md'), undefined);
  assert.equal(reviewKindOfPath('/x/0001-foo.PATCH'), 'patch');
  assert.equal(reviewKindOfPath('/x/readme.txt'), undefined);
});

test('code lens titles: a reviewer\'s words for bind, the VFIO/iommufd claim and unbind; no injected errno as a verdict', () => {
  assert.equal(modeLensTitle('kernel-dma-api'), 'bind: kernel DMA-API user (owner_cnt +1)');
  assert.equal(modeLensTitle('driver-managed'), 'bind: driver-managed DMA (no DMA-API count)');
  const fine = driverLenses({
    driver: 'quiet',
    mode: 'kernel-dma-api',
    scenarios: [
      { topology: 'singleton', ok: true, summary: '✓', trace: [] },
      { topology: 'shared-dma-api', ok: true, summary: '✓', trace: [] },
      // The kernel refusing a DMA-API driver in a group user space owns is the protection working.
      { topology: 'user-owned', ok: false, summary: '✗ -EBUSY at bind', trace: [], problem: { kind: 'bind-failed', phase: 'bind' } },
    ],
  });
  assert.deepEqual(fine.map((l) => l.title), ['bind: kernel DMA-API user (owner_cnt +1)', 'unbind: ✓ group as found']);
  assert.match(fine[0].tooltip, /user-owned group: bind refused, as the kernel intends/);
  const vfio = driverLenses({
    driver: 'acme',
    mode: 'kernel-dma-api',
    scenarios: [
      {
        topology: 'singleton',
        ok: false,
        summary: '✗ -EPERM at user',
        trace: [{ step: 'while bound: user space tries iommu_group_claim_dma_owner(grp0, vfio)', result: '-EPERM', phase: 'user' }],
        problem: { kind: 'claim-failed', phase: 'user' },
      },
      {
        topology: 'shared-dma-api',
        ok: false,
        summary: '✗ -ENOMEM at probe-failure-cleanup',
        trace: [{ step: 'return PTR_ERR(x)', result: '-ENOMEM', phase: 'probe' }],
        problem: { kind: 'left-owned', phase: 'probe-failure-cleanup' },
      },
    ],
  });
  const titles = vfio.map((l) => l.title);
  assert.deepEqual(titles, [
    'bind: kernel DMA-API user (owner_cnt +1)',
    'VFIO/iommufd claim: ✗ claim refused while bound',
    'if probe fails: ✗ group left owned (shared group)',
  ]);
  for (const t of titles) {
    assert.doesNotMatch(t, /-E[A-Z]+/, 'no errno as a verdict');
    assert.ok(t.length <= 60, `short enough for a split editor: ${t}`);
  }
  assert.equal(verdictLensTitle({ driver: 'acme', mode: 'kernel-dma-api', scenarios: [] }), 'bind: kernel DMA-API user (owner_cnt +1) · unbind: ✓ group as found');
  const ownClaim = driverLenses({
    driver: 'widget',
    mode: 'kernel-dma-api',
    scenarios: [
      {
        topology: 'singleton',
        ok: false,
        summary: '✗ -EPERM at probe',
        trace: [{ step: 'iommu_device_claim_dma_owner(&pdev->dev, pdev) — 1 DMA-API user(s) in the group', result: '-EPERM', phase: 'probe' }],
        problem: { kind: 'error-return', phase: 'probe' },
      },
    ],
  });
  assert.deepEqual(ownClaim.map((l) => l.title), [
    'bind: kernel DMA-API user (owner_cnt +1)',
    'probe: ✗ iommu_device_claim_dma_owner() refused',
    'unbind: ✓ group as found',
  ]);
  assert.equal(resultSummary({ findings: [], problems: [] }), 'no findings');
  const finding = { severity: 'error' } as never;
  assert.equal(resultSummary({ findings: [finding, finding], problems: [{ path: 'x', message: 'm', kind: 'failed' }] }), '2 errors · 1 input problem');
});

test('git: fixed arguments, user ranges after --end-of-options, option-like ranges refused', () => {
  assert.equal(validateRange('HEAD~3..HEAD'), 'HEAD~3..HEAD');
  assert.equal(validateRange('--output=/tmp/x'), undefined);
  assert.equal(validateRange('-1'), undefined);
  assert.equal(validateRange('a b'), undefined);
  assert.equal(validateRange(''), undefined);
  const args = formatPatchArgs('v6.2..topic');
  assert.deepEqual(args.slice(-2), ['--end-of-options', 'v6.2..topic']);
  for (const a of [args, stagedDiffArgs()]) {
    assert.ok(a.includes('--no-ext-diff') && a.includes('--no-textconv'));
    assert.ok(a.includes('core.fsmonitor=false') && a.includes('core.hooksPath=/dev/null'));
  }
});

test('grammar: the injection marks every ownership API name the simulation knows', () => {
  const injection = JSON.parse(fs.readFileSync(path.join(repo, 'syntaxes/ownership-api.injection.tmLanguage.json'), 'utf8'));
  const regexes = (injection.patterns as { match: string }[]).map((p) => new RegExp(p.match.replace(/\(\?i\)/g, '')));
  const missing = allApiNames().filter((n) => !n.startsWith('devm_') && !regexes.some((r) => r.test(n)));
  assert.deepEqual(missing, []);
  assert.ok(!regexes.some((r) => r.test('iommu_map')), 'ordinary IOMMU calls are not marked');
});

test('package.json: activation is narrow and every contributed file exists', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
  assert.ok(!pkg.activationEvents.includes('*'));
  assert.ok(pkg.activationEvents.includes('onLanguage:diff') && pkg.activationEvents.includes('onLanguage:c'));
  for (const g of pkg.contributes.grammars) assert.ok(fs.existsSync(path.join(repo, g.path)), g.path);
  for (const l of pkg.contributes.languages) assert.ok(fs.existsSync(path.join(repo, l.configuration)), l.configuration);
  assert.ok(!pkg.contributes.languages.some((l: { extensions: string[] }) => l.extensions.includes('.diff')), '.diff stays with the built-in diff language');
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, true);
  const settings = Object.keys(pkg.contributes.configuration.properties).sort();
  assert.deepEqual(settings, ['iommu-review.analyzeOn', 'iommu-review.codeLens.enabled', 'iommu-review.rules', 'iommu-review.target', 'iommu-review.treePath']);
});

test('quick fix: an inserted initializer line follows the tab alignment of the lines around it', () => {
  const tabbed = ['\t.name\t\t= "acme",', '\t.id_table\t= acme_ids,', '\t.probe\t\t= acme_probe,', '\t.remove\t\t= acme_remove,'];
  assert.equal(alignInitializerLine('\t.driver_managed_dma = true,\n', tabbed), '\t.driver_managed_dma = true,\n', 'longer than the column: one space');
  assert.equal(alignInitializerLine('\t.err = 1,\n', tabbed), '\t.err\t\t= 1,\n');
  const wide = ['\t.name\t\t\t\t= "acme",', '\t.probe\t\t\t\t= acme_probe,'];
  // '=' at column 40 (tabs of 8): ".driver_managed_dma" ends at 27, two tabs reach 40.
  assert.equal(alignInitializerLine('\t.driver_managed_dma = true,\n', wide), '\t.driver_managed_dma\t\t= true,\n');
  const spaced = ['\t.name     = "acme",', '\t.probe    = acme_probe,'];
  assert.equal(alignInitializerLine('\t.remove = acme_remove,', spaced), '\t.remove   = acme_remove,');
  assert.equal(alignInitializerLine('\t.x = 1,', ['\t.name = "a",']), '\t.x = 1,', 'single spaces stay single');
  assert.equal(alignInitializerLine('iommu_device_release_dma_owner(dev);', wide), 'iommu_device_release_dma_owner(dev);');
});

test('trace view rows: phase, step and the group state carried over every step', () => {
  const a = 'grp0{cnt=0 owner=- dom=default pasids=0}';
  const b = 'grp0{cnt=1 owner=npu dom=blocking pasids=0}';
  const rows = traceViewRows([
    { step: 'probe: npu_probe()', result: 'call', phase: 'probe', location: { path: 'x.patch', line: 5 } },
    { step: `iommu_device_claim_dma_owner(dev, npu) [${a} → ${b}]`, result: '0', phase: 'probe', before: a, after: b, location: { path: 'x.patch', line: 9 } },
    { step: 'return -ENOMEM', result: '-ENOMEM', phase: 'probe' },
    { step: "✗ after the failed probe: grp0 still owned by 'npu'", result: 'left-owned', phase: 'probe-failure-cleanup' },
  ]);
  assert.deepEqual(rows.map((r) => [r.phase, r.owner, r.ownerCnt, r.domain, r.pasids, r.violation]), [
    ['probe', '', '', '', '', false],
    ['probe', 'npu', '1', 'blocking', '0', false],
    ['probe', 'npu', '1', 'blocking', '0', false],
    ['probe-failure-cleanup', 'npu', '1', 'blocking', '0', true],
  ]);
  assert.equal(rows[1].step, 'iommu_device_claim_dma_owner(dev, npu)');
  assert.equal(rows[1].change, 'owner_cnt 0 → 1, owned by npu, domain default → blocking');
  assert.equal(rows[0].result, '', 'narrative steps have no result');
  const html = traceHtmlBody({ title: 'OWN005 <x>', subtitle: 's', sections: [{ heading: 'h', rows }] });
  assert.match(html, /<h1>OWN005 &lt;x&gt;<\/h1>/);
  assert.match(html, /aria-label="group state over the lifecycle"/);
  assert.match(html, /<th colspan="3" class="band">probe<\/th><th colspan="1" class="band">probe-failure-cleanup<\/th>/);
  assert.equal((html.match(/class="goto"/g) ?? []).length, 2, 'only located steps link to a line');
  assert.match(html, /<tr class="bad " data-section="0" data-step="3">/);
});

test('related information: only located steps, short text', () => {
  const a = 'grp0{cnt=0 owner=- dom=default pasids=0}';
  const b = 'grp0{cnt=1 owner=npu dom=blocking pasids=0}';
  const rel = relatedSteps([
    { step: 'bind: pci_dma_configure', result: '0', phase: 'bind' },
    { step: 'probe: npu_probe()', result: 'call', phase: 'probe', location: { path: 'x.patch', line: 5 } },
    { step: `iommu_device_claim_dma_owner(dev, npu) [${a} → ${b}]`, result: '0', phase: 'probe', before: a, after: b, location: { path: 'x.patch', line: 9 } },
  ]);
  assert.deepEqual(rel.map((r) => r.text), ['2. probe: npu_probe()', '3. probe: iommu_device_claim_dma_owner(dev, npu) → 0, owner_cnt 0 → 1, owned by npu, doma…']);
  assert.ok(rel.every((r) => r.text.length <= 90));
});
