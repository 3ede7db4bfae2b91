/**
 * Issue 15 end to end: the bundled CLI on hostile input ends with 0/1/2 and complete output, lists what it did not
 * read, and prints no control character from the input. Small generated inputs (the full sizes: test/fuzz/hostile-run.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hostileCase } from '../fuzz/hostile';

const ROOT = path.join(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/cli.js');
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

function cli(args: string[], cwd: string, input?: string | Buffer, stdio?: 'closed'): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    input: stdio === 'closed' ? undefined : input ?? '',
    stdio: stdio === 'closed' ? ['ignore', 'pipe', 'pipe'] : undefined,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function withDir(fn: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-hostile-e2e-'));
  try {
    fn(dir);
  } finally {
    spawnSync('rm', ['-rf', dir]);
  }
}

test('a FIFO named on the command line is a problem at once, not a hang', { skip: process.platform === 'win32' }, () => {
  withDir((dir) => {
    spawnSync('mkfifo', [path.join(dir, 'x.patch')]);
    fs.writeFileSync(path.join(dir, 'ok.c'), 'int ok;\n');
    const r = cli(['--format', 'json', 'x.patch', 'ok.c'], dir);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /x\.patch: not read: a named pipe \(FIFO\)/);
    const report = JSON.parse(r.stdout);
    assert.equal(report.stats.inputs, 2, 'the other input is still in the report');
  });
});

test('a directory scan lists its FIFO and its link out of the directory, and reviews the rest', { skip: process.platform === 'win32' }, () => {
  withDir((dir) => {
    fs.mkdirSync(path.join(dir, 'scan'));
    spawnSync('mkfifo', [path.join(dir, 'scan', 'z.patch')]);
    fs.symlinkSync('/etc/passwd', path.join(dir, 'scan', 'passwd.patch'));
    fs.writeFileSync(path.join(dir, 'scan', 'ok.c'), 'int ok;\n');
    const r = cli(['--format', 'json', 'scan'], dir);
    assert.equal(r.status, 0, r.stderr);
    const problems = JSON.parse(r.stdout).problems.map((p: { path: string; message: string }) => `${p.path}: ${p.message}`).join('\n');
    assert.match(problems, /scan\/z\.patch: not read: a named pipe/);
    assert.match(problems, /scan\/passwd\.patch: refused to read: the symbolic link leads out/);
    assert.doesNotMatch(r.stdout, /root:/);
  });
});

test('--b4-review with a closed or empty standard input is exit 2, never a pass', () => {
  for (const stdio of ['closed', undefined] as const) {
    const r = cli(['--b4-review'], ROOT, '', stdio);
    assert.equal(r.status, 2, r.stdout);
    assert.doesNotMatch(r.stdout, /"pass"/);
    assert.match(r.stderr, /empty input/);
  }
});

test('--b4-review: an undecodable attachment makes the status warn, not pass', () => {
  const r = cli(['--b4-review'], ROOT, hostileCase('bad-base64.eml').make(1));
  const entry = JSON.parse(r.stdout)[0];
  assert.equal(entry.status, 'warn');
});

test('--b4-review: a message without any diff is warn (nothing reviewed), a patch without C files still a pass', () => {
  const note = ['From: A Sender <a@example.org>', 'Subject: [PATCH 0/2] a cover letter', '', 'Two patches follow.', ''].join('\n');
  const noDiff = JSON.parse(cli(['--b4-review'], ROOT, note).stdout)[0];
  assert.equal(noDiff.status, 'warn');
  assert.match(noDiff.summary, /nothing reviewed: no diff/);
  const docs = ['From: A Sender <a@example.org>', 'Subject: [PATCH] docs: a word', '', '---', 'diff --git a/README b/README', '--- a/README', '+++ b/README', '@@ -1 +1 @@', '-a', '+b', ''].join('\n');
  assert.equal(JSON.parse(cli(['--b4-review'], ROOT, docs).stdout)[0].status, 'pass');
});

test('text output: control characters of file names and code are escaped; one problem is one stderr line', () => {
  withDir((dir) => {
    fs.writeFileSync(path.join(dir, 'inject.patch'), hostileCase('inject.patch').make(1));
    // A file that yields a problem with the hostile name in it: the name heads a hunk past the line limit.
    const far = (hostileCase('inject.patch').make(1) as string).replace('@@ -0,0 +1,3 @@', '@@ -0,0 +2000001,3 @@');
    fs.writeFileSync(path.join(dir, 'far.patch'), far);
    for (const file of ['inject.patch', 'far.patch']) {
      const r = cli([file], dir);
      assert.doesNotMatch(r.stdout, CONTROL, file);
      assert.doesNotMatch(r.stderr, CONTROL, file);
      for (const line of r.stderr.split('\n').filter(Boolean)) assert.match(line, /^iommu-review: /, `forged line: ${line}`);
      if (file === 'far.patch') assert.match(r.stderr, /\\x1b\]0;owned\\x07\\x1b\[2Jevil\\niommu-review: forged/, 'the name is shown, escaped');
    }
  });
});

test('deep nesting gives the same report with one thread and with two', () => {
  withDir((dir) => {
    fs.mkdirSync(path.join(dir, 'scan'));
    fs.writeFileSync(path.join(dir, 'scan', 'nested-if.c'), hostileCase('nested-if.c').make(1250));
    fs.writeFileSync(path.join(dir, 'scan', 'else-if.c'), hostileCase('else-if.c').make(1900));
    fs.writeFileSync(path.join(dir, 'scan', 'and-chain.c'), hostileCase('and-chain.c').make(4100));
    const strip = (out: string) => {
      const j = JSON.parse(out);
      return { findings: j.findings, problems: j.problems, reviewed: j.stats.reviewed };
    };
    const one = cli(['--format', 'json', '--jobs', '1', 'scan'], dir);
    const two = cli(['--format', 'json', '--jobs', '2', 'scan'], dir);
    assert.deepEqual(strip(two.stdout), strip(one.stdout));
    assert.equal(strip(one.stdout).problems.length, 3);
  });
});
