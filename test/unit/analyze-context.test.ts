/** Patch context: the pre-image from a git blob (index line, base-commit), the tree copy, or the hunks only. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getAnalyzer, FIXTURES } from '../helpers';
import { gitBlobId, blobMatches, sha1Hex } from '../../src/core/git-blob';

const PRE = fs.readFileSync(path.join(FIXTURES, 'patch/heron-main.c'), 'utf8');
const PATH = 'drivers/vfio/pci/heron/main.c';

/** A format-patch of PRE with the line matching `drop` deleted, as git writes it (index line with real blob ids). */
export function dropLinePatch(pre: string, drop: RegExp, file = PATH, base?: string): { patch: string; post: string } {
  const lines = pre.split('\n');
  const at = lines.findIndex((l) => drop.test(l));
  assert.ok(at >= 0);
  const post = [...lines.slice(0, at), ...lines.slice(at + 1)].join('\n');
  const from = Math.max(0, at - 3);
  const to = Math.min(lines.length - 1, at + 3); // last line index shown (the final '' after \n is not a line)
  const shown = lines.slice(from, to + 1).filter((_, k) => from + k < lines.length - 1);
  const body = shown.map((l, k) => (from + k === at ? `-${l}` : ` ${l}`));
  const hunk = `@@ -${from + 1},${shown.length} +${from + 1},${shown.length - 1} @@`;
  const patch = [
    'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001',
    'From: Test <test@example.org>',
    'Subject: [PATCH] test: drop a line',
    '',
    '---',
    `diff --git a/${file} b/${file}`,
    `index ${gitBlobId(pre).slice(0, 7)}..${gitBlobId(post).slice(0, 7)} 100644`,
    `--- a/${file}`,
    `+++ b/${file}`,
    hunk,
    ...body,
    '',
    ...(base ? [`base-commit: ${base}`, ''] : []),
    '-- ',
    '2.39.5',
    '',
  ].join('\n');
  return { patch, post };
}

test('git blob ids: sha1 of "blob <len>\\0" + content, as git hash-object', () => {
  assert.equal(sha1Hex(new TextEncoder().encode('abc')), 'a9993e364706816aba3e25717850c26c9cd0d89d');
  assert.equal(gitBlobId(''), 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
  assert.equal(gitBlobId('hello\n'), 'ce013625030ba8dba906f756967f9e9ca394464a');
  assert.ok(blobMatches('ce01362', 'hello\n'));
  assert.ok(!blobMatches('ce01362', 'hello'));
  assert.ok(!blobMatches('ce0', 'hello\n'), 'too short to name a blob');
});

test('context: the index line blob from the repository gives a whole-file review, said on the finding and summary', async () => {
  const a = await getAnalyzer();
  const { patch } = dropLinePatch(PRE, /driver_managed_dma = true/);
  const id = gitBlobId(PRE).slice(0, 7);
  const asked: string[] = [];
  const r = a.analyze([{ path: 'p.patch', content: patch }], {
    readBlob: (spec) => {
      asked.push(spec);
      return spec === id ? PRE : undefined;
    },
  });
  assert.deepEqual(asked, [id]);
  const f = r.findings.find((x) => x.code === 'OWN001');
  assert.ok(f, JSON.stringify(r.findings));
  assert.equal(f.severity, 'error');
  assert.equal(f.context, `full file (blob ${id})`);
  assert.deepEqual(r.stats.context, { fullFile: 1, tree: 0, hunksOnly: 0 });
});

test('context: base-commit + path when the blob id is unknown; the tree copy only names a blob when it matches', async () => {
  const a = await getAnalyzer();
  const base = 'abcdef0123456789abcdef0123456789abcdef01';
  const { patch, post } = dropLinePatch(PRE, /driver_managed_dma = true/, PATH, base);
  const viaBase = a.analyze([{ path: 'p.patch', content: patch }], { readBlob: (spec) => (spec === `${base}:${PATH}` ? PRE : undefined) });
  assert.equal(viaBase.findings.find((x) => x.code === 'OWN001')?.context, `full file (blob ${gitBlobId(PRE).slice(0, 7)})`);
  // The working file is the pre-image: named by its blob.
  const exact = a.analyze([{ path: 'p.patch', content: patch }], { readFile: (p) => (p === PATH ? PRE : undefined) });
  assert.equal(exact.findings.find((x) => x.code === 'OWN001')?.context, `full file (blob ${gitBlobId(PRE).slice(0, 7)})`);
  // Already applied in the working tree: the post-image's blob.
  const applied = a.analyze([{ path: 'p.patch', content: patch }], { readFile: (p) => (p === PATH ? post : undefined) });
  assert.equal(applied.findings.find((x) => x.code === 'OWN001')?.context, `full file (blob ${gitBlobId(post).slice(0, 7)})`);
  // Another version of the file where the hunk still applies: 'tree'.
  const other = a.analyze([{ path: 'p.patch', content: patch }], { readFile: (p) => (p === PATH ? `/* local change */\n${PRE}` : undefined) });
  assert.equal(other.findings.find((x) => x.code === 'OWN001')?.context, 'tree');
  const none = a.analyze([{ path: 'p.patch', content: patch }], {});
  assert.deepEqual(none.stats.context, { fullFile: 0, tree: 0, hunksOnly: 1 });
});
