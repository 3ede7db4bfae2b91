/**
 * A patch reviewed next to the git repository it was made in: the pre-image comes from the blob on the diff's
 * `index` line (or base-commit), giving the whole-file verdict; without the repository, the hunk verdict.
 * Builds a real repository in a temp directory (git init, commit, format-patch).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const SRC = path.join(ROOT, 'test/fixtures/patch/src/wren.c');
const FILE = 'drivers/misc/wren.c';

interface Finding { code: string; severity: string; message: string; location: { line: number } }
interface Report {
  findings: Finding[];
  findingDetails: { context?: string; fixedBy?: string; partial?: string }[];
  stats: { reviewed: number; context?: { fullFile: number; tree: number; hunksOnly: number } };
  problems: { message: string }[];
}

function cli(args: string[], cwd: string): { status: number | null; report: Report; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, '--format', 'json', ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  return { status: r.status, report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.org', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });
}

/** A repository holding wren.c, a commit that deletes its flag (patch 1) and one that restores it (patch 2). */
function makeRepo(): { repo: string; patches: string[]; outside: string } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-review-git-'));
  const repo = path.join(base, 'linux');
  fs.mkdirSync(path.join(repo, path.dirname(FILE)), { recursive: true });
  git(base, 'init', '-q', repo);
  const original = fs.readFileSync(SRC, 'utf8');
  fs.writeFileSync(path.join(repo, FILE), original);
  git(repo, 'add', FILE);
  git(repo, 'commit', '-q', '-m', 'misc: wren: new driver');
  fs.writeFileSync(path.join(repo, FILE), original.replace(/^\t\.driver_managed_dma = true,\n/m, ''));
  git(repo, 'commit', '-q', '-a', '-m', 'misc: wren: drop the flag');
  fs.writeFileSync(path.join(repo, FILE), original);
  git(repo, 'commit', '-q', '-a', '-m', 'misc: wren: restore the flag');
  const out = path.join(base, 'out');
  git(repo, 'format-patch', '-q', '--base=HEAD~2', '-o', out, 'HEAD~2..HEAD');
  const patches = fs.readdirSync(out).sort().map((f) => path.join(out, f));
  const outside = path.join(base, 'elsewhere');
  fs.mkdirSync(outside);
  return { repo, patches, outside };
}

const fixture = makeRepo();

test('outside the tree with --repo: the whole-file verdict (error), context full file (blob <index pre>)', () => {
  const patch = fixture.patches[0];
  const pre = /^index ([0-9a-f]+)\.\./m.exec(fs.readFileSync(patch, 'utf8'))?.[1];
  assert.ok(pre);
  const r = cli(['--repo', fixture.repo, patch], fixture.outside);
  assert.equal(r.status, 1, r.stderr);
  assert.deepEqual(r.report.findings.map((f) => `${f.code}:${f.severity}`), ['OWN001:error']);
  assert.equal(r.report.findingDetails[0].context, `full file (blob ${pre.slice(0, 7)})`);
  assert.deepEqual(r.report.stats.context, { fullFile: 1, tree: 0, hunksOnly: 0 });
});

test('the same patch with no repository: the hunk verdict, info naming the unseen probe', () => {
  const r = cli([fixture.patches[0]], fixture.outside);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.report.findings.map((f) => `${f.code}:${f.severity}`), ['OWN001:info']);
  assert.equal(r.report.findingDetails[0].context, 'hunks only');
  assert.match(r.report.findingDetails[0].partial ?? '', /not shown/);
});

test('inside the repository the blobs are found without options; --no-tree opts out', () => {
  const inside = cli([fixture.patches[0]], path.join(fixture.repo, 'drivers'));
  assert.deepEqual(inside.report.findings.map((f) => `${f.code}:${f.severity}`), ['OWN001:error']);
  const optedOut = cli(['--no-tree', fixture.patches[0]], fixture.repo);
  assert.deepEqual(optedOut.report.findings.map((f) => `${f.code}:${f.severity}`), ['OWN001:info']);
});

