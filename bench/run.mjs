#!/usr/bin/env node
// `npm run bench`: times the workloads of issue 6 next to their parse limit, prints a table, writes bench/results.json.
// Options: --runs N (repeats of the quick workloads, default 15), --tree-runs N (W4 repeats, default 3),
//          --files N (synthetic W4 tree size, default 5000), --tree DIR (scan a real tree instead),
//          --kernel DIR (a kernel checkout for the checkpatch comparison; else /usr/src/linux-source-* is looked for),
//          --only W1,W2,... (a subset).
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
const ONLY = option('only', 'W1,W2,W3,W4').split(',');
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

/** Runs node with args; returns wall ms, peak RSS (KB) and child CPU ms (from a preloaded hook). */
function timeNode(args) {
  const rssFile = path.join(work, `rss-${process.pid}.txt`);
  fs.rmSync(rssFile, { force: true });
  const started = performance.now();
  const r = spawnSync(process.execPath, ['-r', path.join(here, 'rss-hook.cjs'), ...args], {
    cwd: root,
    env: { ...process.env, BENCH_RSS_FILE: rssFile },
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const wall = performance.now() - started;
  if (r.status !== 0 && r.status !== 1) throw new Error(`bench: node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const [rss, cpu] = fs.existsSync(rssFile) ? fs.readFileSync(rssFile, 'utf8').trim().split(/\s+/).map(Number) : [NaN, NaN];
  return { wall, rssKB: rss, cpuMs: cpu };
}

function repeatNode(args, runs) {
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(timeNode(args));
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

// ───────────────────────────── checkpatch ─────────────────────────────

function findCheckpatch() {
  const candidates = [];
  const given = option('kernel', undefined);
  if (given) candidates.push(given);
  if (fs.existsSync('/usr/src')) {
    for (const e of fs.readdirSync('/usr/src')) if (e.startsWith('linux-source-')) candidates.push(path.join('/usr/src', e));
  }
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

  /** A table row: `time` and `limit` are {wall, cpu} summaries; `goalMs` is judged on the wall median. */
  const row = (name, time, limit, limitWhat, goal, goalMs, notes = '') => {
    const metWall = goalMs === undefined ? undefined : time.wall.median < goalMs;
    const metCpu = goalMs === undefined ? undefined : time.cpu.median < goalMs;
    rows.push({ name, time, limit, limitWhat, goal, met: metWall === undefined ? '' : metWall ? 'yes' : metCpu ? 'cpu only' : 'NO', notes });
  };

  if (ONLY.includes('W1')) {
    const cold = repeatNode([cli, '--format', 'json', files.w1], RUNS);
    const limit = repeatNode([path.join(here, 'bare-parse.cjs'), files.w1], RUNS);
    const checkpatch = findCheckpatch();
    const cp = checkpatch ? timeCheckpatch(checkpatch, files.w1, Math.min(RUNS, 10)) : undefined;
    results.workloads.W1 = { what: 'cold CLI process, one ~100-line patch', cold, limitColdBareParse: limit, checkpatch: cp ?? 'no kernel tree or linux-source found' };
    const vsCheckpatch = cp ? `${(cp.median / cold.wall.median).toFixed(1)}× faster than checkpatch --no-tree (${fmtMs(cp.median)})` : 'checkpatch: no kernel tree or linux-source here';
    row('W1 cold CLI, 124-line patch', cold, limit, 'cold node + bare parse', '< 150 ms', 150, `${vsCheckpatch}; RSS ${cold.peakRssMB.toFixed(0)} MB`);
  }

  if (ONLY.includes('W2')) {
    const w2 = text(files.w2);
    // First analysis of new content: the facts memo is emptied before every run.
    const first = repeatInProcess(() => {
      core.clearFactsCache();
      analyzeFile(files.w2)();
    }, RUNS * 2);
    // The editor's case: the same patch again with one added line edited (a new comment each run), so only the
    // edited file's post-image is new text.
    const w2Lines = w2.split('\n');
    const editAt = w2Lines.findLastIndex((l) => /^\+[^+].*;$/.test(l));
    let revision = 0;
    const reanalyze = () => {
      const lines = [...w2Lines];
      lines[editAt] = `${lines[editAt]} /* edit ${++revision} */`;
      analyzer.analyze([{ path: files.w2, content: lines.join('\n') }], { target: 'latest' });
    };
    const edit = repeatInProcess(reanalyze, RUNS * 2);
    const limit = repeatInProcess(() => bare.parsePatch(parser, w2), RUNS * 2);
    const diffOnly = repeatInProcess(() => bare.parseDiff(w2), RUNS * 2);
    results.workloads.W2 = { what: 'warm analyze(), 2,000-line patch', warm: first, afterOneLineEdit: edit, limitParse: limit, parseDiffOnly: diffOnly };
    row('W2 warm analyze(), 2,000-line patch, new content', first, limit, `parse-diff ${fmtMs(diffOnly.wall.median)} + tree-sitter`, '< 15 ms', 15);
    row('W2 re-analysis after a one-line edit', edit, limit, 'as above (whole patch)', '< 15 ms', 15, 'facts of unchanged images come from the memo');
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
  console.log(`\nnode start-up floor (node -e 0): wall ${fmtMs(nodeFloor.wall.median)}, CPU ${fmtMs(nodeFloor.cpu.median)}. ` +
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
