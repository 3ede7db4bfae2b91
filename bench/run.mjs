#!/usr/bin/env node
// `npm run bench`: times the workloads of issue 6 next to their parse limit, prints a table, writes bench/results.json.
// Options: --runs N (repeats of the quick workloads, default 15), --tree-runs N (W4/W5 repeats, default 3),
//          --files N (synthetic W4 tree size, default 5000), --tree DIR (scan a real tree instead),
//          --kernel DIR (an unpacked kernel source: checkpatch for W1, its drivers/ for W5; else an unpacked
//          /usr/src/linux-source-* or /work/kernel/linux-source-* is looked for), --cocci FILE (the Coccinelle rule
//          W5 runs; default ../shared/peers/iommu_dma_owner.cocci), --only W1,W2,... (a subset), --w2-warmup N (runs
//          of the analysis before W2 times it, default 50: W2 is a warm process).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as gen from './generate.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const work = path.join(here, 'work');
const require = createRequire(import.meta.url);

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const RUNS = Number(option('runs', '15'));
const TREE_RUNS = Number(option('tree-runs', '3'));
const TREE_FILES = Number(option('files', '5000'));
const ONLY = option('only', 'W1,W2,W3,W4,W5').split(',');
/** W2 measures a warm process: runs of the analysis before timing, so V8 has optimised it (see W2). */
const W2_WARMUP = Number(option('w2-warmup', '50'));
const REAL_TREE = option('tree', undefined);

// ───────────────────────────── statistics ─────────────────────────────

function summary(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
  return { runs: s.length, median: at(0.5), p25: at(0.25), p75: at(0.75), min: s[0], max: s[s.length - 1] };
}

const fmtMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : ms >= 10 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`);
const spread = (st) => `${fmtMs(st.p25)}–${fmtMs(st.p75)}`;

// ───────────────────────────── preparation ─────────────────────────────

function prepare() {
  fs.mkdirSync(work, { recursive: true });
  if (!fs.existsSync(path.join(root, 'dist', 'cli.js'))) {
    console.error('bench: dist/cli.js missing, running npm run build');
    spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  }
  // The in-process workloads run the same sources as dist/, bundled the same way.
  const esbuild = path.join(root, 'node_modules', '.bin', 'esbuild');
  const built = spawnSync(
    esbuild,
    [path.join(here, 'entry.ts'), '--bundle', '--platform=node', '--format=cjs', '--target=node20', `--outfile=${path.join(work, 'core.cjs')}`,
      '--log-level=warning', `--alias:web-tree-sitter=${path.join(root, 'node_modules/web-tree-sitter/tree-sitter.cjs')}`],
    { cwd: root, stdio: 'inherit' },
  );
  if (built.status !== 0) throw new Error('bench: could not bundle bench/entry.ts');
  fs.copyFileSync(path.join(root, 'node_modules/web-tree-sitter/tree-sitter.wasm'), path.join(work, 'tree-sitter.wasm'));
  fs.copyFileSync(path.join(root, 'node_modules/tree-sitter-c/tree-sitter-c.wasm'), path.join(work, 'tree-sitter-c.wasm'));
  const files = { w1: path.join(work, 'w1-small.patch'), w2: path.join(work, 'w2-large.patch'), w3: path.join(work, 'w3-series.mbox') };
  fs.writeFileSync(files.w1, gen.smallPatch());
  fs.writeFileSync(files.w2, gen.largePatch());
  fs.writeFileSync(files.w3, gen.seriesMbox(14));
  return files;
}

/** The synthetic W4 tree (regenerated only when its size changes). */
function syntheticTree(count) {
  const dir = path.join(work, 'tree');
  const stamp = path.join(work, 'tree.count');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === String(count)) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  for (let i = 0; i < count; i++) {
    const f = gen.treeFile(i);
    const target = path.join(dir, f.path.replace(/\.c$/, `-${i}.c`));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, f.text);
  }
  fs.writeFileSync(stamp, String(count));
  return dir;
}

function listC(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory() && e.name !== '.git' && e.name !== 'node_modules') listC(full, out);
    else if (e.isFile() && /\.[ch]$/.test(e.name)) out.push(full);
  }
  return out;
}

// ───────────────────────────── processes ─────────────────────────────

/**
 * The CLI's V8 code cache (src/cli/compile-cache.ts) lives in the bench's own directory: a user's second and later
 * runs find one; W1 times those (after one run that writes it) and the first run apart.
 */
const compileCacheDir = path.join(work, 'compile-cache');
const coldEnv = { IOMMU_REVIEW_NO_SERVER: '1', IOMMU_REVIEW_CACHE_DIR: compileCacheDir };

/** Runs node with args; returns wall ms, peak RSS (KB) and child CPU ms (from a preloaded hook). */
function timeNode(args, env = coldEnv) {
  const rssFile = path.join(work, `rss-${process.pid}.txt`);
  fs.rmSync(rssFile, { force: true });
  const started = performance.now();
  const r = spawnSync(process.execPath, ['-r', path.join(here, 'rss-hook.cjs'), ...args], {
    cwd: root,
    env: { ...process.env, ...env, BENCH_RSS_FILE: rssFile },
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const wall = performance.now() - started;
  if (r.status !== 0 && r.status !== 1) throw new Error(`bench: node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const [rss, cpu] = fs.existsSync(rssFile) ? fs.readFileSync(rssFile, 'utf8').trim().split(/\s+/).map(Number) : [NaN, NaN];
  return { wall, rssKB: rss, cpuMs: cpu };
}

