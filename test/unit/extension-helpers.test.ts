/** The extension's pure helpers (no 'vscode'): settings, tree reading, texts, git arguments, grammar coverage. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { allApiNames } from '../../src/core/sim/index';
import { formatPatchArgs, stagedDiffArgs, validateRange } from '../../src/extension/git';
import { inputPathFor, looksLikeKernelTree, makeTreeReader, resolveInsideTree } from '../../src/extension/kernel-tree';
import { modeLensTitle, resultSummary, traceTable, verdictLensTitle } from '../../src/extension/presentation';
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

test('code lens titles and summaries', () => {
  assert.equal(modeLensTitle('kernel-dma-api'), 'kernel DMA API — ownership taken at bind');
  assert.equal(modeLensTitle('driver-managed'), 'driver-managed DMA');
  const title = verdictLensTitle({
    scenarios: [
      { topology: 'singleton', ok: true, summary: '✓', trace: [] },
      { topology: 'shared-dma-api', ok: true, summary: '', trace: [] },
      { topology: 'user-owned', ok: false, summary: '-EBUSY at bind', trace: [] },
    ],
  });
  assert.equal(title, 'singleton ✓ · shared with DMA-API device ✓ · user-owned group ✗ -EBUSY at bind');
  assert.equal(resultSummary({ findings: [], problems: [] }), 'no findings');
  const finding = { severity: 'error' } as never;
  assert.equal(resultSummary({ findings: [finding, finding], problems: [{ path: 'x', message: 'm', kind: 'failed' }] }), '2 errors · 1 input problem');
  const table = traceTable([{ step: 'probe: a | b', result: '-EPERM', location: { path: 'p.patch', line: 3 } }]);
  assert.match(table, /\| 1 \| probe: a \\\| b \| -EPERM \| p\.patch:3 \|/);
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
