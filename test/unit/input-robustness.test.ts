import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeBytes, parseInput } from '../../src/core/input';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

test('decodeBytes: UTF-8 BOM dropped, valid UTF-8 untouched', () => {
  const bytes = Uint8Array.from([0xef, 0xbb, 0xbf, ...enc('café\n')]);
  assert.deepEqual(decodeBytes(bytes), { text: 'café\n', problems: [] });
  assert.deepEqual(decodeBytes('\uFEFFabc'), { text: 'abc', problems: [] });
});

test('decodeBytes: latin1 input falls back to latin1', () => {
  // "José Müller" in ISO-8859-1
  const bytes = Uint8Array.from([...enc('Jos'), 0xe9, ...enc(' M'), 0xfc, ...enc('ller\n')]);
  const { text, problems } = decodeBytes(bytes);
  assert.equal(text, 'José Müller\n');
  assert.equal(problems.length, 1);
  assert.match(problems[0], /latin1/);
});

test('decodeBytes: UTF-8 with one stray byte keeps UTF-8 and marks the byte', () => {
  const bytes = Uint8Array.from([...enc('naïve ünïcödé '), 0xff, ...enc(' ok\n')]);
  const { text, problems } = decodeBytes(bytes);
  assert.equal(text, 'naïve ünïcödé \uFFFD ok\n');
  assert.match(problems[0], /1 invalid UTF-8/);
});

test('a latin1 patch still parses and its lines map right', () => {
  const diff =
    'From: Jos\xe9 <j@example.org>\nSubject: [PATCH] x\n\n---\n' +
    'diff --git a/f.c b/f.c\n--- a/f.c\n+++ b/f.c\n@@ -1 +1,2 @@\n int a;\n+/* Gr\xfc\xdfe */\n';
  const bytes = Uint8Array.from(Array.from(diff, (c) => c.charCodeAt(0)));
  const parsed = parseInput('l1.patch', bytes);
  assert.equal(parsed.patches[0].from, 'José <j@example.org>');
  const added = parsed.patches[0].files[0].hunks[0].lines[1];
  assert.deepEqual([added.text, added.inputLine, added.inputColumn], ['/* Grüße */', 10, 2]);
});

test('parseInput never throws on garbage', () => {
  let seed = 12345;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const pieces = [
    'diff --git a/x b/x\n', '--- a/x\n', '+++ b/x\n', '@@ -1,3 +1,4 @@\n', '@@ -0,0 +1 @@\n', '+x\n', '-y\n', ' z\n', '\n', '> ', '>>',
    'From git@z Thu Jan  1 00:00:00 1970\n', 'From: a\n', 'Subject: [PATCH 1/2] s\n', 'Content-Type: multipart/mixed; boundary=b\n',
    '--b\n', '--b--\n', 'Content-Transfer-Encoding: base64\n', 'Content-Transfer-Encoding: quoted-printable\n', '=?utf-8?b?w6k=?=\n',
    'GIT binary patch\n', 'Binary files a and b differ\n', 'diff --cc x\n', 'rename from\n', 'rename to \n', '"', '\\', '\r\n', '\u0000',
    '=\n', '=XX', 'new file mode 100644\n', 'deleted file mode 100644\n', '\\ No newline at end of file\n', '[...]\n', '-- \n',
  ];
  for (let round = 0; round < 400; round++) {
    let text = '';
    const count = 1 + Math.floor(random() * 30);
    for (let k = 0; k < count; k++) text += pieces[Math.floor(random() * pieces.length)];
    const bytes = Uint8Array.from(Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 256)));
    for (const input of [text, bytes, text + new TextDecoder().decode(bytes)]) {
      const parsed = parseInput(round % 2 ? 'g.c' : 'g.patch', input);
      assert.ok(Array.isArray(parsed.patches));
      assert.ok(Array.isArray(parsed.problems));
      for (const p of parsed.patches) for (const f of p.files) for (const h of f.hunks) for (const l of h.lines) {
        assert.ok(Number.isInteger(l.inputLine) && l.inputLine >= 1);
        assert.ok(Number.isInteger(l.inputColumn) && l.inputColumn >= 1);
      }
    }
  }
});

