/** The CLI's pure argument parser and the --tree reader (no bundle needed). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ArgsError, parseArgs } from '../../src/cli/args';
import { createTreeReader, isEscaping } from '../../src/cli/tree';
import { expandPaths } from '../../src/cli/inputs';
import { createProgress, progressEnabled } from '../../src/cli/progress';

const RULE_NAMES: Record<string, string> = { OWN001: 'missing-driver-managed-dma', 'missing-driver-managed-dma': 'missing-driver-managed-dma' };
const resolve = (n: string) => RULE_NAMES[n] ?? RULE_NAMES[n.toUpperCase()];

test('defaults: text format, latest target, traces on', () => {
  const o = parseArgs(['a.patch'], resolve);
  assert.deepEqual(o.inputs, ['a.patch']);
  assert.equal(o.format, 'text');
  assert.equal(o.target, 'latest');
  assert.equal(o.traces, true);
  assert.equal(o.prefilter, true);
  assert.equal(parseArgs(['--no-prefilter', 'dir/'], resolve).prefilter, false);
});

test('values with = or as the next argument, short aliases, repeatable --rule resolved to names', () => {
  const o = parseArgs(['-f', 'json', '--target=6.2', '--rule', 'own001=off', '--rule=missing-driver-managed-dma=warning', '-j', '3', '-', 'dir/'], resolve);
  assert.equal(o.format, 'json');
  assert.equal(o.target, '6.2');
  assert.deepEqual(o.rules, { 'missing-driver-managed-dma': 'warning' });
  assert.equal(o.jobs, 3);
  assert.deepEqual(o.inputs, ['-', 'dir/']);
});

test('everything after -- is an input, even when it looks like an option', () => {
  assert.deepEqual(parseArgs(['--', '--weird.patch'], resolve).inputs, ['--weird.patch']);
});

test('unusable arguments are refused with a readable message', () => {
  const cases: [string[], RegExp][] = [
    [['--frobnicate'], /unknown option --frobnicate/],
    [['--format', 'xml'], /unknown format 'xml'/],
    [['--target', '4.19'], /unknown target '4\.19'/],
    [['--rule', 'OWN999=off'], /unknown rule 'OWN999'/],
    [['--rule', 'OWN001=loud'], /unknown level 'loud'/],
    [['--rule', 'OWN001'], /expects NAME=LEVEL/],
    [['--jobs', '0'], /--jobs expects/],
    [['--tree'], /needs a value/],
    [['--list-rules=yes'], /takes no value/],
    [['--b4-check', 'x.patch'], /takes no FILE/],
    [['--b4-check', '--b4-review'], /cannot be combined/],
    [['-', '-'], /only once/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => parseArgs(argv, resolve), (e: unknown) => e instanceof ArgsError && message.test(e.message), argv.join(' '));
  }
});

test('tree paths that climb, are absolute or empty are refused before any file access', () => {
  for (const p of ['../etc/passwd', 'a/../../b', '/etc/passwd', 'C:\\x', 'a\\..\\..\\b', '', 'a\0b']) assert.equal(isEscaping(p), true, p);
  for (const p of ['drivers/vfio/pci/foo/main.c', 'a..b/c', '.hidden/x.c']) assert.equal(isEscaping(p), false, p);
});

test('the tree reader reads inside the tree and refuses a symlink that leads out of it', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-review-tree-'));
  try {
    fs.mkdirSync(path.join(tmp, 'tree/drivers'), { recursive: true });
    fs.mkdirSync(path.join(tmp, 'outside'));
    fs.writeFileSync(path.join(tmp, 'tree/drivers/in.c'), 'int inside;\n');
    fs.writeFileSync(path.join(tmp, 'outside/secret.c'), 'int secret;\n');
    fs.symlinkSync(path.join(tmp, 'outside'), path.join(tmp, 'tree/drivers/link'));
    const reader = createTreeReader(path.join(tmp, 'tree'));
    assert.equal(reader.readFile('drivers/in.c'), 'int inside;\n');
    assert.equal(reader.readFile('drivers/missing.c'), undefined);
    assert.equal(reader.readFile('drivers/link/secret.c'), undefined);
    assert.equal(reader.readFile('../outside/secret.c'), undefined);
    assert.deepEqual(reader.refused.sort(), ['../outside/secret.c', 'drivers/link/secret.c']);
    assert.throws(() => createTreeReader(path.join(tmp, 'nope')), /no such directory/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('directories are searched for reviewable files, skipping node_modules and .git', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-review-dir-'));
  try {
    for (const f of ['b.patch', 'a.c', 'notes.txt', 'sub/c.mbx', 'node_modules/x.c', '.git/y.patch', 'sub/deep/d.h']) {
      fs.mkdirSync(path.dirname(path.join(tmp, f)), { recursive: true });
      fs.writeFileSync(path.join(tmp, f), 'x');
    }
    fs.mkdirSync(path.join(tmp, 'empty'));
    const expanded = expandPaths([tmp, path.join(tmp, 'notes.txt'), path.join(tmp, 'missing.patch'), path.join(tmp, 'empty')]);
    assert.deepEqual(
      expanded.files.map((f) => path.relative(tmp, f.path)),
      ['a.c', 'b.patch', 'sub/c.mbx', 'sub/deep/d.h', 'notes.txt'],
    );
    assert.deepEqual(expanded.problems.map((p) => [path.relative(tmp, p.path), p.kind]), [['missing.patch', 'failed'], ['empty', 'failed']]);
    assert.match(expanded.problems[0].message, /no such file/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('the progress bar draws only on a terminal outside CI, and clears itself', () => {
  const writes: string[] = [];
  const tty = { isTTY: true, columns: 60, write: (t: string) => writes.push(t) };
  assert.equal(progressEnabled(tty, {}), true);
  assert.equal(progressEnabled(tty, { CI: 'true' }), false);
  assert.equal(progressEnabled({ isTTY: false, write: () => true }, {}), false);
  const bar = createProgress(4, tty, true);
  bar.tick('a/very/long/path/to/some/driver/file/that/does/not/fit/in/the/line.c');
  bar.tick('b.c');
  bar.done();
  assert.equal(writes.length, 3);
  assert.match(writes[0], /^\r\x1b\[K\[#{6} {18}\] 1\/4 …/);
  assert.ok(writes[0].length - 4 <= 60, 'fits the terminal width');
  assert.match(writes[1], /\[#{12} {12}\] 2\/4 b\.c$/);
  assert.equal(writes[2], '\r\x1b[K');
  const silent: string[] = [];
  const off = createProgress(4, { isTTY: true, write: (t: string) => silent.push(t) }, false);
  off.tick('x');
  off.done();
  assert.deepEqual(silent, []);
});

test('the progress bar copes with a terminal that reports no width', () => {
  const writes: string[] = [];
  const bar = createProgress(2, { isTTY: true, columns: 0, write: (t: string) => writes.push(t) }, true);
  bar.tick('drivers/misc/x.c');
  assert.match(writes[0], /1\/2 drivers\/misc\/x\.c$/);
});
