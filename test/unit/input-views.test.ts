import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyFileDiff, fullViews, hunkViews, isCPath, parseInput } from '../../src/core/input';
import type { FileDiff } from '../../src/core/types';

const FIXTURES = path.join(__dirname, '../../../test/fixtures/input');
const read = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

function filesOf(diff: string): FileDiff[] {
  return parseInput('x.diff', diff).patches[0].files;
}

/** A base file of `count` numbered lines: "line 1", "line 2", ... */
function numbered(count: number): string {
  return Array.from({ length: count }, (_, k) => `line ${k + 1}`).join('\n') + '\n';
}

const EDIT_AT_5 = [
  'diff --git a/d/f.c b/d/f.c',
  '--- a/d/f.c',
  '+++ b/d/f.c',
  '@@ -4,3 +4,4 @@',
  ' line 4',
  '-line 5',
  '+line five',
  '+line five and a half',
  ' line 6',
].join('\n');

test('isCPath', () => {
  assert.equal(isCPath('drivers/a.c'), true);
  assert.equal(isCPath('include/linux/a.h'), true);
  assert.equal(isCPath('Makefile'), false);
  assert.equal(isCPath('a.cc'), false);
});

test('hunk views are line-aligned with the images', () => {
  const file = filesOf(read('plain.diff'))[0];
  const { post, pre } = hunkViews(file);
  assert.ok(post && pre);
  const postLines = post.text.split('\n');
  assert.equal(postLines.length, 47);
  assert.equal(postLines[0], '');
  assert.equal(postLines[9], '\tint ret;'); // image line 10
  assert.equal(postLines[12], '\tif (ret) {'); // image line 13
  assert.equal(postLines[43], '\t.driver_managed_dma = true,');
  assert.deepEqual(post.changedLines, [13, 14, 44]);
  assert.deepEqual(post.visibleLines, [{ from: 10, to: 17 }, { from: 41, to: 47 }]);
  assert.deepEqual(post.inputLines?.[44], { line: 19, column: 2 });
  assert.equal(post.complete, false);
  assert.equal(post.image, 'post');
  assert.equal(post.path, 'drivers/misc/acme/acme-core.c');

  const preLines = pre.text.split('\n');
  assert.equal(preLines[12], '\tif (ret)');
  assert.deepEqual(pre.changedLines, [13]);
  assert.deepEqual(pre.visibleLines, [{ from: 10, to: 16 }, { from: 40, to: 45 }]);
  assert.equal(pre.image, 'pre');
});

test('new file: post view complete, no pre view; deleted file: no post view; binary/mode-only: none', () => {
  const files = filesOf(read('plain.diff'));
  const added = hunkViews(files[1]);
  assert.equal(added.pre, undefined);
  assert.equal(added.post?.complete, true);
  assert.equal(added.post?.text, '#define ACME_CTRL\t0x00\n#define ACME_STATUS\t0x04\n#define ACME_IRQ\t0x08');
  assert.deepEqual(added.post?.changedLines, [1, 2, 3]);
  const deleted = hunkViews(files[5]);
  assert.equal(deleted.post, undefined);
  assert.equal(deleted.pre?.text, 'int acme_gone;\nint acme_gone2;');
  assert.deepEqual(hunkViews(files[3]), {});
  assert.deepEqual(hunkViews(files[4]), {});
  const renamed = hunkViews(files[2]);
  assert.equal(renamed.post?.path, 'drivers/misc/acme/new.c');
  assert.equal(renamed.pre?.path, 'drivers/misc/acme/old.c');
});

test('apply at the stated position', () => {
  const [file] = filesOf(EDIT_AT_5);
  const result = applyFileDiff(numbered(8), file);
  assert.deepEqual(result, { ok: true, text: 'line 1\nline 2\nline 3\nline 4\nline five\nline five and a half\nline 6\nline 7\nline 8\n' });
});

test('apply with an offset (the base gained lines above the hunk)', () => {
  const [file] = filesOf(EDIT_AT_5);
  const base = 'extra a\nextra b\nextra c\n' + numbered(8);
  const result = applyFileDiff(base, file);
  assert.equal(result.ok, true);
  assert.ok(result.ok && result.text.startsWith('extra a\nextra b\nextra c\nline 1\nline 2\nline 3\nline 4\nline five\n'));

  const views = fullViews(base, file);
  assert.equal(views.problem, undefined);
  assert.equal(views.post?.complete, true);
  // Image lines follow where the hunk really landed (3 lines lower than its header says).
  assert.deepEqual(views.post?.changedLines, [8, 9]);
  assert.equal(views.post?.text.split('\n')[7], 'line five');
  assert.deepEqual(views.post?.inputLines?.[8], { line: 7, column: 2 });
  assert.deepEqual(views.post?.visibleLines, [{ from: 1, to: 12 }]);
  assert.deepEqual(views.pre?.changedLines, [8]);
  assert.equal(views.pre?.text.split('\n')[7], 'line 5');
});

test('apply failure: reason, and fullViews falls back to hunk views with a problem', () => {
  const [file] = filesOf(EDIT_AT_5);
  const base = numbered(8).replace('line 5', 'line 5 changed upstream');
  const result = applyFileDiff(base, file);
  assert.equal(result.ok, false);
  assert.ok(!result.ok && /hunk 1 .* context does not match/.test(result.reason));
  const views = fullViews(base, file);
  assert.match(views.problem ?? '', /^hunks do not apply to d\/f\.c: hunk 1 .*; reviewed the hunks only$/);
  assert.equal(views.post?.complete, false);
  assert.deepEqual(views.post?.changedLines, [5, 6]);
});