/** Wall, CPU (user + system, children included) and peak RSS of any command, through /usr/bin/time when present. */
function timeCommand(cmd, args, cwd, env = process.env) {
  const out = path.join(work, `time-${process.pid}.txt`);
  fs.rmSync(out, { force: true });
  const viaTime = fs.existsSync('/usr/bin/time');
  const started = performance.now();
  const r = viaTime
    ? spawnSync('/usr/bin/time', ['-f', '%U %S %M', '-o', out, cmd, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 })
    : spawnSync(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
  const wall = performance.now() - started;
  const [user, sys, rss] = viaTime && fs.existsSync(out) ? fs.readFileSync(out, 'utf8').trim().split('\n').pop().split(/\s+/).map(Number) : [NaN, NaN, NaN];
  return { wall, cpuMs: (user + sys) * 1000, rssKB: rss, status: r.status, stdout: r.stdout?.toString('utf8') ?? '' };
}

/** Runs `a` and `b` alternately (a, b, a, b, …) so both see the same machine load; summaries of each. */
function alternate(runs, a, b) {
  const sa = [];
  const sb = [];
  for (let i = 0; i < runs; i++) {
    sa.push(a());
    sb.push(b());
  }
  const sum = (s) => ({ wall: summary(s.map((x) => x.wall)), cpu: summary(s.map((x) => x.cpuMs)), peakRssMB: Math.max(...s.map((x) => x.rssKB)) / 1024, last: s[s.length - 1] });
  return [sum(sa), sum(sb)];
}

/** One cold CLI run timed like timeCommand (the rss hook gives CPU of all threads and peak RSS). */
function timeNodeCli(args, env) {
  const r = timeNode(args, env);
  return { wall: r.wall, cpuMs: r.cpuMs, rssKB: r.rssKB };
}

/** The node options the `iommu-review` command starts node with (the launcher line of dist/cli.js, scripts/build.mjs). */
function launcherNodeOptions() {
  const head = fs.readFileSync(path.join(root, 'dist', 'cli.js'), 'utf8').split('\n', 2)[1] ?? '';
  const m = /exec env(?: -u \S+)* node((?: --?[\w-]+(?:=\S+)?)*) "\$0"/.exec(head);
  return m ? m[1].trim().split(/\s+/).filter(Boolean) : [];
}

function repeatNode(args, runs) {
  return repeatNodeEnv(args, runs, coldEnv);
}

function repeatNodeEnv(args, runs, env) {
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(timeNode(args, env));
  return {
    wall: summary(samples.map((s) => s.wall)),
    cpu: summary(samples.map((s) => s.cpuMs)),
    peakRssMB: Math.max(...samples.map((s) => s.rssKB)) / 1024,
  };
}

/** Wall and CPU time of fn over `runs` calls after `warmup` calls (CPU time stays meaningful on a loaded machine). */
function repeatInProcess(fn, runs, warmup = 3) {
  for (let i = 0; i < warmup; i++) fn();
  const wall = [];
  const cpu = [];
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    fn();
    wall.push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wall: summary(wall), cpu: summary(cpu) };
}

// ───────────────────────────── review server ─────────────────────────────

const serverEnv = { IOMMU_REVIEW_SOCKET: path.join(work, 'server', 'server.sock') };

