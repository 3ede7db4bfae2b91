/** scripts/install-system-deps.sh: without root (and without sudo) it changes nothing and says in one line what to run. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const script = path.join(__dirname, '../../../scripts/install-system-deps.sh');

function stubs(dir: string, scripts: Record<string, string>): void {
  for (const [name, body] of Object.entries(scripts)) {
    fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  }
}

test('missing packages and no root: one line naming the apt-get command, exit 3, nothing installed', () => {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-review-deps-'));
  try {
    stubs(bin, { dpkg: 'case "$2" in chromium|python3-dkim) exit 1;; esac; exit 0', id: 'echo 1000', sudo: 'exit 1', 'apt-get': 'echo apt-get must not run >&2; exit 9' });
    const r = spawnSync('bash', [script], { env: { PATH: `${bin}:/usr/bin:/bin` }, encoding: 'utf8' });
    assert.equal(r.status, 3, r.stderr);
    assert.equal(r.stdout, '');
    assert.deepEqual(r.stderr.trim().split('\n'), ['install-system-deps: missing Debian packages; run: sudo apt-get install chromium python3-dkim']);
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
});

test('nothing missing: silent, exit 0', () => {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-review-deps-'));
  try {
    stubs(bin, { dpkg: 'exit 0', id: 'echo 1000', 'apt-get': 'exit 9' });
    const r = spawnSync('bash', [script], { env: { PATH: `${bin}:/usr/bin:/bin` }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(`${r.stdout}${r.stderr}`, '');
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
});

test('missing packages as root: apt-get installs exactly the missing ones', () => {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-review-deps-'));
  try {
    const log = path.join(bin, 'apt.log');
    stubs(bin, { dpkg: 'case "$2" in ripgrep|git-filter-repo) exit 1;; esac; exit 0', id: 'echo 0', 'apt-get': `echo "$@" >> ${log}` });
    const r = spawnSync('bash', [script], { env: { PATH: `${bin}:/usr/bin:/bin` }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'install-system-deps: installing ripgrep git-filter-repo (apt-get)');
    assert.deepEqual(fs.readFileSync(log, 'utf8').trim().split('\n'), ['update -qq', 'install -y -qq --no-install-recommends ripgrep git-filter-repo']);
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
});
