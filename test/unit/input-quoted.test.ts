import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseInput } from '../../src/core/input';
import { quotePrefix } from '../../src/core/input/quoted';

const FIXTURES = path.join(__dirname, '../../../test/fixtures/input');
const read = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

function lineNumberOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((l) => l.includes(needle));
  assert.ok(index >= 0, `fixture has "${needle}"`);
  return index + 1;
}

test('quote prefixes: "> ", "> > ", ">>", ">" alone', () => {
  assert.deepEqual(quotePrefix('> +foo'), { depth: 1, length: 2 });
  assert.deepEqual(quotePrefix('> > +foo'), { depth: 2, length: 4 });
  assert.deepEqual(quotePrefix('>>  foo'), { depth: 2, length: 3 });
  assert.deepEqual(quotePrefix('>'), { depth: 1, length: 1 });
  assert.deepEqual(quotePrefix('plain'), { depth: 0, length: 0 });
  // A context line whose text starts with '>' keeps it.
  assert.deepEqual(quotePrefix('>  >x'), { depth: 1, length: 2 });
});

test('review reply quoting the diff at depth 2 with comments in between', () => {
  const text = read('quoted-reply.eml');
  const parsed = parseInput('reply.eml', text);
  assert.equal(parsed.kind, 'quoted-reply');
  const [patch] = parsed.patches;
  assert.equal(patch.subject, 'Re: [PATCH v3 2/4] misc: acme: let the driver manage DMA ownership');
  assert.equal(patch.isCover, false);
  const [file] = patch.files;
  assert.equal(file.newPath, 'drivers/misc/acme/acme-core.c');
  assert.equal(file.hunks.length, 2);

  const [h1, h2] = file.hunks;
  // Comments at depth 1 and 0 sit inside the first hunk; it still has all 8 post-image lines.
  assert.equal(h1.truncated, false);
  assert.deepEqual(h1.lines.map((l) => l.kind), ['context', 'context', 'context', 'add', 'add', 'context', 'context', 'context']);
  const claim = h1.lines[3];
  assert.equal(claim.text, '\tret = iommu_device_claim_dma_owner(&adev->pdev->dev, adev);');
  assert.equal(claim.inputLine, lineNumberOf(text, 'iommu_device_claim_dma_owner'));
  assert.equal(claim.inputLine, 21);
  assert.equal(claim.inputColumn, 6); // "> > +" is five characters
  assert.equal(claim.newLine, 23);
  const check = h1.lines[4];
  assert.equal(check.inputLine, lineNumberOf(text, '> > +\tif (ret)'));
  assert.equal(check.newLine, 24);
  const afterComments = h1.lines[5];
  assert.equal(afterComments.text, '\t\treturn ret;');
  assert.equal(afterComments.inputLine, lineNumberOf(text, 'return ret;'));
  assert.equal(afterComments.inputColumn, 6);
  // The quoted empty context line ("> >  " → " ") is an empty context line.
  assert.deepEqual([h1.lines[2].kind, h1.lines[2].text], ['context', '']);

  // Second hunk uses ">>" quoting and is cut by "[...]": kept and marked truncated.
  assert.equal(h2.truncated, true);
  const release = h2.lines[1];
  assert.equal(release.kind, 'add');
  assert.equal(release.inputLine, lineNumberOf(text, 'iommu_device_release_dma_owner'));
  assert.equal(release.inputColumn, 4); // ">>+"
  assert.equal(release.newLine, 53);
  assert.ok(parsed.problems.some((p) => p.kind === 'skipped' && /truncated/.test(p.message)));

  assert.match(patch.body, /The acme driver hands its device to user space\./);
});

test('quoted text without diff markers is not a diff', () => {
  const mail = [
    'From: A <a@example.org>',
    'Subject: Re: [PATCH] thing',
    '',
    '> +int looks_like_an_added_line;',
    '> -int looks_like_a_removed_line;',
    '',
    'Please explain.',
  ].join('\n');
  const parsed = parseInput('r.eml', mail);
  assert.equal(parsed.kind, 'cover-letter');
  assert.deepEqual(parsed.patches[0].files, []);
});

test('a quoted diff pasted without mail headers, hunk header only', () => {
  const text = ['Looks wrong:', '', '> @@ -5,2 +5,3 @@ static int f(void)', '>  \tint a;', '> +\tclaim();', '>  \treturn 0;', '', 'Rob'].join('\n');
  const parsed = parseInput('<stdin>', text);
  assert.equal(parsed.kind, 'quoted-reply');
  const [file] = parsed.patches[0].files;
  assert.equal(file.hunks[0].truncated, false);
  assert.deepEqual(file.hunks[0].lines.map((l) => [l.kind, l.inputLine, l.inputColumn]), [['context', 4, 4], ['add', 5, 4], ['context', 6, 4]]);
});

test('thread mbox: a reply quoting patch 1 sorts after it and is flagged quoted', () => {
  const patch = [
    'From git@z Thu Jan  1 00:00:00 1970',
    'From: A <a@example.org>',
    'Subject: [PATCH 1/1] x: y',
    '',
    '---',
    'diff --git a/f.c b/f.c',
    '--- a/f.c',
    '+++ b/f.c',
    '@@ -1 +1 @@',
    '-int a;',
    '+int b;',
    '',
  ];
  const reply = [
    'From git@z Thu Jan  1 00:00:00 1970',
    'From: R <r@example.org>',
    'Subject: Re: [PATCH 1/1] x: y',
    '',
    '> diff --git a/f.c b/f.c',
    '> --- a/f.c',
    '> +++ b/f.c',
    '> @@ -1 +1 @@',
    '> -int a;',
    '> +int b;',
    '',
    'Nice.',
    '',
  ];
  const parsed = parseInput('t.mbx', [...reply, ...patch].join('\n'));
  assert.equal(parsed.kind, 'mbox');
  assert.deepEqual(parsed.patches.map((p) => [p.subject, p.quoted ?? false]), [['[PATCH 1/1] x: y', false], ['Re: [PATCH 1/1] x: y', true]]);
  assert.deepEqual(parsed.patches[1].files[0].hunks[0].lines.map((l) => [l.inputLine, l.inputColumn]), [[9, 4], [10, 4]]);
});
