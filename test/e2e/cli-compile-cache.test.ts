/**
 * The thin client compiles the whole CLI through a V8 code cache (src/cli/compile-cache.ts): the output is the same
 * with and without it, a second run uses the cache instead of writing it again, a broken cache is replaced, and a
 * cache directory others can write to is never used.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const PATCH = 'examples/0002-vfio-zeta-add-a-VFIO-PCI-variant-driver-for-Zeta-off.patch';

function cli(args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: 'true', IOMMU_REVIEW_NO_SERVER: '1', ...env },
  });
  return { status: r.status, stdout: r.stdout.replace(/"ms": \d+/g, '"ms": 0'), stderr: r.stderr };
}

const caches = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.cache')).sort() : []);

test('the code cache is written once, then used; the output is the same with and without it', () => {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-review-cc-')), 'cache');
  try {
    const without = cli(['--format', 'json', PATCH], { IOMMU_REVIEW_NO_COMPILE_CACHE: '1', IOMMU_REVIEW_CACHE_DIR: dir });
    assert.deepEqual(caches(dir), [], 'turned off: nothing written');
    const first = cli(['--format', 'json', PATCH], { IOMMU_REVIEW_CACHE_DIR: dir });
    assert.deepEqual(first, without);
    const written = caches(dir);
    assert.equal(written.length, 1);
    assert.match(written[0], /^cli-main-\d+-\d+-v[\d.]+-\w+-small\.cache$/);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700, 'the directory is private');
    assert.equal(fs.statSync(path.join(dir, written[0])).mode & 0o777, 0o600);
    const before = fs.readFileSync(path.join(dir, written[0]));
    const second = cli(['--format', 'json', PATCH], { IOMMU_REVIEW_CACHE_DIR: dir });
    assert.deepEqual(second, without);
    assert.ok(fs.readFileSync(path.join(dir, written[0])).equals(before), 'accepted by V8, so not written again');

    // A directory scan runs under other V8 flags: a cache of its own beside the small runs' one.
    const scan = cli(['--format', 'json', 'test/fixtures'], { IOMMU_REVIEW_CACHE_DIR: dir });
    assert.equal(scan.status === 0 || scan.status === 1, true, scan.stderr);
    assert.deepEqual(caches(dir).map((f) => f.replace(/^.*-/, '')), ['large.cache', 'small.cache']);
    // And is accepted by V8 on the next scan (the flags are set before the CLI is compiled): not written again.
    const large = path.join(dir, caches(dir).find((f) => f.endsWith('-large.cache')) as string);
    const made = fs.readFileSync(large);
    cli(['--format', 'json', 'test/fixtures'], { IOMMU_REVIEW_CACHE_DIR: dir });
    assert.ok(fs.readFileSync(large).equals(made), 'the large runs\' cache is accepted');
  } finally {
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  }
});

test('a broken cache is rejected and replaced; caches of other builds are removed; --version writes none', () => {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-review-cc-')), 'cache');
  try {
    const reference = cli(['--format', 'json', PATCH], { IOMMU_REVIEW_NO_COMPILE_CACHE: '1' });
    assert.equal(cli(['--version'], { IOMMU_REVIEW_CACHE_DIR: dir }).status, 0);
    assert.deepEqual(caches(dir), [], '--version compiles too little to be worth a cache');
    cli(['--format', 'json', PATCH], { IOMMU_REVIEW_CACHE_DIR: dir });
    const [name] = caches(dir);
    const file = path.join(dir, name);
    const junk = Buffer.alloc(fs.statSync(file).size, 0x5a);
    fs.writeFileSync(file, junk);
    const stale = path.join(dir, 'cli-main-1-2-v0.0.0-x64-small.cache');
    fs.writeFileSync(stale, 'old build', { mode: 0o600 });
    assert.deepEqual(cli(['--format', 'json', PATCH], { IOMMU_REVIEW_CACHE_DIR: dir }), reference);
    assert.ok(!fs.readFileSync(file).equals(junk), 'the junk was replaced');
    assert.ok(!fs.existsSync(stale), 'the other build\'s cache was removed');
    assert.deepEqual(cli(['--format', 'json', PATCH], { IOMMU_REVIEW_CACHE_DIR: dir }), reference);
  } finally {
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  }
});

test('a cache directory others can write to is neither read nor written', () => {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-review-cc-')), 'cache');
  try {
    fs.mkdirSync(dir);
    fs.chmodSync(dir, 0o777);
    const reference = cli(['--format', 'json', PATCH], { IOMMU_REVIEW_NO_COMPILE_CACHE: '1' });
    assert.deepEqual(cli(['--format', 'json', PATCH], { IOMMU_REVIEW_CACHE_DIR: dir }), reference);
    assert.deepEqual(caches(dir), []);
    // A file planted there under this build's name is left alone (a used directory would have it rejected and rewritten).
    const st = fs.statSync(path.join(ROOT, 'dist/cli-main.js'));
    const planted = path.join(dir, `cli-main-${st.size}-${Math.round(st.mtimeMs)}-${process.version}-${process.arch}-small.cache`);
    fs.writeFileSync(planted, 'planted');
    assert.deepEqual(cli(['--format', 'json', PATCH], { IOMMU_REVIEW_CACHE_DIR: dir }), reference);
    assert.equal(fs.readFileSync(planted, 'utf8'), 'planted');
  } finally {
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  }
});
