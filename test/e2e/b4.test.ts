/**
 * b4 end to end: b4 (>= 0.14, the first release with per-patch check commands) runs `am --check` on an example series
 * in a scratch git repository whose config sets `b4.am-perpatch-check-cmd = iommu-review --b4-check`, and its report
 * must name iommu-review and the findings. b4 is found as $B4, as `b4` on PATH when it is new enough, or as the b4
 * 0.14.3 checkout in ../shared/tools beside the clone; without it (or without Debian's Python packages b4 needs) the
 * test is skipped with one line saying what is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const B4_DEPS = 'python3-requests python3-dkim python3-patatt git-filter-repo';

/** [command, ...leading args] of a b4 that has per-patch check commands, or why there is none. */
export function locateB4(env: NodeJS.ProcessEnv = process.env): { cmd: string[] } | { missing: string } {
  const candidates: string[][] = [];
  if (env.B4) candidates.push([env.B4]);
  for (const dir of [path.join(ROOT, '../shared/tools/b4-0.14.3'), '/work/shared/tools/b4-0.14.3']) {
    if (fs.existsSync(path.join(dir, 'b4.sh'))) candidates.push(['bash', path.join(dir, 'b4.sh')]);
  }
  candidates.push(['b4']);
  const tried: string[] = [];
  for (const c of candidates) {
    const r = spawnSync(c[0], [...c.slice(1), '--version'], { encoding: 'utf8', timeout: 30000 });
    const version = (r.stdout ?? '').trim();
    if (r.status !== 0) {
      // b4 is there but its Python modules are not: say which Debian packages bring them.
      if (/ModuleNotFoundError|No module named/.test(r.stderr ?? '')) return { missing: `b4's Python modules (apt-get install ${B4_DEPS})` };
      continue;
    }
    const [major, minor] = version.split('.').map(Number);
    if (major > 0 || minor >= 14) return { cmd: c };
    tried.push(`${c.join(' ')} is ${version}`);
  }
  return { missing: `b4 >= 0.14 (set B4=/path/to/b4.sh${tried.length ? `; ${tried.join(', ')}` : ''})` };
}

function git(cwd: string, ...args: string[]): void {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
}

/** The example series as one mbox; b4 0.14.3's check runner needs a Message-Id on every message. */
function exampleSeries(): string {
  const files = fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => /^000[1-9].*\.patch$/.test(f)).sort();
  return files
    .map((f, i) => {
      const headers = `Message-Id: <example-${i + 1}@iommu-review.invalid>\n${i > 0 ? 'In-Reply-To: <example-1@iommu-review.invalid>\n' : ''}`;
      const text = fs.readFileSync(path.join(ROOT, 'examples', f), 'utf8').replace(/\nDate: /, `\n${headers}Date: `);
      return text.endsWith('\n') ? text : `${text}\n`;
    })
    .join('\n');
}

test('b4 am --check runs iommu-review --b4-check on each patch and reports its findings', (t) => {
  const b4 = locateB4();
  if ('missing' in b4) {
    t.skip(`b4 end-to-end test skipped: missing ${b4.missing}`);
    return;
  }
  if (spawnSync('git', ['--version']).status !== 0) {
    t.skip('b4 end-to-end test skipped: missing git');
    return;
  }
  assert.ok(fs.existsSync(CLI), 'run npm run build first');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-review-b4-'));
  try {
    // The check command is looked up on PATH by name, as a user's `.b4-config` would have it.
    const bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(CLI, path.join(bin, 'iommu-review'));
    fs.chmodSync(CLI, 0o755);
    const repo = path.join(tmp, 'repo');
    fs.mkdirSync(repo);
    git(repo, 'init', '-q');
    git(repo, 'config', 'user.email', 'reviewer@example.org');
    git(repo, 'config', 'user.name', 'Reviewer');
    git(repo, 'commit', '-q', '--allow-empty', '-m', 'base');
    git(repo, 'config', 'b4.am-perpatch-check-cmd', 'iommu-review --b4-check');
    fs.writeFileSync(path.join(repo, 'series.mbx'), exampleSeries());

    const r = spawnSync(b4.cmd[0], [...b4.cmd.slice(1), '--offline-mode', 'am', '--check', '-m', 'series.mbx', '-o', path.join(tmp, 'out')], {
      cwd: repo,
      encoding: 'utf8',
      timeout: 180000,
      env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, HOME: tmp, XDG_CACHE_HOME: path.join(tmp, 'cache') },
    });
    const report = `${r.stdout}\n${r.stderr}`;
    assert.equal(r.status, 0, report);
    // Plain text: b4 colours its bullets.
    const plain = report.replace(/\x1b\[[0-9;]*m/g, '');
    assert.match(plain, /\[PATCH 1\/3\][^\n]*\n\s*● iommu-review: passed all checks/);
    assert.match(plain, /\[PATCH 2\/3\][^\n]*\n\s*● iommu-review: \d+: ERROR: OWN001 missing-driver-managed-dma: zeta_vfio_pci_driver /);
    assert.match(plain, /\[PATCH 3\/3\][^\n]*\n\s*● iommu-review: \d+: ERROR: OWN005 unbalanced-dma-owner-claim: acme_npu_driver/);
    assert.doesNotMatch(plain, /● node:/, 'the check is named after the command on PATH');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
