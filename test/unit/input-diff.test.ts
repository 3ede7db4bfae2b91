import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseInput } from '../../src/core/input';
import type { FileDiff, HunkLine } from '../../src/core/types';

const FIXTURES = path.join(__dirname, '../../../test/fixtures/input');
const read = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

function lineNumberOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((l) => l.includes(needle));
  assert.ok(index >= 0, `fixture has "${needle}"`);
  return index + 1;
}

function findLine(file: FileDiff, needle: string): HunkLine {
  for (const hunk of file.hunks) for (const line of hunk.lines) if (line.text.includes(needle)) return line;
  throw new Error(`no hunk line with ${needle}`);
}

test('plain git diff: files, statuses and paths', () => {
  const parsed = parseInput('x.diff', read('plain.diff'));
  assert.equal(parsed.kind, 'unified-diff');
  assert.equal(parsed.patches.length, 1);
  const files = parsed.patches[0].files;
  assert.deepEqual(
    files.map((f) => [f.status, f.oldPath, f.newPath]),
    [
      ['modified', 'drivers/misc/acme/acme-core.c', 'drivers/misc/acme/acme-core.c'],
      ['added', null, 'drivers/misc/acme/acme-regs.h'],
      ['renamed', 'drivers/misc/acme/old.c', 'drivers/misc/acme/new.c'],
      ['mode-only', 'scripts/acme-tool.sh', 'scripts/acme-tool.sh'],
      ['binary', 'firmware/acme.bin', 'firmware/acme.bin'],
      ['deleted', 'drivers/misc/acme/gone.c', null],
      ['copied', 'drivers/misc/acme/acme-copy.c', 'drivers/misc/acme/acme-copy2.c'],
    ],
  );
  const binaryProblem = parsed.problems.find((p) => p.message.includes('binary'));
  assert.ok(binaryProblem);
  assert.equal(binaryProblem.kind, 'skipped');
  assert.equal(binaryProblem.line, lineNumberOf(parsed.text, 'Binary files a/firmware'));
  assert.equal(parsed.problems.length, 1);
});

test('plain git diff: hunk lines carry old/new image lines and input positions', () => {
  const text = read('plain.diff');
  const file = parseInput('x.diff', text).patches[0].files[0];
  assert.equal(file.hunks.length, 2);
  const [h1, h2] = file.hunks;
  assert.deepEqual([h1.oldStart, h1.oldLines, h1.newStart, h1.newLines], [10, 7, 10, 8]);
  assert.equal(h1.heading, 'static int acme_probe(struct pci_dev *pdev, const struct pci_device_id *id)');
  assert.equal(h1.truncated, false);
  assert.equal(h1.inputLine, 5);
  assert.deepEqual(h1.lines.map((l) => l.kind), ['context', 'context', 'context', 'del', 'add', 'add', 'context', 'context', 'context']);
  const added = findLine(file, 'driver_managed_dma');
  assert.deepEqual(added, {
    kind: 'add', text: '\t.driver_managed_dma = true,', inputLine: lineNumberOf(text, 'driver_managed_dma'), inputColumn: 2, newLine: 44,
  });
  const removed = h1.lines[3];
  assert.deepEqual([removed.kind, removed.text, removed.oldLine, removed.newLine], ['del', '\tif (ret)', 13, undefined]);
  const blank = h1.lines[1];
  assert.deepEqual([blank.kind, blank.text, blank.oldLine, blank.newLine], ['context', '', 11, 11]);
  assert.equal(h2.lines.at(-1)?.newLine, 47);
});

test('diff -u with timestamps, differing top directories and "\\ No newline" pseudo-line', () => {
  const parsed = parseInput('x.diff', read('diff-u.diff'));
  assert.equal(parsed.kind, 'unified-diff');
  const [file] = parsed.patches[0].files;
  assert.equal(file.oldPath, 'drivers/misc/acme/acme-core.c');
  assert.equal(file.newPath, 'drivers/misc/acme/acme-core.c');
  assert.deepEqual(file.hunks[0].lines.map((l) => l.text), ['int acme0;', 'int acme1;', 'int acme_one;', 'int acme2;']);
  assert.equal(file.hunks[0].truncated, false);
});

test('CRLF line ends: \\r stripped and input lines unchanged', () => {
  const text = read('plain.diff');
  const crlf = text.replace(/\n/g, '\r\n');
  const file = parseInput('x.diff', crlf).patches[0].files[0];
  const added = findLine(file, 'driver_managed_dma');
  assert.equal(added.text, '\t.driver_managed_dma = true,');
  assert.equal(added.inputLine, lineNumberOf(text, 'driver_managed_dma'));
  assert.equal(added.inputColumn, 2);
  assert.ok(file.hunks.every((h) => !h.truncated));
});