/** Runs fn while `dist/cli.js --server` listens on a socket of its own; undefined when the server did not start. */
async function withServer(fn) {
  const { spawn } = await import('node:child_process');
  fs.rmSync(path.dirname(serverEnv.IOMMU_REVIEW_SOCKET), { recursive: true, force: true });
  const server = spawn(process.execPath, [path.join(root, 'dist', 'cli.js'), '--server'], { cwd: root, env: { ...process.env, ...serverEnv }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr.on('data', (c) => (log += c));
  try {
    for (let i = 0; i < 600 && !/serving on/.test(log); i++) await new Promise((r) => setTimeout(r, 50));
    if (!/serving on/.test(log)) return undefined;
    // A few requests first: the server's JIT warms up as it would in an editor session.
    for (let i = 0; i < 5; i++) timeNode([path.join(root, 'dist', 'cli.js'), '--format', 'json', path.join(work, 'w1-small.patch')], serverEnv);
    return fn();
  } finally {
    server.kill('SIGTERM');
  }
}

// ───────────────────────────── checkpatch ─────────────────────────────

/** Kernel sources to compare against: --kernel DIR, else linux-source-* under /usr/src (Debian) or /work/kernel. */
function kernelCandidates() {
  const given = option('kernel', undefined);
  if (given) return [path.resolve(given)];
  const out = [];
  for (const dir of ['/usr/src', '/work/kernel']) {
    if (!fs.existsSync(dir)) continue;
    for (const e of fs.readdirSync(dir).sort().reverse()) if (e.startsWith('linux-source-')) out.push(path.join(dir, e));
  }
  return out;
}

/** An unpacked kernel source (checkpatch and drivers/ both there), for W5. */
function findKernelTree() {
  return kernelCandidates().find((c) => fs.existsSync(path.join(c, 'scripts', 'checkpatch.pl')) && fs.existsSync(path.join(c, 'drivers')));
}

function findCheckpatch() {
  const candidates = kernelCandidates();
  for (const c of candidates) {
    if (fs.existsSync(path.join(c, 'scripts', 'checkpatch.pl'))) return path.join(c, 'scripts', 'checkpatch.pl');
    // Debian ships linux-source as a tarball: extract only what checkpatch reads.
    const tarball = fs.existsSync(c) && fs.statSync(c).isDirectory() ? fs.readdirSync(c).find((f) => /^linux-source-.*\.tar\.(xz|bz2|gz)$/.test(f)) : undefined;
    const archive = tarball ? path.join(c, tarball) : /\.tar\.(xz|bz2|gz)$/.test(c) ? c : undefined;
    if (archive) {
      const top = path.basename(archive).replace(/\.tar\.\w+$/, '');
      const out = path.join(work, 'checkpatch');
      fs.mkdirSync(out, { recursive: true });
      const members = ['scripts/checkpatch.pl', 'scripts/spelling.txt', 'scripts/const_structs.checkpatch'].map((m) => `${top}/${m}`);
      spawnSync('tar', ['-xf', archive, '-C', out, ...members], { stdio: 'ignore' });
      const script = path.join(out, top, 'scripts', 'checkpatch.pl');
      if (fs.existsSync(script)) return script;
    }
  }
  return undefined;
}

function timeCheckpatch(script, patch, runs) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    spawnSync('perl', [script, '--no-tree', '-q', patch], { stdio: 'ignore' });
    samples.push(performance.now() - t);
  }
  return summary(samples);
}

// ───────────────────────────── workloads ─────────────────────────────

