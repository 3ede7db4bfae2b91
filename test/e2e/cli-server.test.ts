/**
 * `iommu-review --server` and the thin client: the same output and exit status as a command reviewing alone (files,
 * standard input, a relative path from another directory), a server only in a private socket directory, and the
 * client falling back to reviewing itself when no server answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const PATCH = 'examples/0002-vfio-zeta-add-a-VFIO-PCI-variant-driver-for-Zeta-off.patch';

function cli(args: string[], env: NodeJS.ProcessEnv, opts: { input?: string; cwd?: string } = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT, input: opts.input ?? '', encoding: 'utf8', env: { ...process.env, CI: 'true', ...env } });
  return { status: r.status, stdout: r.stdout.replace(/"ms": \d+/g, '"ms": 0'), stderr: r.stderr };
}

test('a running server answers exactly as the command alone would; it stops on SIGTERM and says how many it served', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-review-server-'));
  const socket = path.join(dir, 'run', 'server.sock');
  const env = { IOMMU_REVIEW_SOCKET: socket };
  const server = spawn(process.execPath, [CLI, '--server'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr.on('data', (c: Buffer) => (log += c.toString('utf8')));
  try {
    for (let i = 0; i < 200 && !/serving on/.test(log); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(log, /serving on /);
    assert.equal(fs.statSync(path.dirname(socket)).mode & 0o777, 0o700);
    const alone = { IOMMU_REVIEW_NO_SERVER: '1' };
    const cases: { args: string[]; input?: string; cwd?: string }[] = [
      { args: ['--format', 'json', PATCH] },
      { args: ['--no-trace', path.relative(path.join(ROOT, 'test'), path.join(ROOT, PATCH))], cwd: path.join(ROOT, 'test') },
      { args: ['--b4-check'], input: fs.readFileSync(path.join(ROOT, PATCH), 'utf8') },
      { args: ['no-such-file.patch'] },
    ];
    for (const c of cases) {
      assert.deepEqual(cli(c.args, env, c), cli(c.args, alone, c), c.args.join(' '));
    }
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    assert.match(log, new RegExp(`stopped after ${cases.length} reviews`));
    assert.ok(!fs.existsSync(socket), 'the socket is removed');
    // No server any more: the client reviews by itself.
    assert.equal(cli(['--format', 'json', PATCH], env).status, cli(['--format', 'json', PATCH], alone).status);
  } finally {
    server.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('no server in a socket directory others can enter', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-review-open-'));
  try {
    fs.chmodSync(dir, 0o755);
    const r = spawnSync(process.execPath, [CLI, '--server'], { env: { ...process.env, IOMMU_REVIEW_SOCKET: path.join(dir, 's.sock') }, encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /not a private directory/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