test('combined diff is skipped with a problem, the next file is still read', () => {
  const parsed = parseInput('x.diff', read('combined.diff'));
  const [combined, other] = parsed.patches[0].files;
  assert.equal(combined.status, 'combined');
  assert.equal(combined.hunks.length, 0);
  assert.equal(other.status, 'modified');
  assert.deepEqual(other.hunks[0].lines.map((l) => l.kind), ['del', 'add']);
  assert.deepEqual(parsed.problems.map((p) => [p.kind, p.line]), [['skipped', 1]]);
});

test('truncated hunk is kept and marked; it does not swallow the next file', () => {
  const parsed = parseInput('x.diff', read('truncated.diff'));
  const [first, second] = parsed.patches[0].files;
  assert.equal(first.hunks[0].truncated, true);
  assert.equal(first.hunks[0].lines.length, 5);
  assert.equal(second.newPath, 'drivers/misc/acme/b.c');
  assert.equal(second.hunks[0].truncated, false);
  // Nothing was dropped, so no problem.
  assert.deepEqual(parsed.problems, []);
});

test('an input that ends inside a hunk is reviewed as it stands and said to be cut short; a complete hunk is not', () => {
  const cut = 'diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1,3 +1,4 @@\n int a;\n+int b;\n';
  const parsed = parseInput('cut.diff', cut);
  assert.equal(parsed.patches[0].files[0].hunks[0].truncated, true);
  assert.equal(parsed.problems.length, 1);
  assert.equal(parsed.problems[0].kind, 'skipped');
  assert.match(parsed.problems[0].message, /x\.c: the input ends inside the hunk at line 4 .*cut short/);
  const whole = parseInput('whole.diff', 'diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1,2 +1,3 @@\n int a;\n+int b;\n int c;\n');
  assert.deepEqual(whole.problems, []);
});

test('maxHunksPerFile drops the excess with a skipped problem', () => {
  let diff = 'diff --git a/f.c b/f.c\n--- a/f.c\n+++ b/f.c\n';
  for (let k = 0; k < 5; k++) diff += `@@ -${k * 10 + 1} +${k * 10 + 1} @@\n-int a${k};\n+int b${k};\n`;
  const parsed = parseInput('x.diff', diff, { maxHunksPerFile: 3 });
  assert.equal(parsed.patches[0].files[0].hunks.length, 3);
  assert.equal(parsed.problems.length, 1);
  assert.equal(parsed.problems[0].kind, 'skipped');
  assert.match(parsed.problems[0].message, /2 hunks over the limit of 3/);
});

test('maxBytes gives a failed problem instead of throwing', () => {
  const parsed = parseInput('big.diff', 'x'.repeat(100), { maxBytes: 10 });
  assert.equal(parsed.patches.length, 0);
  assert.equal(parsed.problems[0].kind, 'failed');
});

test('quoted file names and names with spaces', () => {
  const diff = [
    'diff --git "a/dir/t\\303\\251st.c" "b/dir/t\\303\\251st.c"',
    '--- "a/dir/t\\303\\251st.c"',
    '+++ "b/dir/t\\303\\251st.c"',
    '@@ -1 +1 @@',
    '-a',
    '+b',
    'diff --git a/my file.c b/my file.c',
    'old mode 100644',
    'new mode 100755',
  ].join('\n');
  const files = parseInput('x.diff', diff).patches[0].files;
  assert.equal(files[0].newPath, 'dir/tést.c');
  assert.equal(files[1].newPath, 'my file.c');
  assert.equal(files[1].status, 'mode-only');
});

test('a bare C file is c-source with no patches', () => {
  const parsed = parseInput('drivers/misc/acme/acme-driver.c', read('acme-driver.c'));
  assert.equal(parsed.kind, 'c-source');
  assert.equal(parsed.patches.length, 0);
  assert.equal(parsed.problems.length, 0);
  const stdin = parseInput('<stdin>', read('acme-driver.c'));
  assert.equal(stdin.kind, 'c-source');
});

test('text that is neither diff, mail nor C is a failed problem', () => {
  const parsed = parseInput('notes.txt', 'just some words\nand more words\n');
  assert.equal(parsed.kind, 'unknown');
  assert.equal(parsed.problems[0].kind, 'failed');
});