test('two hunks apply in order; a pure insertion lands after the stated line', () => {
  const diff = [
    'diff --git a/d/f.c b/d/f.c', '--- a/d/f.c', '+++ b/d/f.c',
    '@@ -2,0 +3 @@', '+inserted after 2',
    '@@ -7,1 +8,1 @@', '-line 7', '+line seven',
  ].join('\n');
  const [file] = filesOf(diff);
  const result = applyFileDiff(numbered(8), file);
  assert.deepEqual(result, { ok: true, text: 'line 1\nline 2\ninserted after 2\nline 3\nline 4\nline 5\nline 6\nline seven\nline 8\n' });
});

test('fullViews without a base gives hunk views; a new file applies to an empty base', () => {
  const files = filesOf(read('plain.diff'));
  const modified = fullViews(undefined, files[0]);
  assert.equal(modified.problem, undefined);
  assert.equal(modified.post?.complete, false);
  const created = fullViews(undefined, files[1]);
  assert.equal(created.post?.complete, true);
  assert.equal(created.post?.text, '#define ACME_CTRL\t0x00\n#define ACME_STATUS\t0x04\n#define ACME_IRQ\t0x08');
});

test('truncated hunks do not apply', () => {
  const [file] = filesOf(read('truncated.diff'));
  const result = applyFileDiff(numbered(20), file);
  assert.ok(!result.ok && /truncated/.test(result.reason));
});

test('CRLF base: applies, result lines have no \\r', () => {
  const [file] = filesOf(EDIT_AT_5);
  const result = applyFileDiff(numbered(8).replace(/\n/g, '\r\n'), file);
  assert.ok(result.ok && !result.text.includes('\r'));
});

test('a base that already contains the change is taken as the post-image', () => {
  const [file] = filesOf(EDIT_AT_5);
  const patched = 'line 1\nline 2\nline 3\nline 4\nline five\nline five and a half\nline 6\nline 7\nline 8\n';
  const views = fullViews(patched, file);
  assert.equal(views.problem, undefined);
  assert.equal(views.post?.text, patched.trimEnd());
  assert.equal(views.pre?.text, numbered(8).trimEnd());
  assert.deepEqual(views.post?.changedLines, [5, 6]);
  assert.deepEqual(views.pre?.changedLines, [5]);
  assert.deepEqual(views.post?.inputLines?.[5], { line: 7, column: 2 });
});

test('a new file does not apply over an existing different file', () => {
  const files = filesOf(read('plain.diff'));
  const result = applyFileDiff('int unrelated;\n', files[1]);
  assert.ok(!result.ok && /already exists/.test(result.reason));
  const views = fullViews('int unrelated;\n', files[1]);
  assert.match(views.problem ?? '', /^hunks do not apply to drivers\/misc\/acme\/acme-regs\.h/);
  // The same file already in place is recognised as applied.
  const same = fullViews('#define ACME_CTRL\t0x00\n#define ACME_STATUS\t0x04\n#define ACME_IRQ\t0x08\n', files[1]);
  assert.equal(same.problem, undefined);
  assert.equal(same.post?.complete, true);
});

test('a hunk starting inside a struct initializer gets its heading back on the unseen line above it', () => {
  const diff = [
    'diff --git a/drivers/pci/gizmo-stub.c b/drivers/pci/gizmo-stub.c',
    '--- a/drivers/pci/gizmo-stub.c',
    '+++ b/drivers/pci/gizmo-stub.c',
    '@@ -20,5 +20,6 @@ static struct pci_driver gizmo_stub_driver = {',
    ' \t.name\t\t= "gizmo-stub",',
    ' \t.probe\t\t= gizmo_stub_probe,',
    '+\t.driver_managed_dma = true,',
    ' };',
    ' ',
    ' static int __init gizmo_stub_init(void)',
    '',
  ].join('\n');
  const { post, pre } = hunkViews(filesOf(diff)[0]);
  const postLines = post!.text.split('\n');
  assert.equal(postLines[18], 'static struct pci_driver gizmo_stub_driver = {');
  assert.equal(postLines[19], '\t.name\t\t= "gizmo-stub",');
  assert.deepEqual(post!.visibleLines, [{ from: 20, to: 25 }]);
  assert.equal(post!.inputLines?.[19], undefined);
  assert.equal(pre!.text.split('\n')[18], 'static struct pci_driver gizmo_stub_driver = {');
});

test('a nested initializer closed by the hunk gets one bare opener per level; other headings add nothing', () => {
  const nested = [
    'diff --git a/drivers/vfio/gizmo/main.c b/drivers/vfio/gizmo/main.c',
    '--- a/drivers/vfio/gizmo/main.c',
    '+++ b/drivers/vfio/gizmo/main.c',
    '@@ -50,4 +50,5 @@ static struct gizmo_driver vfio_gizmo_driver = {',
    ' \t\t.name\t= "vfio-gizmo",',
    ' \t},',
    '+\t.driver_managed_dma = true,',
    ' };',
    '',
  ].join('\n');
  const lines = hunkViews(filesOf(nested)[0]).post!.text.split('\n');
  assert.deepEqual(lines.slice(47, 50), ['static struct gizmo_driver vfio_gizmo_driver = {', '{', '\t\t.name\t= "vfio-gizmo",']);
  const inFunction = nested.replace('static struct gizmo_driver vfio_gizmo_driver = {', 'static int gizmo_probe(struct device *dev)');
  assert.equal(hunkViews(filesOf(inFunction)[0]).post!.text.split('\n')[47], '');
});