test('the repository is looked up only when the review reads from it: a patch adding files runs no git, the same report', () => {
  // A `git` first on PATH that logs its arguments, then runs the real one.
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-review-gitlog-'));
  const log = path.join(bin, 'calls.log');
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  fs.writeFileSync(path.join(bin, 'git'), `#!/bin/sh\necho "$*" >> '${log}'\nexec '${realGit}' "$@"\n`, { mode: 0o755 });
  const logged = (args: string[], cwd: string) => {
    fs.rmSync(log, { force: true });
    const r = spawnSync(process.execPath, [CLI, '--format', 'json', ...args], {
      cwd, encoding: 'utf8', env: { ...process.env, CI: 'true', IOMMU_REVIEW_NO_SERVER: '1', PATH: `${bin}${path.delimiter}${process.env.PATH}` },
    });
    return { status: r.status, stdout: r.stdout.replace(/"ms": \d+/g, '"ms": 0'), calls: fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '' };
  };
  try {
    const added = path.join(ROOT, 'examples/0002-vfio-zeta-add-a-VFIO-PCI-variant-driver-for-Zeta-off.patch');
    const inRepo = logged([added], fixture.repo);
    assert.equal(inRepo.calls, '', 'no C file of the patch has a pre-image to read');
    assert.deepEqual(inRepo, logged(['--no-tree', added], fixture.repo));
    const modified = logged([fixture.patches[0]], fixture.repo);
    assert.match(modified.calls, /rev-parse --show-toplevel/);
    assert.deepEqual(JSON.parse(modified.stdout).findings.map((f: Finding) => `${f.code}:${f.severity}`), ['OWN001:error']);
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
});

test('a series applies patch by patch: the problem stays on patch 1, fixed by [PATCH 2/2]', () => {
  const r = cli(['--repo', fixture.repo, ...fixture.patches], fixture.outside);
  assert.deepEqual(r.report.findings.map((f) => `${f.code}:${f.severity}`), ['OWN001:error']);
  assert.match(r.report.findingDetails[0].fixedBy ?? '', /^\[PATCH 2\/2\]/);
  assert.match(r.report.findings[0].message, /fixed later in the series by \[PATCH 2\/2\]/);
  assert.deepEqual(r.report.stats.context, { fullFile: 2, tree: 0, hunksOnly: 0 });
});

test('a kernel tree as working directory (MAINTAINERS + drivers/iommu/) is used without --tree: context tree', () => {
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-review-ktree-'));
  fs.writeFileSync(path.join(tree, 'MAINTAINERS'), '');
  fs.mkdirSync(path.join(tree, 'drivers/iommu'), { recursive: true });
  fs.mkdirSync(path.join(tree, path.dirname(FILE)), { recursive: true });
  // A locally edited copy: the hunks apply but the blob id is not the patch's.
  fs.writeFileSync(path.join(tree, FILE), `/* local note */\n${fs.readFileSync(SRC, 'utf8')}`);
  const r = cli([fixture.patches[0]], tree);
  assert.deepEqual(r.report.findings.map((f) => `${f.code}:${f.severity}`), ['OWN001:error']);
  assert.equal(r.report.findingDetails[0].context, 'tree');
  const optedOut = cli(['--no-tree', fixture.patches[0]], tree);
  assert.equal(optedOut.report.findingDetails[0].context, 'hunks only');
});

test('series attribution: each problem on the patch and removed line that introduce it, with or without the repository', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-review-series-'));
  const repo = path.join(base, 'linux');
  fs.mkdirSync(path.join(repo, path.dirname(FILE)), { recursive: true });
  git(base, 'init', '-q', repo);
  let text = fs.readFileSync(SRC, 'utf8');
  fs.writeFileSync(path.join(repo, FILE), text);
  git(repo, 'add', FILE);
  git(repo, 'commit', '-q', '-m', 'misc: wren: new driver');
  text = text.replace(/^\t\.driver_managed_dma = true,\n/m, '');
  fs.writeFileSync(path.join(repo, FILE), text);
  git(repo, 'commit', '-q', '-a', '-m', 'misc: wren: drop the flag');
  text = text.replace(/^\tiommu_device_release_dma_owner\(&pdev->dev\);\n/m, '');
  fs.writeFileSync(path.join(repo, FILE), text);
  git(repo, 'commit', '-q', '-a', '-m', 'misc: wren: drop the release');
  const out = path.join(base, 'out');
  git(repo, 'format-patch', '-q', '-o', out, 'HEAD~2..HEAD');
  const patches = fs.readdirSync(out).sort().map((f) => path.join(out, f));
  for (const args of [['--repo', repo], ['--no-tree']]) {
    const r = cli([...args, ...patches], base);
    const got = r.report.findings.map((f) => {
      const line = fs.readFileSync(patches[f.code === 'OWN001' ? 0 : 1], 'utf8').split('\n')[f.location.line - 1];
      return `${f.code} ${line.replace(/\s+/g, '')}`;
    });
    assert.deepEqual(got.sort(), ['OWN001 -.driver_managed_dma=true,', 'OWN005 -iommu_device_release_dma_owner(&pdev->dev);'], `${args.join(' ')}: ${JSON.stringify(r.report.findings)}`);
  }
});