test('--no-prefix paths, backup names of diff -u, and GIT binary patch data skipped', () => {
  const diff = [
    'diff --git drivers/x.c drivers/x.c',
    'index 1111111..2222222 100644',
    '--- drivers/x.c',
    '+++ drivers/x.c',
    '@@ -1 +1 @@',
    '-int a;',
    '+int b;',
    'diff --git a/fw/blob.bin b/fw/blob.bin',
    'new file mode 100644',
    'index 0000000..3333333',
    'GIT binary patch',
    'literal 12',
    'TcmZQzWMXDvWn*Mv4-y4100002',
    '',
    'literal 0',
    'HcmV?d00001',
    '',
    '--- drivers/y.c.orig\t2025-01-01 00:00:00.000000000 +0000',
    '+++ drivers/y.c\t2025-01-01 00:00:01.000000000 +0000',
    '@@ -2 +2 @@',
    '-int c;',
    '+int d;',
  ].join('\n');
  const parsed = parseInput('x.diff', diff);
  const files = parsed.patches[0].files;
  assert.deepEqual(files.map((f) => [f.status, f.oldPath, f.newPath, f.hunks.length]), [
    ['modified', 'drivers/x.c', 'drivers/x.c', 1],
    ['binary', 'fw/blob.bin', 'fw/blob.bin', 0],
    ['modified', 'drivers/y.c', 'drivers/y.c', 1],
  ]);
  assert.deepEqual(parsed.problems.map((p) => [p.kind, p.line]), [['skipped', 11]]);
  assert.equal(files[2].hunks[0].lines[1].inputLine, 22);
});

test('a hunk claiming to start past two million lines is skipped, not expanded', () => {
  const diff = 'diff --git a/f.c b/f.c\n--- a/f.c\n+++ b/f.c\n@@ -1 +1 @@\n-a\n+b\n@@ -999999999 +999999999 @@\n-c\n+d\n';
  const parsed = parseInput('x.diff', diff);
  assert.equal(parsed.patches[0].files[0].hunks.length, 1);
  assert.deepEqual(parsed.problems.map((p) => [p.kind, p.line]), [['skipped', 7]]);
});

test('changed lines after a hunk whose @@ counts are too small are a skipped problem, not silently dropped', () => {
  const diff = [
    'diff --git a/drivers/misc/acme/acme.c b/drivers/misc/acme/acme.c',
    '--- a/drivers/misc/acme/acme.c',
    '+++ b/drivers/misc/acme/acme.c',
    '@@ -10,3 +10,4 @@ static struct pci_driver acme_driver = {',
    '\t.name = "acme",',
    '\t.probe = acme_probe,',
    '+\t.remove = acme_remove,',
    ' };',
    '+static int acme_extra_one;',
    '+static int acme_extra_two;',
    '',
  ].join('\n').replace(/^\t/gm, ' \t');
  const parsed = parseInput('short.diff', diff);
  const stray = parsed.problems.filter((p) => /do not belong to any hunk/.test(p.message));
  assert.equal(stray.length, 1, JSON.stringify(parsed.problems));
  assert.match(stray[0].message, /^2 lines after the hunk at line 4 /);
  assert.equal(stray[0].line, 9);
  assert.equal(parsed.patches[0].files[0].hunks[0].lines.length, 4);
});

test('a complete hunk followed by a mail signature or prose raises no stray-line problem', () => {
  const mail = [
    'diff --git a/drivers/misc/acme/acme.c b/drivers/misc/acme/acme.c',
    '--- a/drivers/misc/acme/acme.c',
    '+++ b/drivers/misc/acme/acme.c',
    '@@ -10,2 +10,3 @@',
    ' \t.probe = acme_probe,',
    '+\t.remove = acme_remove,',
    ' };',
    '-- ',
    '2.40.1',
    '',
  ].join('\n');
  const parsed = parseInput('ok.diff', mail);
  assert.deepEqual(parsed.problems.filter((p) => /belong/.test(p.message)), []);
});

test('a signature separator whose trailing space a mail client stripped ("--") ends the diff quietly', () => {
  const mail = [
    'From 0123456789012345678901234567890123456789 Mon Sep 17 00:00:00 2001',
    'From: A Developer <dev@example.org>',
    'Subject: [PATCH] misc: gadget: mark the stub as driver-managed',
    '',
    '---',
    'diff --git a/drivers/misc/gadget.c b/drivers/misc/gadget.c',
    '--- a/drivers/misc/gadget.c',
    '+++ b/drivers/misc/gadget.c',
    '@@ -10,2 +10,3 @@ static struct pci_driver gadget_driver = {',
    ' \t.probe = gadget_probe,',
    '+\t.driver_managed_dma = true,',
    ' };',
    '--',
    '2.39.5',
    '',
  ].join('\n');
  for (const text of [mail, mail.split('\n').map((l) => `> ${l}`).join('\n')]) {
    const parsed = parseInput('gadget.patch', text);
    assert.deepEqual(parsed.problems, [], 'no input problem for the signature');
    const hunk = parsed.patches[0].files[0].hunks[0];
    assert.equal(hunk.lines.length, 3);
    assert.equal(hunk.truncated, false);
  }
});
