import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseInput } from '../../src/core/input';
import { parseSubjectTag } from '../../src/core/input/index';
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

test('git format-patch mail: headers, unfolded subject, tag, body up to ---, diff line map', () => {
  const text = read('format-patch.patch');
  const parsed = parseInput('0002.patch', text);
  assert.equal(parsed.kind, 'format-patch');
  assert.equal(parsed.patches.length, 1);
  const [patch] = parsed.patches;
  assert.equal(patch.subject, '[PATCH v3 2/4] misc: acme: let the driver manage DMA ownership of its group');
  assert.deepEqual([patch.version, patch.number, patch.total], [3, 2, 4]);
  assert.equal(patch.from, 'Jane Developer <jane@example.org>');
  assert.equal(patch.date, 'Tue, 4 Mar 2025 10:11:12 +0100');
  assert.equal(patch.messageId, '20250304101112.2-jane@example.org');
  assert.equal(patch.isCover, false);
  assert.match(patch.body, /^The acme driver hands/);
  assert.match(patch.body, /Signed-off-by: Jane Developer <jane@example.org>$/);
  assert.ok(!patch.body.includes('1 file changed'));
  const file = patch.files[0];
  assert.equal(file.hunks.length, 1);
  const added = findLine(file, 'driver_managed_dma');
  assert.equal(added.inputLine, lineNumberOf(text, '+\t.driver_managed_dma'));
  assert.equal(added.inputColumn, 2);
  assert.equal(added.newLine, 43);
  // The signature after the diff is not part of the hunk.
  assert.equal(file.hunks[0].lines.at(-1)?.text, 'module_pci_driver(acme_pci_driver);');
  assert.deepEqual(parsed.problems, []);
});

test('cover letter: no diff is not an error', () => {
  const parsed = parseInput('0000.eml', read('cover-letter.eml'));
  assert.equal(parsed.kind, 'cover-letter');
  assert.equal(parsed.patches.length, 1);
  assert.equal(parsed.patches[0].isCover, true);
  assert.equal(parsed.patches[0].number, 0);
  assert.deepEqual(parsed.patches[0].files, []);
  assert.deepEqual(parsed.problems, []);
});

test('mbox series: split first, ordered by [PATCH n/m], mboxrd >From unescaped', () => {
  const text = read('series-out-of-order.mbox');
  const parsed = parseInput('series.mbox', text);
  assert.equal(parsed.kind, 'mbox');
  assert.deepEqual(parsed.patches.map((p) => [p.index, p.number, p.isCover]), [[0, 0, true], [1, 1, false], [2, 2, false]]);
  assert.deepEqual(parsed.patches.map((p) => p.messageId), ['cover@example.org', 'one@example.org', 'two@example.org']);
  assert.equal(parsed.patches[1].version, 2);
  assert.equal(parsed.patches[1].total, 2);
  // Each message's files stay its own (a concatenated parse would merge them).
  assert.deepEqual(parsed.patches[1].files.map((f) => f.newPath), ['drivers/misc/acme/a.c']);
  assert.deepEqual(parsed.patches[2].files.map((f) => f.newPath), ['drivers/misc/acme/b.c']);
  const second = parsed.patches[2];
  assert.equal(second.inputLine, 1);
  assert.equal(parsed.patches[1].inputLine, lineNumberOf(text, 'first change') - 2);
  assert.ok(second.body.includes('\nFrom the start this escaped line must lose one marker.'));
  assert.ok(second.body.includes('\n>From here only one marker goes.'));
  const added = findLine(parsed.patches[1].files[0], 'int a1;');
  assert.equal(added.inputLine, lineNumberOf(text, '+int a1;'));
  assert.equal(added.newLine, 4);
});

test('mbox with git From_ lines and a body line starting with "From " that is not a separator', () => {
  const message = (n: number, extra: string): string =>
    `From 0123456789abcdef0123456789abcdef0123456${n} Mon Sep 17 00:00:00 2001\n` +
    `From: A <a@example.org>\nSubject: [PATCH ${n}/2] change ${n}\n\n${extra}---\n` +
    `diff --git a/f${n}.c b/f${n}.c\n--- a/f${n}.c\n+++ b/f${n}.c\n@@ -1 +1 @@\n-int a;\n+int b;\n-- \n2.43.0\n\n`;
  const text = message(2, 'From my point of view this is fine.\n') + message(1, '');
  const parsed = parseInput('s.mbox', text);
  assert.equal(parsed.patches.length, 2);
  assert.deepEqual(parsed.patches.map((p) => p.subject), ['[PATCH 1/2] change 1', '[PATCH 2/2] change 2']);
  assert.equal(parsed.patches[1].body, 'From my point of view this is fine.');
});

test('subject tags', () => {
  assert.deepEqual(parseSubjectTag('[PATCH v5 07/14] vfio: x'), { version: 5, number: 7, total: 14 });
  assert.deepEqual(parseSubjectTag('[RFC PATCH net-next v2 3/7] net: x'), { version: 2, number: 3, total: 7 });
  assert.deepEqual(parseSubjectTag('[PATCH] x'), {});
  assert.deepEqual(parseSubjectTag('Re: [PATCH 2/3] x'), { number: 2, total: 3 });
  assert.deepEqual(parseSubjectTag('no tag'), {});
  assert.deepEqual(parseSubjectTag('[PATCHv4 RESEND 02/10] x'), { version: 4, number: 2, total: 10 });
  assert.deepEqual(parseSubjectTag('[net-next] [PATCH 3/7 v2] x'), { version: 2, number: 3, total: 7 });
});

