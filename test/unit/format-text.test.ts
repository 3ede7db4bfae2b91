import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commitAtLine, fixLines, formatFindingText, formatText, formatTotalLine, sourceAtLine, stateChangeWords } from '../../src/format/text';
import { formatProblem } from '../../src/format/common';
import { EMPTY_RESULT, ERROR_FINDING, INFO_FINDING, WARNING_FINDING, sampleResult } from './format-sample';

test('a finding opens with the checkpatch ERROR:CODE name line and the #line: FILE: line', () => {
  const lines = formatFindingText(ERROR_FINDING).split('\n');
  assert.equal(lines[0], `ERROR:OWN001 missing-driver-managed-dma: ${ERROR_FINDING.message}`);
  // #<line of the patch>: FILE: <the C file>:<its line>: as checkpatch prints a patch's finding.
  assert.equal(lines[1], '#42: FILE: drivers/vfio/pci/foo/main.c:120:');
  // The vscode-checkpatch problem matcher regex must recognise the pair.
  const matcher = /(WARNING|ERROR|CHECK): ?(.+):(.+)?\n#\d+: FILE: (.*):(\d+):/;
  const m = matcher.exec(lines.slice(0, 2).join('\n'));
  assert.ok(m);
  assert.equal(m[4], 'drivers/vfio/pci/foo/main.c');
  assert.equal(m[5], '120');
});