async function main() {
  const files = prepare();
  const core = require(path.join(work, 'core.cjs'));
  const bare = require('./bare-parse.cjs');
  const analyzer = await core.createNodeAnalyzer();
  const parser = await bare.createParser();
  const cli = path.join(root, 'dist', 'cli.js');
  const rows = [];
  const results = {
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() },
    date: new Date().toISOString(),
    workloads: {},
  };
  const text = (f) => fs.readFileSync(f, 'utf8');
  const analyzeFile = (f) => () => analyzer.analyze([{ path: f, content: fs.readFileSync(f) }], { target: 'latest' });

  const nodeFloor = repeatNode(['-e', '0'], Math.min(RUNS, 10));
  results.nodeStartup = nodeFloor;
  // NODE_EXTRA_CA_CERTS makes every node process parse that certificate bundle before any script runs (OpenSSL,
  // ~30 ms CPU for this sandbox's 144 certificates). The CLI makes no TLS connection; W1 is timed with it as set
  // here and without it, as on a machine that does not set it.
  const extraCerts = process.env.NODE_EXTRA_CA_CERTS;
  const noCertsEnv = { ...coldEnv, NODE_EXTRA_CA_CERTS: undefined };
  const nodeFloorNoCerts = extraCerts ? repeatNodeEnv(['-e', '0'], Math.min(RUNS, 10), noCertsEnv) : undefined;
  if (nodeFloorNoCerts) results.nodeStartupWithoutExtraCaCerts = nodeFloorNoCerts;

  /** A table row: `time` and `limit` are {wall, cpu} summaries; `goalMs` is judged on the wall median. */
  const row = (name, time, limit, limitWhat, goal, goalMs, notes = '') => {
    const metWall = goalMs === undefined ? undefined : time.wall.median < goalMs;
    const metCpu = goalMs === undefined ? undefined : time.cpu.median < goalMs;
    rows.push({ name, time, limit, limitWhat, goal, met: metWall === undefined ? '' : metWall ? 'yes' : metCpu ? 'cpu only' : 'NO', notes });
  };

  if (ONLY.includes('W1')) {
    const checkpatch = findCheckpatch();
    const load = os.loadavg()[0];
    fs.rmSync(compileCacheDir, { recursive: true, force: true });
    const firstEver = timeNodeCli([cli, '--format', 'json', files.w1]); // writes the code cache
    const ours = () => timeNodeCli([cli, '--format', 'json', files.w1]);
    // checkpatch and the CLI alternate, so both see the same load.
    const [cold, cp] = checkpatch
      ? alternate(RUNS, ours, () => timeCommand('perl', [checkpatch, '--no-tree', '-q', files.w1], root))
      : [repeatNode([cli, '--format', 'json', files.w1], RUNS), undefined];
    const limit = repeatNode([path.join(here, 'bare-parse.cjs'), files.w1], RUNS);
    // The same without the code cache (a first run, or IOMMU_REVIEW_NO_COMPILE_CACHE=1), alternated with the cached one.
    const [cached2, uncached] = alternate(Math.max(3, Math.round(RUNS / 2)), ours, () => timeNodeCli([cli, '--format', 'json', files.w1], { ...coldEnv, IOMMU_REVIEW_NO_COMPILE_CACHE: '1' }));
    results.workloads.W1 = {
      what: 'cold CLI process, one ~100-line patch', loadAverageAtStart: load, cold, limitColdBareParse: limit, checkpatch: cp ?? 'no kernel tree or linux-source found',
      firstRunWritingTheCodeCache: firstEver, withoutCodeCache: uncached, withCodeCacheAlternatedWithout: cached2,
    };
    const vsCheckpatch = cp
      ? `checkpatch --no-tree ${fmtMs(cp.wall.median)} wall / ${fmtMs(cp.cpu.median)} CPU (alternated): ${(cp.wall.median / cold.wall.median).toFixed(1)}× / ${(cp.cpu.median / cold.cpu.median).toFixed(1)}× faster`
      : 'checkpatch: no kernel tree or linux-source here';
    row('W1 cold CLI, 124-line patch', cold, limit, 'cold node + bare parse', '≥ 2× faster than checkpatch', undefined,
      `${vsCheckpatch}; RSS ${cold.peakRssMB.toFixed(0)} MB; without the code cache ${fmtMs(uncached.wall.median)} / ${fmtMs(uncached.cpu.median)} CPU ` +
      `(cached, alternated: ${fmtMs(cached2.wall.median)} / ${fmtMs(cached2.cpu.median)}); load ${load.toFixed(1)}`);
    if (cp) rows[rows.length - 1].met = cp.wall.median / cold.wall.median >= 2 ? 'yes' : cp.cpu.median / cold.cpu.median >= 2 ? 'cpu only' : 'NO';
    // What a user runs: the `iommu-review` command itself (dist/cli.js started by its sh launcher line, which drops
    // NODE_EXTRA_CA_CERTS), with the environment as set here; /usr/bin/time counts sh, env and node.
    if (checkpatch) {
      const load4 = os.loadavg()[0];
      // The same environment as the other rows (no server lookup, the bench's code cache), NODE_EXTRA_CA_CERTS as set.
      const [asRunSummary, cp4Summary] = alternate(RUNS, () => timeCommand(cli, ['--format', 'json', files.w1], root, { ...process.env, ...coldEnv }),
        () => timeCommand('perl', [checkpatch, '--no-tree', '-q', files.w1], root));
      results.workloads.W1.asInstalledCommand = { cold: asRunSummary, checkpatch: cp4Summary, loadAverageAtStart: load4 };
      row('W1 same, run as the `iommu-review` command', asRunSummary, limit, 'cold node + bare parse', '≥ 2× faster than checkpatch', undefined,
        `checkpatch --no-tree ${fmtMs(cp4Summary.wall.median)} wall / ${fmtMs(cp4Summary.cpu.median)} CPU (alternated): ` +
        `${(cp4Summary.wall.median / asRunSummary.wall.median).toFixed(1)}× / ${(cp4Summary.cpu.median / asRunSummary.cpu.median).toFixed(1)}× faster; load ${load4.toFixed(1)}`);
      rows[rows.length - 1].met = cp4Summary.wall.median / asRunSummary.wall.median >= 2 ? 'yes' : cp4Summary.cpu.median / asRunSummary.cpu.median >= 2 ? 'cpu only' : 'NO';
    }
    if (extraCerts && checkpatch) {
      const load2 = os.loadavg()[0];
      const [clean, cp3] = alternate(RUNS, () => timeNodeCli([cli, '--format', 'json', files.w1], noCertsEnv),
        () => timeCommand('perl', [checkpatch, '--no-tree', '-q', files.w1], root));
      results.workloads.W1.withoutNodeExtraCaCerts = { cold: clean, checkpatch: cp3, loadAverageAtStart: load2 };
      row('W1 same, NODE_EXTRA_CA_CERTS unset', clean, limit, 'cold node + bare parse', '≥ 2× faster than checkpatch', undefined,
        `checkpatch --no-tree ${fmtMs(cp3.wall.median)} wall / ${fmtMs(cp3.cpu.median)} CPU (alternated): ` +
        `${(cp3.wall.median / clean.wall.median).toFixed(1)}× / ${(cp3.cpu.median / clean.cpu.median).toFixed(1)}× faster; ` +
        `\`node -e 0\` ${fmtMs(nodeFloorNoCerts.cpu.median)} CPU without it, ${fmtMs(nodeFloor.cpu.median)} with it; load ${load2.toFixed(1)}`);
      rows[rows.length - 1].met = cp3.wall.median / clean.wall.median >= 2 ? 'yes' : cp3.cpu.median / clean.cpu.median >= 2 ? 'cpu only' : 'NO';
    }
    // The same command handed to a running `iommu-review --server` (b4 hooks, editors): the client's own cost, run as
    // the command is (its launcher drops NODE_EXTRA_CA_CERTS; `node dist/cli.js` here would pay node's parse of it).
    const served = await withServer(() => alternate(RUNS, () => timeCommand(cli, ['--format', 'json', files.w1], root, { ...process.env, ...serverEnv }),
      () => (checkpatch ? timeCommand('perl', [checkpatch, '--no-tree', '-q', files.w1], root) : { wall: NaN, cpuMs: NaN, rssKB: NaN })));
    if (served) {
      const [client, cp2] = served;
      results.workloads.W1.withServer = { client, checkpatch: checkpatch ? cp2 : undefined };
      row('W1 same command, with iommu-review --server running', client, limit, 'cold node + bare parse', '≥ 2× faster than checkpatch', undefined,
        checkpatch ? `checkpatch ${fmtMs(cp2.wall.median)} wall (alternated): ${(cp2.wall.median / client.wall.median).toFixed(1)}× faster in wall time; CPU is the client's only` : '');
      if (checkpatch) rows[rows.length - 1].met = cp2.wall.median / client.wall.median >= 2 ? 'yes' : 'NO';
    }
  }

  if (ONLY.includes('W2')) {
    const load = os.loadavg()[0];
    const w2 = text(files.w2);
    const w2Lines = w2.split('\n');
    const editAt = w2Lines.findLastIndex((l) => /^\+[^+].*;$/.test(l));
    let revision = 0;
    // First analysis of new content: the facts memo is emptied before every run, and one added line carries a new
    // comment each run, so the per-file review memo (keyed by the patch's content) cannot answer either.
    // "Warm" is a process that has reviewed before (an editor session, the review server): V8 has optimised the
    // analysis by then. After 3 runs it has not (measured: median 69 ms CPU after 3 warm-up runs, 39 ms after 50,
    // same build, same minute), so W2 warms up for W2_WARMUP runs and the first runs are reported apart.
    const coldRuns = [];
    let coldLeft = 5;
    /** A first analysis of `patchLines` with the line at editAt carrying a new comment, the facts memo emptied. */
    const firstRunOf = (patchLines) => () => {
      core.clearFactsCache();
      const lines = [...patchLines];
      lines[editAt] = `${lines[editAt]} /* new ${++revision} */`;
      analyzer.analyze([{ path: files.w2, content: lines.join('\n') }], { target: 'latest' });
    };
    const firstRun = firstRunOf(w2Lines);
    while (coldLeft-- > 0) {
      const c = process.cpuUsage();
      firstRun();
      const used = process.cpuUsage(c);
      coldRuns.push((used.user + used.system) / 1000);
    }
    const first = repeatInProcess(firstRun, RUNS * 2, W2_WARMUP);
    // The same patch with the modified files' hunks naming the IOMMU (their register names renamed): W2's hunks name
    // nothing the facts record, so their views are not parsed (relevance.ts VIEW_OF_INTEREST); here all seven are.
    const modifiedAt = w2.indexOf('\ndiff --git', w2.indexOf('diff --git') + 1);
    const ofInterestLines = (w2.slice(0, modifiedAt) + w2.slice(modifiedAt).replace(/dma_addr/g, 'iommu_addr')).split('\n');
    const ofInterest = repeatInProcess(firstRunOf(ofInterestLines), RUNS * 2, W2_WARMUP);
    // The editor's case: the same patch again with one added line edited (a new comment each run), so only the
    // edited file's post-image is new text.
    const reanalyze = () => {
      const lines = [...w2Lines];
      lines[editAt] = `${lines[editAt]} /* edit ${++revision} */`;
      analyzer.analyze([{ path: files.w2, content: lines.join('\n') }], { target: 'latest' });
    };
    const edit = repeatInProcess(reanalyze, RUNS * 2, W2_WARMUP);
    // What is left of the first analysis when no C view is parsed: the same text, but the last file's blob ids change
    // each run, so the review memo (keyed by the whole diff) misses while every view's facts come from the facts memo:
    // reading the patch, views, rules and replay, findings and verdicts. With the bare parse, the floor of the row above.
    const indexAt = w2Lines.findLastIndex((l) => /^index [0-9a-f]+\.\.[0-9a-f]+/.test(l));
    const factsMemoised = () => {
      const lines = [...w2Lines];
      lines[indexAt] = lines[indexAt].replace(/^index [0-9a-f]+/, `index ${(0x1000000 + ++revision).toString(16)}`);
      analyzer.analyze([{ path: files.w2, content: lines.join('\n') }], { target: 'latest' });
    };
    const memoised = repeatInProcess(factsMemoised, RUNS * 2, W2_WARMUP);
    const limit = repeatInProcess(() => bare.parsePatch(parser, w2), RUNS * 2);
    const diffOnly = repeatInProcess(() => bare.parseDiff(w2), RUNS * 2);
    results.workloads.W2 = { what: 'warm analyze(), 2,000-line patch', warm: first, hunksOfInterest: ofInterest, afterOneLineEdit: edit, cFactsMemoised: memoised, limitParse: limit, parseDiffOnly: diffOnly, firstRunsCpuMs: coldRuns, warmupRuns: W2_WARMUP };
    row('W2 warm analyze(), 2,000-line patch, new content', first, limit, `parse-diff ${fmtMs(diffOnly.wall.median)} + tree-sitter`, '< 15 ms', 15,
      `load ${load.toFixed(1)}; after ${W2_WARMUP} warm-up runs; the process's first 5 runs: ${coldRuns.map((ms) => fmtMs(ms)).join(', ')} CPU`);
    row('W2 same, the modified files\' hunks naming the IOMMU', ofInterest, limit, 'as above (whole patch)', '', undefined,
      'every view parsed: the first row\'s three modified files have hunks that name nothing the facts record, so only the new file is parsed there');
    row('W2 re-analysis after a one-line edit', edit, limit, 'as above (whole patch)', '< 15 ms', 15, 'facts of unchanged images come from the memo');
    row('W2 same patch, every C view\'s facts memoised', memoised, limit, 'as above (whole patch)', '', undefined,
      'no tree-sitter parse, no C facts: input, views, rules and replay, findings, verdicts (the first analysis less its C facts)');
  }

  if (ONLY.includes('W3')) {
    const w3 = text(files.w3);
    // New content each run (memo emptied), as a series arriving in the editor or a b4 hook would be.
    const warm = repeatInProcess(() => {
      core.clearFactsCache();
      analyzeFile(files.w3)();
    }, RUNS * 2);
    const limit = repeatInProcess(() => bare.parsePatch(parser, w3), RUNS * 2);
    const diffOnly = repeatInProcess(() => bare.parseDiff(w3), RUNS * 2);
    const coldRuns = Math.max(3, Math.round(RUNS / 2));
    const cold = repeatNode([cli, '--format', 'json', files.w3], coldRuns);
    const coldLimit = repeatNode([path.join(here, 'bare-parse.cjs'), files.w3], coldRuns);
    results.workloads.W3 = { what: '14-patch mbox series', warm, limitParse: limit, parseDiffOnly: diffOnly, cold, limitColdBareParse: coldLimit };
    row('W3 warm, 14-patch mbox', warm, limit, `parse-diff ${fmtMs(diffOnly.wall.median)} + tree-sitter`, '< 150 ms', 150);
    row('W3 cold CLI, 14-patch mbox', cold, coldLimit, 'cold node + bare parse', '', undefined, `RSS ${cold.peakRssMB.toFixed(0)} MB`);
  }

  if (ONLY.includes('W4')) {
    const dir = REAL_TREE ?? syntheticTree(TREE_FILES);
    const cFiles = listC(dir);
    const bytes = cFiles.reduce((n, f) => n + fs.statSync(f).size, 0);
    const mb = bytes / 1e6;
    const timeBare = async (threads) => {
      const wall = [];
      const cpu = [];
      for (let i = 0; i < TREE_RUNS; i++) {
        const c = process.cpuUsage();
        const t = performance.now();
        if (threads === 1) for (const f of cFiles) bare.parseFile(parser, f);
        else await bare.parseInThreads(cFiles, threads);
        wall.push(performance.now() - t);
        const used = process.cpuUsage(c);
        cpu.push((used.user + used.system) / 1000);
      }
      return { wall: summary(wall), cpu: summary(cpu) };
    };
    const w4 = { what: `directory scan, ${cFiles.length} C files, ${mb.toFixed(1)} MB${REAL_TREE ? ` (${REAL_TREE})` : ' (synthetic)'}`, files: cFiles.length, megabytes: mb };
    for (const jobs of [1, 2]) {
      const bareTime = await timeBare(jobs);
      const scan = repeatNode([cli, '--format', 'json', '--jobs', String(jobs), dir], TREE_RUNS);
      const perSecond = (ms) => ({ files: cFiles.length / (ms / 1000), mb: mb / (ms / 1000) });
      const rate = perSecond(scan.wall.median);
      const bareRate = perSecond(bareTime.wall.median);
      w4[`jobs${jobs}`] = {
        scan,
        filesPerSecond: rate.files,
        megabytesPerSecond: rate.mb,
        bareParse: bareTime,
        bareFilesPerSecond: bareRate.files,
        bareMegabytesPerSecond: bareRate.mb,
        analysisOverParse: scan.wall.median / bareTime.wall.median,
      };
      rows.push({
        name: `W4 scan ${cFiles.length} files, ${jobs} worker${jobs > 1 ? 's' : ''}`,
        time: scan,
        limit: bareTime,
        limitWhat: `bare parse, ${jobs} thread${jobs > 1 ? 's' : ''}: ${bareRate.mb.toFixed(1)} MB/s`,
        goal: '≤ 2× parse, RSS < 500 MB',
        met: scan.wall.median / bareTime.wall.median <= 2 && scan.peakRssMB < 500 ? 'yes' : 'NO',
        notes: `${rate.files.toFixed(0)} files/s, ${rate.mb.toFixed(1)} MB/s (spatch anchor: 591 files/s with prefilter); RSS ${scan.peakRssMB.toFixed(0)} MB`,
      });
    }
    results.workloads.W4 = w4;
  }

  if (ONLY.includes('W5')) {
    const kernel = findKernelTree();
    const cocci = path.resolve(option('cocci', path.join(root, '..', 'shared', 'peers', 'iommu_dma_owner.cocci')));
    const spatch = spawnSync('spatch', ['--version'], { stdio: 'ignore' }).status === 0;
    if (!kernel) console.error('bench: W5 skipped: no unpacked kernel source (--kernel DIR)');
    else {
      const load = os.loadavg()[0];
      const drivers = path.join(kernel, 'drivers');
      // Run as the command runs it (its node options; NODE_EXTRA_CA_CERTS does not matter at this size).
      const nodeOptions = launcherNodeOptions();
      const ours = () => timeNodeCli([...nodeOptions, cli, '--format', 'json', drivers]);
      const coccinelle = () => timeCommand('spatch', ['--very-quiet', '-D', 'report', '--no-includes', '--sp-file', cocci, '-j', '2', '--dir', 'drivers'], kernel);
      const useSpatch = spatch && fs.existsSync(cocci);
      if (!useSpatch) console.error(`bench: W5 without Coccinelle (${spatch ? `no rule at ${cocci}` : 'spatch not installed'})`);
      const [scan, sp] = useSpatch ? alternate(TREE_RUNS, ours, coccinelle) : [repeatNode([...nodeOptions, cli, '--format', 'json', drivers], TREE_RUNS), undefined];
      const report = JSON.parse(spawnSync(process.execPath, [cli, '--format', 'json', drivers], { maxBuffer: 256 * 1024 * 1024 }).stdout.toString('utf8'));
      const spatchReports = sp ? sp.last.stdout.split('\n').filter((l) => l.trim()).length : undefined;
      results.workloads.W5 = {
        what: `whole drivers/ of ${kernel}, default (prefiltered) scan, node ${nodeOptions.join(' ')} as the command starts it`, loadAverageAtStart: load, scan, spatch: sp ?? 'not run', cocci,
        findings: report.findings.length, reviewed: report.stats.reviewed, spatchReportLines: spatchReports,
      };
      const ratio = sp ? `spatch -j 2 ${fmtMs(sp.wall.median)} wall / ${fmtMs(sp.cpu.median)} CPU, RSS ${sp.peakRssMB.toFixed(0)} MB (alternated): ` +
        `${(sp.wall.median / scan.wall.median).toFixed(1)}× / ${(sp.cpu.median / scan.cpu.median).toFixed(1)}× faster` : 'spatch not run';
      rows.push({
        name: `W5 scan ${path.basename(kernel)}/drivers (${report.stats.reviewed} files)`,
        time: scan,
        limit: sp ?? scan,
        limitWhat: 'Coccinelle with the ownership rule',
        goal: '≥ 3× faster than spatch, RSS < 300 MB',
        met: !sp ? '' : sp.wall.median / scan.wall.median >= 3 && scan.peakRssMB < 300 ? 'yes' : sp.cpu.median / scan.cpu.median >= 3 && scan.peakRssMB < 300 ? 'cpu only' : 'NO',
        notes: `${ratio}; ours RSS ${scan.peakRssMB.toFixed(0)} MB, ${report.findings.length} findings; load ${load.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at end`,
      });
    }
  }

  // ── table ──
  const header = ['workload', 'wall median', 'wall p25–p75', 'CPU median', 'parse limit (wall / CPU)', 'analysis ÷ parse (wall / CPU)', 'goal', 'met', 'notes'];
  const table = rows.map((r) => [
    r.name,
    fmtMs(r.time.wall.median),
    spread(r.time.wall),
    fmtMs(r.time.cpu.median),
    `${fmtMs(r.limit.wall.median)} / ${fmtMs(r.limit.cpu.median)} (${r.limitWhat})`,
    `${(r.time.wall.median / r.limit.wall.median).toFixed(1)}× / ${(r.time.cpu.median / r.limit.cpu.median).toFixed(1)}×`,
    r.goal,
    r.met,
    r.notes,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  const out = [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...table.map(line)].join('\n');
  console.log(out);
  const load = os.loadavg();
  console.log(`\nnode start-up floor (node -e 0): wall ${fmtMs(nodeFloor.wall.median)}, CPU ${fmtMs(nodeFloor.cpu.median)}` +
    `${nodeFloorNoCerts ? ` (NODE_EXTRA_CA_CERTS unset: ${fmtMs(nodeFloorNoCerts.wall.median)} / ${fmtMs(nodeFloorNoCerts.cpu.median)})` : ''}. ` +
    `Load average ${results.machine.loadavg.map((x) => x.toFixed(1)).join(' ')} at start, ${load.map((x) => x.toFixed(1)).join(' ')} at end, on ${results.machine.cpus} CPUs` +
    `${results.machine.loadavg[0] > results.machine.cpus ? ' (overloaded: wall times are inflated; CPU times are the fairer figure, "cpu only" marks a goal met in CPU time)' : ''}.`);
  results.table = out;
  results.rows = rows;
  fs.writeFileSync(path.join(here, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${path.relative(root, path.join(here, 'results.json'))}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
