/**
 * End-to-end: the `iommu-review` command as installed runs dist/cli.js itself; its first two lines are a /bin/sh
 * launcher (scripts/build.mjs) that starts node without NODE_EXTRA_CA_CERTS, with the V8 pool of one thread and each
 * isolate's garbage collected on its own thread.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/cli.js');

test('the launcher starts node with --v8-pool-size=1 --single-threaded-gc, without NODE_EXTRA_CA_CERTS, passing the arguments on', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-review-launcher-'));
  try {
    // A `node` first on PATH that records how it was started.
    const record = path.join(dir, 'started.txt');
    fs.writeFileSync(path.join(dir, 'node'), `#!/bin/sh\n{ printf '%s\\n' "$@"; echo "certs=\${NODE_EXTRA_CA_CERTS-unset}"; } > '${record}'\n`, { mode: 0o755 });
    const r = spawnSync('/bin/sh', [CLI, '--format', 'json', 'a b.patch'], {
      env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}`, NODE_EXTRA_CA_CERTS: '/nonexistent/bundle.pem' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(fs.readFileSync(record, 'utf8').trim().split('\n'), ['--v8-pool-size=1', '--single-threaded-gc', CLI, '--format', 'json', 'a b.patch', 'certs=unset']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('run as a command (its own interpreter line), the CLI reviews with the real node', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-review-launcher-'));
  try {
    const file = path.join(dir, 'plain.c');
    fs.writeFileSync(file, 'int plain;\n');
    const r = spawnSync(CLI, ['--format', 'json', file], {
      env: { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}` },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).stats.reviewed, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