test('a patched C file finding names the patch it is in (or its commit) and the subject', () => {
  const text = formatFindingText(ERROR_FINDING);
  assert.match(text, /^ {4}in series\/0002-foo\.patch \(\[PATCH 2\/3\] vfio\/foo: add a variant driver\)$/m);
  const sha = '0123456789abcdef0123456789abcdef01234567';
  const git = formatFindingText({ ...ERROR_FINDING, location: { ...ERROR_FINDING.location, path: '<git v6.8..HEAD>' } }, { commitOf: () => sha });
  assert.match(git, /^ {4}in commit 0123456789ab \(\[PATCH 2\/3\] vfio\/foo: add a variant driver\)$/m);
  assert.match(git, /^#42: FILE: drivers\/vfio\/pci\/foo\/main\.c:120:$/m);
  assert.match(text, /^ {4}fixed later in the series by: \[PATCH 3\/3\] vfio\/foo: set driver_managed_dma$/m);
});

test('the trace is numbered and indented, with results and locations', () => {
  const lines = formatFindingText(ERROR_FINDING, { verbose: true }).split('\n');
  const traceAt = lines.indexOf('    trace:');
  assert.ok(traceAt > 1);
  assert.equal(lines[traceAt + 1], '      1. bind: pci_dma_configure → iommu_device_use_default_domain(dev0) = 0  (#30)');
  assert.equal(lines[traceAt + 2], '      2. user: vfio open → iommu_group_claim_dma_owner(grp0) = -EPERM');
  assert.equal(formatFindingText(ERROR_FINDING, { traces: false }).includes('trace:'), false);
  // Narrative steps (the simulation marks them 'call' / 'state') print without a fake return value.
  const narrative = { ...ERROR_FINDING, trace: [{ step: 'probe: foo_probe()', result: 'call' }, { step: 'after cleanup', result: 'state' }] };
  assert.match(formatFindingText(narrative, { verbose: true }), /^ {6}1\. probe: foo_probe\(\)\n {6}2\. after cleanup$/m);
});

test('the short trace keeps steps with a location, state changes in plain words and the violation', () => {
  const a = 'grp0{cnt=0 owner=- dom=default pasids=0}';
  const b = 'grp0{cnt=1 owner=vfio dom=blocking pasids=1}';
  const finding = {
    ...ERROR_FINDING,
    trace: [
      { step: `pci_dma_configure [${a} → ${b}]`, result: '0', phase: 'bind', before: a, after: b },
      { step: 'a step nobody needs', result: 'call', phase: 'probe' },
      { step: 'probe: foo_probe()', result: 'call', phase: 'probe', location: { path: 'series/0002-foo.patch', line: 30 } },
      { step: '✗ user space cannot claim grp0', result: 'claim-failed', phase: 'user' },
    ],
  };
  const sourceOf = (p: string, n: number) => (n === 30 ? { file: 'drivers/vfio/pci/foo/main.c', line: 12 } : undefined);
  const text = formatFindingText(finding, { sourceOf });
  assert.match(text, /^ {4}trace \(3 of 4 steps, --verbose for all\):$/m);
  assert.match(text, /^ {6}1\. bind {3}pci_dma_configure = 0: owner_cnt 0 → 1, owned by vfio, domain default → blocking, PASIDs 0 → 1$/m);
  assert.doesNotMatch(text, /nobody needs/);
  assert.match(text, /^ {6}3\. probe {2}foo_probe\(\) {2}\(main\.c:12\)$/m);
  assert.match(text, /^ {6}4\. user {3}✗ user space cannot claim grp0$/m);
  assert.match(formatFindingText(finding, { verbose: true }), /nobody needs/);
  // Back to unowned reads as such.
  assert.equal(stateChangeWords({ before: b, after: a }), 'owner_cnt 1 → 0, no longer owned by vfio, domain blocking → default, PASIDs 1 → 0');
});

test('terse and emacs layouts, colour, quiet', () => {
  assert.equal(
    formatFindingText(ERROR_FINDING, { layout: 'terse' }),
    `drivers/vfio/pci/foo/main.c:120: ERROR: OWN001 missing-driver-managed-dma: ${ERROR_FINDING.message}`,
  );
  assert.match(formatFindingText(ERROR_FINDING, { layout: 'emacs' }), /^drivers\/vfio\/pci\/foo\/main\.c:120: ERROR:OWN001 /);
  assert.match(formatFindingText(ERROR_FINDING, { color: true }), /^\x1b\[1m\x1b\[31mERROR:OWN001\x1b\[0m /);
  assert.equal(formatText(EMPTY_RESULT, { quiet: true }), '');
  assert.match(formatText(sampleResult(), { quiet: true }), /^total: /m);
});

test('a fix is said once: a prose suggestion replaces the title, code goes under it', () => {
  assert.deepEqual(fixLines({ title: 'Add .driver_managed_dma = true to foo', suggestion: 'add `.driver_managed_dma = true,` to the initializer of foo' }), [
    '    fix: add `.driver_managed_dma = true,` to the initializer of foo',
  ]);
  assert.deepEqual(fixLines({ title: 'Check the result', suggestion: 'ret = f(dev);\nif (ret)\n\tgoto err;' }), [
    '    fix: Check the result:',
    '         ret = f(dev);',
    '         if (ret)',
    '         \tgoto err;',
  ]);
  assert.deepEqual(fixLines({ title: 'Same thing', suggestion: 'same  thing' }), ['    fix: Same thing']);
});

test('a patch line maps back to its C file and line; a format-patch line to its commit', () => {
  const patch = [
    'From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001',
    'Subject: [PATCH] x',
    '',
    'diff --git a/drivers/x.c b/drivers/x.c',
    '--- a/drivers/x.c',
    '+++ b/drivers/x.c',
    '@@ -10,3 +10,4 @@ static int x(void)',
    ' \tint a;',
    '-\tint b;',
    '+\tint c;',
    '+\tint d;',
  ];
  assert.deepEqual(sourceAtLine(patch, 8), { file: 'drivers/x.c', line: 10 });
  assert.deepEqual(sourceAtLine(patch, 11), { file: 'drivers/x.c', line: 12 });
  assert.equal(sourceAtLine(patch, 9), undefined, 'a removed line has no post-image line');
  assert.equal(sourceAtLine(patch, 2), undefined);
  assert.deepEqual(sourceAtLine(patch.map((l) => `> ${l}`), 11), { file: 'drivers/x.c', line: 12 }, 'quoted review replies too');
  assert.equal(commitAtLine(patch, 10), '0123456789abcdef0123456789abcdef01234567');
  assert.equal(commitAtLine(patch.slice(1), 5), undefined);
});

test('warning and info use their own level words; a partial finding says what was not seen', () => {
  assert.match(formatFindingText(WARNING_FINDING), /^WARNING:OWN012 attach-device-in-multi-device-group: /);
  const info = formatFindingText(INFO_FINDING);
  assert.match(info, /^INFO:OWN005 unbalanced-dma-owner-claim: /);
  assert.match(info, /^ {4}partial: the \.remove callback baz_remove\(\) is not in the patch$/m);
  assert.match(info, /^#11: FILE: <stdin>:11:$/m);
  // A C file finding without source has no "in" line.
  assert.doesNotMatch(formatFindingText(WARNING_FINDING), /^ {4}in /m);
});

test('blocks are separated by a blank line and the text ends with the total line', () => {
  const text = formatText(sampleResult());
  const blocks = text.split('\n\n');
  assert.equal(blocks.length, 4);
  assert.equal(text.endsWith('\n'), true);
  assert.equal(blocks[3], 'total: 1 errors, 1 warnings, 1 info, 2 inputs reviewed (1 skipped, 1 failed)\n');
});

test('the total line counts by severity, with the fixed plurals of the contract (as checkpatch)', () => {
  assert.equal(formatTotalLine(EMPTY_RESULT), 'total: 0 errors, 0 warnings, 0 info, 1 inputs reviewed (0 skipped, 0 failed)');
  assert.equal(formatText(EMPTY_RESULT), 'total: 0 errors, 0 warnings, 0 info, 1 inputs reviewed (0 skipped, 0 failed)\n');
  const two = sampleResult([ERROR_FINDING, ERROR_FINDING]);
  assert.match(formatTotalLine(two), /^total: 2 errors, 0 warnings, 0 info, /);
});

test('problems print as one stderr line, with the line when known', () => {
  const [skipped, failed] = sampleResult().problems;
  assert.equal(formatProblem(skipped), 'iommu-review: series/0000-cover-letter.patch: cover letter: no diff');
  assert.equal(formatProblem(failed), 'iommu-review: broken.patch:9: hunk header does not match its lines');
});

test('the input line is quoted under the FILE line when the host provides it', () => {
  const lineOf = (p: string, n: number) => (p === 'series/0002-foo.patch' && n === 42 ? '+\t.probe = foo_probe,' : undefined);
  const lines = formatFindingText(ERROR_FINDING, { lineOf }).split('\n');
  assert.equal(lines[1], '#42: FILE: drivers/vfio/pci/foo/main.c:120:');
  assert.equal(lines[2], '+\t.probe = foo_probe,');
  assert.match(lines[3], /^ {4}in /);
  // Nothing is quoted when the line is unknown.
  assert.match(formatFindingText(WARNING_FINDING, { lineOf }).split('\n')[2], /^ {4}/);
});
