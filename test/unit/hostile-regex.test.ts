/**
 * Issue 15 §2: every regex that runs over input text is linear (or a scan). Each input-facing pattern of
 * src/core/input, src/cli, src/format and the rules that build a pattern from code gets a 1 MB string shaped to
 * make a backtracking pattern retry from every position; each must finish in < 1 s of CPU.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInput, parseSubjectTag, hunkViews } from '../../src/core/input';
import { decodeEncodedWords } from '../../src/core/input/decode';
import { findDiffStart, isHunkHeader, isMalformedHunkHeader, scanDiff } from '../../src/core/input/diff';
import { sliceInput, splitInputLines } from '../../src/core/input/lines';
import { isMboxSeparator, looksLikeMailHeaders, parseContentType, readHeaders, splitMbox } from '../../src/core/input/mail';
import { unquoteDiff } from '../../src/core/input/quoted';
import { escapeControls, formatProblem, oneLine } from '../../src/format/common';
import { toUriReference } from '../../src/format/sarif';
import { mboxChunks } from '../../src/cli/chunked';
import { isCSourcePath } from '../../src/cli/inputs';
import { isEscaping } from '../../src/cli/tree';
import { mentionsWord } from '../../src/rules/default-domain-probe-defer';
import { getAnalyzer } from '../helpers';
import { hostileCase } from '../fuzz/hostile';

const MB = 1024 * 1024;

/** CPU milliseconds `fn` takes (user + system), so a busy shared machine does not fail the test. */
function cpuMs(fn: () => unknown): number {
  const before = process.cpuUsage();
  fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

function linear(name: string, fn: () => unknown): void {
  test(`linear on 1 MB: ${name}`, () => {
    const ms = cpuMs(fn);
    assert.ok(ms < 1000, `${name}: ${ms.toFixed(0)} ms of CPU for 1 MB`);
  });
}

const repeat = (s: string, bytes = MB): string => s.repeat(Math.ceil(bytes / s.length));

linear('subject tag: [PATCH] then 1 MB of [', () => parseSubjectTag(`[PATCH] ${repeat('[')}`));
linear('subject tag: brackets never closed after a space', () => parseSubjectTag(repeat('[ PATCH 1/')));
linear('encoded words: =?x?q? runs', () => decodeEncodedWords(repeat('=?x?q?a')));
linear('encoded words: =? runs without ?=', () => decodeEncodedWords(repeat('=?utf-8?b?')));
linear('hunk header test on a 1 MB @@ line', () => isHunkHeader(`@@ -1,1 +1,1 ${repeat('@')}`) || isMalformedHunkHeader(`@@ -${repeat('-5,')} @@`));
linear('file markers with 1 MB names and timestamp-like tails', () => {
  const lines = ['--- ' + repeat(' 2024-01-02 03:04:05'), '+++ ' + repeat(' 2024-01-02'), '@@ -1 +1 @@', '-a', '+b'];
  return scanDiff(sliceInput(lines, 0, lines.length), 0, lines.length, { maxHunksPerFile: 10 });
});
linear('diff start search over a 1 MB line of "-"', () => findDiffStart([repeat('-'), repeat('+'), repeat('@')]));
linear('quoted diff: cut marks of 1 MB', () => {
  const texts = ['> --- a/x.c', '> +++ b/x.c', '> @@ -1 +1 @@', `> ${repeat('-')}`, `> [${repeat(' ')}`, `> ${repeat('.')}x`, `> <${repeat(' ')}`];
  return unquoteDiff(sliceInput(texts, 0, texts.length));
});
linear('mbox separators and headers on 1 MB lines', () => {
  const lines = [`From ${repeat('a ')}`, `Subject: ${repeat('x')}`, '', `From ${repeat(' ')}`, repeat('A-'), `>${repeat('>')}`];
  splitMbox(lines);
  isMboxSeparator(lines, 0);
  looksLikeMailHeaders(lines, 0);
  return readHeaders(lines, 0, lines.length);
});
linear('content type parameters of 1 MB', () => parseContentType(`multipart/mixed; boundary="${repeat('\\"')}; name=${repeat('a.patch.')}`));
linear('chunking an input of junk lines', () => mboxChunks(new TextEncoder().encode(repeat('From x\n')), 64 * 1024, 1024));
linear('chunk series test on a 1 MB subject of [1/', () => mboxChunks(new TextEncoder().encode(`From a Mon Sep 17 00:00:00 2001\nSubject: ${repeat('[1/')}\n\n`), 16, 8));
linear('format helpers: oneLine, escapeControls, formatProblem, URI', () => {
  oneLine(repeat(' \t'));
  escapeControls(repeat('\u001b[2J'));
  formatProblem({ path: repeat('a\n'), message: repeat('\u009b'), kind: 'skipped' });
  return toUriReference(repeat('a:/?#\\'));
});
linear('CLI path tests on 1 MB names', () => isCSourcePath(repeat('.c.h.x')) || isEscaping(repeat('a/../')));
linear('rule word test with an lvalue of 1 MB', () => mentionsWord(repeat('*ret'), `*ret${repeat('x', 1024)}`));
linear('plain diff paths with half a million differing leading directories (no recursion)', () =>
  parseInput('p.diff', `--- ${repeat('x/')}a.c\n+++ ${repeat('y/')}a.c\n@@ -1 +1 @@\n-a\n+b\n`));
linear('line splitting', () => splitInputLines(repeat('\r\n')));
linear('whole input: a mail whose Subject is [PATCH] and 1 MB of [', () => parseInput('brackets.patch', hostileCase('brackets.patch').make(MB) as string));
linear('views: struct-initializer heading over a line of 1 MB of escaped quotes', () => {
  const parsed = parseInput('quotes.patch', hostileCase('quotes.patch').make(MB) as string);
  const file = parsed.patches[0]?.files[0];
  assert.ok(file && file.hunks.length === 1, 'the hunk is read whole');
  return hunkViews(file);
});
linear('views: brace counting over 1 MB of /* and " runs', () => {
  const body = [`+\t${repeat('/*"\'')}`, ' };'];
  const text = ['--- a/x.c', '+++ b/x.c', `@@ -1,1 +1,${body.length} @@ static struct pci_driver x_driver = {`, ...body].join('\n');
  const parsed = parseInput('x.patch', text);
  return hunkViews(parsed.patches[0].files[0]);
});

test('the whole pipeline on the two ReDoS mails stays under 2 s of CPU', async () => {
  const analyzer = await getAnalyzer();
  for (const file of ['brackets.patch', 'quotes.patch']) {
    const content = hostileCase(file).make(MB);
    const ms = cpuMs(() => analyzer.analyze([{ path: file, content }], {}));
    assert.ok(ms < 2000, `${file}: ${ms.toFixed(0)} ms`);
  }
});

test('hunk headings are cut to git-like length, so heading regexes never see 1 MB', () => {
  const text = ['--- a/x.c', '+++ b/x.c', `@@ -1,1 +1,1 @@ static int f(${repeat('int a, ')}`, '-a', '+b', ''].join('\n');
  const heading = parseInput('x.patch', text).patches[0].files[0].hunks[0].heading;
  assert.ok(heading.length <= 200, `heading of ${heading.length} characters`);
});

test('mentionsWord: whole words, and lvalues that are not identifiers', () => {
  assert.equal(mentionsWord('return check(*ret) ? 0 : 0', '*ret'), true);
  assert.equal(mentionsWord('return *retval', '*ret'), false);
  assert.equal(mentionsWord('ret2 + ret', 'ret'), true);
  assert.equal(mentionsWord('ret2 + xret', 'ret'), false);
  assert.equal(mentionsWord('p->err', 'p->err'), true);
  assert.equal(mentionsWord('anything', ''), false);
});

test('a rule does not crash on an lvalue with a star (*ret = iommu_device_use_default_domain(dev))', async () => {
  const analyzer = await getAnalyzer();
  const r = analyzer.analyze([{ path: 'star.c', content: hostileCase('star-lvalue.c').make(1) }], {});
  assert.deepEqual(r.problems.filter((p) => /failed/.test(p.message)), []);
  assert.ok(r.findings.length >= 1, 'the file is still reviewed');
});