test('multipart mail with a base64 patch attachment: decoded, mapped to the part, image part skipped', () => {
  const text = read('base64-attachment.eml');
  const parsed = parseInput('b64.eml', text);
  assert.equal(parsed.kind, 'format-patch');
  const [patch] = parsed.patches;
  assert.equal(patch.subject, '[PATCH] misc: acme: café mode');
  const file = patch.files[0];
  assert.equal(file.newPath, 'drivers/misc/acme/acme-core.c');
  const added = findLine(file, 'iommu_device_use_default_domain');
  assert.equal(added.text, '\tiommu_device_use_default_domain(&pdev->dev);');
  // Base64 lines cannot be mapped one by one: they map to the first line of the encoded part.
  const partFirstLine = lineNumberOf(text, 'Content-Transfer-Encoding: base64') + 2;
  assert.equal(added.inputLine, partFirstLine);
  assert.equal(added.newLine, 8);
  const skipped = parsed.problems.filter((p) => p.kind === 'skipped');
  assert.equal(skipped.length, 1);
  assert.match(skipped[0].message, /MIME part 3 \(image\/png, screenshot\.png\)/);
  assert.equal(patch.body.startsWith('Attached the fix as a patch.'), true);
});

test('quoted-printable mail: soft breaks joined, =XX decoded, lines map to where they start', () => {
  const text = read('quoted-printable.eml');
  const parsed = parseInput('qp.eml', text);
  assert.equal(parsed.kind, 'format-patch');
  const [patch] = parsed.patches;
  assert.match(patch.body, /goes on and on and on past seventy-six characters\.$/);
  const added = findLine(patch.files[0], 'dev_info');
  assert.equal(added.text, '\tdev_info(&pdev->dev, "café = %d\\n", acme_value_that_is_quite_long_indeed(pdev, 12345678));');
  assert.equal(added.inputLine, lineNumberOf(text, '+\tdev_info'));
  const last = patch.files[0].hunks[0].lines.at(-1);
  assert.equal(last?.text, '}');
  assert.equal(last?.inputLine, lineNumberOf(text, 'indeed(pdev') + 2);
  assert.equal(patch.files[0].hunks[0].truncated, false);
});

test('multipart/alternative reads only the plain-text part', () => {
  const mail = [
    'From: A <a@example.org>',
    'Subject: [PATCH] alt',
    'Content-Type: multipart/alternative; boundary=XYZ',
    '',
    '--XYZ',
    'Content-Type: text/plain',
    '',
    '---',
    'diff --git a/f.c b/f.c',
    '--- a/f.c',
    '+++ b/f.c',
    '@@ -1 +1 @@',
    '-int a;',
    '+int b;',
    '--XYZ',
    'Content-Type: text/html',
    '',
    '<p>diff --git a/g.c b/g.c</p>',
    '--XYZ--',
  ].join('\n');
  const parsed = parseInput('alt.eml', mail);
  assert.deepEqual(parsed.patches[0].files.map((f) => f.newPath), ['f.c']);
  assert.equal(parsed.patches[0].files[0].hunks[0].lines[1].inputLine, 14);
  assert.deepEqual(parsed.problems, []);
});

test('junk before the first From_ line does not hide the series', () => {
  const message = (n: number): string =>
    `From git@z Thu Jan  1 00:00:00 1970\nFrom: A <a@example.org>\nSubject: [PATCH ${n}/2] c${n}\n\n---\n` +
    `diff --git a/f${n}.c b/f${n}.c\n--- a/f${n}.c\n+++ b/f${n}.c\n@@ -1 +1 @@\n-int a;\n+int b;\n\n`;
  const parsed = parseInput('s.mbox', 'Saved from the archive.\n\n' + message(1) + message(2));
  assert.equal(parsed.kind, 'mbox');
  assert.deepEqual(parsed.patches.map((p) => p.files.map((f) => f.newPath)), [['f1.c'], ['f2.c']]);
  assert.equal(parsed.patches[0].inputLine, 3);
});

test('multipart/signed: the signature part is ignored without a problem', () => {
  const mail = [
    'From: A <a@example.org>',
    'Subject: [PATCH] signed',
    'Content-Type: multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="sig"',
    '',
    '--sig',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    '---',
    'diff --git a/f.c b/f.c',
    '--- a/f.c',
    '+++ b/f.c',
    '@@ -1 +1 @@',
    '-int a;',
    '+int b;',
    '--sig',
    'Content-Type: application/pgp-signature; name="signature.asc"',
    '',
    '-----BEGIN PGP SIGNATURE-----',
    'iQEzBAEBCAAdFiEE',
    '-----END PGP SIGNATURE-----',
    '--sig--',
  ].join('\n');
  const parsed = parseInput('signed.eml', mail);
  assert.equal(parsed.kind, 'format-patch');
  assert.deepEqual(parsed.patches[0].files[0].hunks[0].lines.map((l) => [l.kind, l.inputLine]), [['del', 13], ['add', 14]]);
  assert.deepEqual(parsed.problems, []);
});