test('a ~5 MB mbox of many messages splits into every message, in order', () => {
  const messages: string[] = [];
  const total = 1000;
  for (let n = total; n >= 1; n--) {
    let diff = `diff --git a/drivers/x${n}.c b/drivers/x${n}.c\n--- a/drivers/x${n}.c\n+++ b/drivers/x${n}.c\n`;
    for (let h = 0; h < 20; h++) {
      diff += `@@ -${h * 40 + 1},6 +${h * 40 + 1},7 @@ static int f${h}(void)\n`;
      diff += ' \tint a = 0;\n \tint b = 1;\n-\tint c = 2;\n+\tint c = 3;\n+\tint d = 4;\n \tint e = 5;\n \tint f = 6;\n \treturn a + b + c + e + f;\n';
    }
    messages.push(
      `From git@z Thu Jan  1 00:00:00 1970\nFrom: Dev <dev@example.org>\nSubject: [PATCH v2 ${n}/${total}] x: change ${n}\n` +
        `Message-Id: <m${n}@example.org>\n\nBody of ${n}.\n${'Filler text for size. '.repeat(150)}\n---\n${diff}-- \n2.43.0\n\n`,
    );
  }
  const text = messages.join('');
  assert.ok(text.length > 4_000_000);
  const parsed = parseInput('big.mbox', text);
  assert.equal(parsed.kind, 'mbox');
  assert.equal(parsed.patches.length, total);
  assert.deepEqual(parsed.patches.slice(0, 3).map((p) => p.number), [1, 2, 3]);
  assert.ok(parsed.patches.every((p) => p.files.length === 1 && p.files[0].hunks.length === 20));
  assert.ok(parsed.patches.every((p) => p.files[0].hunks.every((h) => !h.truncated && h.lines.length === 8)));
  assert.deepEqual(parsed.problems, []);
  const last = parsed.patches[total - 1];
  assert.equal(last.inputLine, 1); // message N was written first
});

test('invariant: every hunk line text is found at its input line and column (plain, CRLF, mbox, quoted)', () => {
  const dir = path.join(__dirname, '../../../test/fixtures/input');
  const sources = ['plain.diff', 'format-patch.patch', 'series-out-of-order.mbox', 'quoted-reply.eml', 'truncated.diff', 'combined.diff']
    .map((name) => fs.readFileSync(path.join(dir, name), 'utf8'));
  // A reply quoting a whole diff with comments every few lines, and the same with CRLF.
  const quoted = sources[0].split('\n').map((l, k) => (k % 5 === 3 ? 'A comment.\n\n' : '') + (l === '' ? '>' : '> > ' + l)).join('\n');
  const inputs = [...sources, quoted, sources[0].replace(/\n/g, '\r\n'), quoted.replace(/\n/g, '\r\n')];
  let checked = 0;
  for (const text of inputs) {
    const parsed = parseInput('in.txt', text);
    const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
    for (const p of parsed.patches) for (const f of p.files) for (const h of f.hunks) for (const l of h.lines) {
      assert.equal(lines[l.inputLine - 1].slice(l.inputColumn - 1), l.text, `line ${l.inputLine}`);
      checked++;
    }
  }
  assert.ok(checked > 100);
});

test('deeply nested MIME is cut off with a problem, not a stack overflow', () => {
  let mail = 'From: a <a@example.org>\nSubject: nested\nContent-Type: multipart/mixed; boundary=b0\n\n';
  for (let depth = 1; depth <= 3000; depth++) mail += `--b${depth - 1}\nContent-Type: multipart/mixed; boundary=b${depth}\n\n`;
  mail += '--b3000\nContent-Type: text/plain\n\nhello\n';
  const parsed = parseInput('deep.eml', mail);
  assert.equal(parsed.kind, 'cover-letter');
  assert.equal(parsed.problems.length, 1);
  assert.match(parsed.problems[0].message, /nested more than 20 levels/);
});

test('empty input is skipped, not failed', () => {
  for (const input of ['', '\n\n', new Uint8Array(0)]) {
    const parsed = parseInput('empty.diff', input);
    assert.equal(parsed.kind, 'unknown');
    assert.deepEqual(parsed.problems.map((p) => p.kind), ['skipped']);
  }
});
