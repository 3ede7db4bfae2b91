#!/usr/bin/env node
// `npm run eval -- --tree DIR`: how iommu-review does on a real kernel tree (issue 10 item 6, issue 12 patch mode,
// issue 13 prefilter check). Not part of `npm test`. Reads the tree it is pointed at; writes only under a temp dir.
//
//   (a) scan DIR/drivers with the CLI (--format json); every error and warning with its verdict from eval/triage.json;
//       precision figures; exit 1 on an untriaged error finding.
//   (b) generated mutation recall: each balancing call statement, each `.driver_managed_dma = true` and each bus
//       `.dma_cleanup = ...` deleted one at a time; each mutant reviewed as a whole file next to its original.
//   (c) patch mode: each mutant as `git format-patch` (default context) reviewed alone and next to a repository
//       holding the original.
//   (d) --prefilter-check: the scan again with --no-prefilter, and the difference.
import { spawn, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MUTATION_CANDIDATE_RE, findingKey, generateMutants, indexSource } from './eval-lib.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SEVERE = new Set(['error', 'warning']);

const USAGE = `Usage: npm run eval -- --tree DIR [options]

  --tree DIR            unpacked kernel source (required)
  --cli FILE            the CLI to evaluate (default: dist/cli.js of this checkout; run npm run build first)
  --jobs N              CLI processes / worker threads (default 2)
  --target VERSION      --target passed to the CLI (default latest)
  --triage FILE         verdicts (default eval/triage.json)
  --scan-json FILE      reuse a finished 'iommu-review --format json drivers' run of DIR instead of scanning
  --save-scan FILE      write the scan's JSON there (for a later --scan-json)
  --no-scan             skip (a);  --no-mutants  skip (b) and (c);  --no-patch  skip (c)
  --repo-mode LIST      (c2) how the repository is offered, comma-separated (default tree):
                          tree  --tree REPO;  git  run inside REPO without --tree (auto tree / blob ids);
                          blob  inside REPO with the working files removed (only the blob ids resolve)
  --prefilter-check     (d) scan twice, with and without --no-prefilter, and report the difference
  --only REGEX          mutate only files whose tree path matches
  --out FILE            write the full report as JSON
  --keep-tmp            keep the temp dir (its path is printed)
`;

function parseArgs(argv) {
  const o = { jobs: 2, target: 'latest', triage: path.join(REPO, 'eval/triage.json'), cli: path.join(REPO, 'dist/cli.js'), scan: true, mutants: true, patch: true, repoModes: ['tree'], prefilterCheck: false, keepTmp: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--tree': o.tree = path.resolve(val()); break;
      case '--cli': o.cli = path.resolve(val()); break;
      case '--jobs': o.jobs = Math.max(1, Number(val()) || 1); break;
      case '--target': o.target = val(); break;
      case '--triage': o.triage = path.resolve(val()); break;
      case '--scan-json': o.scanJson = path.resolve(val()); break;
      case '--save-scan': o.saveScan = path.resolve(val()); break;
      case '--no-scan': o.scan = false; break;
      case '--no-mutants': o.mutants = false; break;
      case '--no-patch': o.patch = false; break;
      case '--repo-mode': o.repoModes = val().split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--prefilter-check': o.prefilterCheck = true; break;
      case '--only': o.only = new RegExp(val()); break;
      case '--out': o.out = path.resolve(val()); break;
      case '--keep-tmp': o.keepTmp = true; break;
      case '-h': case '--help': process.stdout.write(USAGE); process.exit(0); break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  if (!o.tree) throw new Error('--tree DIR is required');
  for (const m of o.repoModes) if (!['tree', 'git', 'blob'].includes(m)) throw new Error(`unknown --repo-mode ${m}`);
  return o;
}

// ───────────────────────────── running the CLI ─────────────────────────────

/** One CLI run; resolves with its parsed JSON (or undefined), stderr, exit code and wall time. */
function runCli(cli, args, cwd) {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8');
      let json;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ json, stdout, stderr: Buffer.concat(err).toString('utf8'), code, ms: Date.now() - t0 });
    });
  });
}

/** Reviews many inputs with `jobs` CLI processes side by side (one process per batch, not per file). */
async function runBatches(o, files, extraArgs, cwd) {
  const batches = Array.from({ length: Math.min(o.jobs, Math.max(1, files.length)) }, () => []);
  files.forEach((f, i) => batches[i % batches.length].push(f));
  const runs = await Promise.all(
    batches.filter((b) => b.length > 0).map((b) => runCli(o.cli, ['--format', 'json', '--target', o.target, ...extraArgs, ...b], cwd)),
  );
  const findings = [];
  const problems = [];
  for (const r of runs) {
    if (!r.json) throw new Error(`CLI run failed (exit ${r.code}): ${r.stderr.split('\n').slice(0, 3).join(' | ')}`);
    findings.push(...r.json.findings);
    problems.push(...r.json.problems);
  }
  return { findings, problems, ms: Math.max(...runs.map((r) => r.ms)) };
}

/** Which options this CLI has (flags other branches add are used only when present). */
function probeCli(cli) {
  let help = '';
  try {
    help = execFileSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
  } catch (e) {
    help = String(e.stdout ?? '');
  }
  return { noPrefilter: help.includes('--no-prefilter'), noTree: help.includes('--no-tree') };
}

// ───────────────────────────── helpers ─────────────────────────────

const pct = (a, b) => (b === 0 ? '  n/a' : `${((100 * a) / b).toFixed(1).padStart(5)}%`);
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;

function readTriage(file) {
  if (!fs.existsSync(file)) return [];
  const data = JSON.parse(fs.readFileSync(file, 'utf8'));
  return Array.isArray(data) ? data : data.findings ?? [];
}

const indexCache = new Map();
function indexOfFile(abs) {
  let idx = indexCache.get(abs);
  if (!idx) {
    idx = indexSource(fs.readFileSync(abs, 'utf8'));
    indexCache.set(abs, idx);
  }
  return idx;
}

function git(cwd, args, input) {
  return execFileSync('git', ['-c', 'core.hooksPath=/dev/null', '-c', 'commit.gpgsign=false', '-c', 'user.name=eval', '-c', 'user.email=eval@localhost', ...args], {
    cwd,
    input,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z', GIT_CONFIG_NOSYSTEM: '1' },
    maxBuffer: 256 * 1024 * 1024,
  });
}

// ───────────────────────────── (a) the scan ─────────────────────────────

async function scanDrivers(o, extra = []) {
  const t0 = Date.now();
  if (o.scanJson && extra.length === 0) {
    const json = JSON.parse(fs.readFileSync(o.scanJson, 'utf8'));
    return { json, ms: 0, reused: true };
  }
  const r = await runCli(o.cli, ['--format', 'json', '--target', o.target, '--jobs', String(o.jobs), ...extra, 'drivers'], o.tree);
  if (!r.json) throw new Error(`scan failed (exit ${r.code}): ${r.stderr.split('\n').slice(0, 3).join(' | ')}`);
  return { json: r.json, ms: Date.now() - t0, reused: false, stderr: r.stderr, code: r.code };
}

function treeRelative(o, p) {
  const abs = path.resolve(o.tree, p);
  return path.relative(o.tree, abs).split(path.sep).join('/');
}

function triageScan(o, json, triage) {
  const byKey = new Map(triage.map((t) => [t.key, t]));
  const rows = [];
  for (const f of json.findings) {
    if (!SEVERE.has(f.severity)) continue;
    const rel = treeRelative(o, f.location.path);
    const key = findingKey(f.code, rel, f.location.line, indexOfFile(path.join(o.tree, rel)));
    const t = byKey.get(key);
    rows.push({ severity: f.severity, code: f.code, rule: f.rule, path: rel, line: f.location.line, key, message: f.message, verdict: t?.verdict, reason: t?.reason });
  }
  const seen = new Set(rows.map((r) => r.key));
  const stale = triage.filter((t) => !seen.has(t.key));
  return { rows, stale };
}

function printScan(scan, triaged) {
  const { rows, stale } = triaged;
  console.log(`\n== (a) scan of drivers/: ${scan.json.stats?.reviewed ?? '?'} files, ${scan.json.findings.length} findings${scan.reused ? ' (reused --scan-json)' : `, ${secs(scan.ms)}`}`);
  for (const r of rows) {
    const v = r.verdict === undefined ? 'UNTRIAGED' : r.verdict ? 'TRUE ' : 'FALSE';
    console.log(`  [${v}] ${r.severity.padEnd(7)} ${r.code} ${r.path}:${r.line}  ${r.key}`);
    console.log(`          ${r.message.slice(0, 160)}`);
    if (r.reason) console.log(`          verdict: ${r.reason}`);
  }
  const fig = {};
  for (const sev of ['error', 'warning']) {
    const of = rows.filter((r) => r.severity === sev);
    fig[sev] = { total: of.length, true: of.filter((r) => r.verdict === true).length, false: of.filter((r) => r.verdict === false).length, untriaged: of.filter((r) => r.verdict === undefined).length };
    const f = fig[sev];
    console.log(`  ${sev}s: ${f.total} — true ${f.true}, false ${f.false}, untriaged ${f.untriaged}; precision ${pct(f.true, f.true + f.false)}`);
  }
  const untriagedWarnings = rows.filter((r) => r.severity === 'warning' && r.verdict === undefined);
  if (untriagedWarnings.length) console.log(`  untriaged warnings (add them to eval/triage.json):\n${untriagedWarnings.map((r) => `    ${JSON.stringify({ path: r.path, rule: r.code, key: r.key, verdict: null, reason: '' })}`).join('\n')}`);
  const untriagedErrors = rows.filter((r) => r.severity === 'error' && r.verdict === undefined);
  if (untriagedErrors.length) console.log(`  UNTRIAGED ERRORS (the eval fails):\n${untriagedErrors.map((r) => `    ${JSON.stringify({ path: r.path, rule: r.code, key: r.key, verdict: null, reason: '' })}`).join('\n')}`);
  // A verdict is never carried over to another key by guesswork; a stale entry of the same rule and file is a hint.
  for (const r of rows.filter((x) => x.verdict === undefined)) {
    for (const t of stale.filter((x) => x.path === r.path && x.rule === r.code)) console.log(`  hint: ${r.key} may be the finding once triaged as ${t.key} (${t.verdict ? 'true' : 'false'})`);
  }
  if (stale.length) console.log(`  triage entries no longer found (fixed, or their key changed):\n${stale.map((t) => `    ${t.key} (${t.verdict ? 'true' : 'false'})`).join('\n')}`);
  return { figures: fig, untriagedErrors: untriagedErrors.length };
}

// ───────────────────────────── (d) prefilter check ─────────────────────────────

async function prefilterCheck(o, features, scan) {
  console.log('\n== (d) prefilter check');
  if (!features.noPrefilter) {
    console.log('  skipped: this CLI has no --no-prefilter option yet (issue 13)');
    return { skipped: true };
  }
  const base = scan && !scan.reused ? scan : await scanDrivers({ ...o, scanJson: undefined });
  const full = await scanDrivers(o, ['--no-prefilter']);
  const id = (f) => `${f.severity}|${f.code}|${treeRelative(o, f.location.path)}:${f.location.line}|${f.message}`;
  const a = new Set(base.json.findings.map(id));
  const b = new Set(full.json.findings.map(id));
  const onlyFiltered = [...a].filter((x) => !b.has(x));
  const onlyFull = [...b].filter((x) => !a.has(x));
  console.log(`  with prefilter: ${a.size} findings (${secs(base.ms)}); without: ${b.size} findings (${secs(full.ms)})`);
  for (const x of onlyFull) console.log(`  LOST by the prefilter: ${x}`);
  for (const x of onlyFiltered) console.log(`  only with the prefilter: ${x}`);
  if (!onlyFull.length && !onlyFiltered.length) console.log('  identical findings');
  return { skipped: false, lost: onlyFull, extra: onlyFiltered, ms: { prefilter: base.ms, full: full.ms } };
}

// ───────────────────────────── (b) mutants ─────────────────────────────

function candidateFiles(o) {
  let out = '';
  try {
    out = execFileSync('grep', ['-rlE', '--include=*.c', '--include=*.h', MUTATION_CANDIDATE_RE.source, 'drivers'], { cwd: o.tree, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    if (e.status !== 1) throw e;
  }
  return out.split('\n').filter(Boolean).sort().filter((f) => !o.only || o.only.test(f));
}

function buildMutants(o) {
  const files = candidateFiles(o);
  const mutants = [];
  const skipped = [];
  const originals = new Map();
  for (const rel of files) {
    const text = fs.readFileSync(path.join(o.tree, rel), 'utf8');
    const g = generateMutants(text);
    for (const s of g.skipped) skipped.push({ file: rel, ...s });
    if (g.mutants.length === 0) continue;
    originals.set(rel, text);
    for (const m of g.mutants) mutants.push({ id: `m${String(mutants.length + 1).padStart(4, '0')}`, file: rel, ...m });
  }
  return { files, mutants, skipped, originals };
}

/** Findings of a batch run, keyed per input: `keyOf(finding)` → the input's id, or undefined to ignore. */
function splitFindings(findings, idOf) {
  const per = new Map();
  for (const f of findings) {
    const id = idOf(f);
    if (id === undefined) continue;
    if (!per.has(id)) per.set(id, []);
    per.get(id).push(f);
  }
  return per;
}

/** Key plus message with numbers left out (line references move when a mutation deletes lines). */
const messageId = (k) => `${k.key}|${k.message.replace(/\d+/g, '#')}`;

async function wholeFileRecall(o, tmp, built) {
  const root = path.join(tmp, 'whole');
  const inputs = [];
  const owner = new Map(); // absolute input path → { id, rel, abs }
  const put = (id, rel, text) => {
    const abs = path.join(root, id, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, text);
    inputs.push(abs);
    owner.set(abs, { id, rel });
  };
  for (const [rel, text] of built.originals) put(`orig-${[...built.originals.keys()].indexOf(rel)}`, rel, text);
  for (const m of built.mutants) put(m.id, m.file, m.text);
  const run = await runBatches(o, inputs, [], root);
  const per = splitFindings(run.findings, (f) => path.resolve(root, f.location.path));
  const keysOf = (abs) => {
    const who = owner.get(abs);
    const idx = indexOfFile(abs);
    return (per.get(abs) ?? []).map((f) => ({ key: findingKey(f.code, who.rel, f.location.line, idx), severity: f.severity, code: f.code, line: f.location.line, message: f.message }));
  };
  const origKeys = new Map();
  for (const [rel] of built.originals) {
    const abs = path.join(root, `orig-${[...built.originals.keys()].indexOf(rel)}`, rel);
    origKeys.set(rel, keysOf(abs));
  }
  for (const m of built.mutants) {
    const before = new Set(origKeys.get(m.file).map((k) => k.key));
    const all = keysOf(path.join(root, m.id, m.file));
    const fresh = all.filter((k) => !before.has(k.key));
    // Secondary measure: a finding on a key the original already has but with another message (digits aside: lines
    // move) is a new problem the key alone hides (e.g. a second OWN010 on the same use_default_domain call).
    const beforeMsg = new Set(origKeys.get(m.file).map(messageId));
    const freshMsg = all.filter((k) => !beforeMsg.has(messageId(k)) && SEVERE.has(k.severity));
    m.whole = { any: fresh, severe: newSevere(all, origKeys.get(m.file)), severeByMessage: freshMsg, all };
  }
  return { ms: run.ms, origKeys, problems: run.problems };
}

/**
 * A mutant's errors and warnings on keys the original has no error or warning on (an info the original already had on
 * that key — a budget note, an unseen-code note — does not hide a new error there).
 */
function newSevere(found, original) {
  const before = new Set(original.filter((k) => SEVERE.has(k.severity)).map((k) => k.key));
  return found.filter((k) => SEVERE.has(k.severity) && !before.has(k.key));
}

// ───────────────────────────── (c) patch mode ─────────────────────────────

function buildPatches(o, tmp, built) {
  const repo = path.join(tmp, 'repo');
  const patchDir = path.join(tmp, 'patches');
  fs.mkdirSync(repo, { recursive: true });
  fs.mkdirSync(patchDir, { recursive: true });
  git(repo, ['init', '-q']);
  for (const [rel, text] of built.originals) {
    fs.mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
    fs.writeFileSync(path.join(repo, rel), text);
  }
  // What a kernel tree looks like at its top (the patch branch finds the tree this way); empty files of our own.
  fs.writeFileSync(path.join(repo, 'MAINTAINERS'), '');
  fs.mkdirSync(path.join(repo, 'drivers/iommu'), { recursive: true });
  fs.writeFileSync(path.join(repo, 'drivers/iommu/.eval-marker'), '');
  git(repo, ['add', '-A']);
  git(repo, ['commit', '-q', '-m', 'eval: originals']);
  const formatPatch = (rel, text, name) => {
    fs.writeFileSync(path.join(repo, rel), text);
    git(repo, ['commit', '-q', '-a', '-m', `eval: ${name}`]);
    const file = path.join(patchDir, `${name}.patch`);
    fs.writeFileSync(file, git(repo, ['format-patch', '-1', '--stdout']));
    git(repo, ['reset', '-q', '--hard', 'HEAD~1']);
    return file;
  };
  for (const m of built.mutants) {
    m.patch = formatPatch(m.file, m.text, m.id);
    // The control: a comment-only change at the same place. Any finding on it is noise, not recall.
    const lines = built.originals.get(m.file).split('\n');
    lines.splice(m.line - 1, 0, '/* eval control: a comment-only change */');
    m.controlPatch = formatPatch(m.file, lines.join('\n'), `${m.id}-control`);
  }
  return { repo, patchDir };
}

async function patchRecall(o, tmp, built, features, whole) {
  const t0 = Date.now();
  const { repo, patchDir } = buildPatches(o, tmp, built);
  const buildMs = Date.now() - t0;
  const patches = built.mutants.flatMap((m) => [m.patch, m.controlPatch]);
  const judge = (run, cwd, field) => {
    const per = splitFindings(run.findings, (f) => path.resolve(cwd, f.location.path));
    for (const m of built.mutants) {
      const before = new Set(whole.origKeys.get(m.file).map((k) => k.key));
      const idx = indexSource(m.text);
      const got = (per.get(m.patch) ?? []).map((f) => {
        const line = f.source?.line ?? f.location.line;
        return { key: findingKey(f.code, m.file, line, idx), severity: f.severity, code: f.code, line, message: f.message };
      });
      const fresh = got.filter((k) => !before.has(k.key));
      m[field] = { any: fresh, severe: newSevere(got, whole.origKeys.get(m.file)), all: got };
      const noise = per.get(m.controlPatch) ?? [];
      m[`${field}-control`] = { any: noise.length, severe: noise.filter((f) => SEVERE.has(f.severity)).length };
    }
  };
  const timings = { build: buildMs };
  // (1) alone: outside any repository, no tree.
  const alone = await runBatches(o, patches, features.noTree ? ['--no-tree'] : [], patchDir);
  timings.alone = alone.ms;
  const problems = (label, run) => {
    for (const p of run.problems) console.log(`  problem (${label}): ${path.basename(p.path)}: ${p.message}`);
  };
  problems('alone', alone);
  judge(alone, patchDir, 'alone');
  // (2) next to the repository holding the originals.
  const modes = {};
  for (const mode of o.repoModes) {
    let run;
    let cwd = patchDir;
    if (mode === 'tree') run = await runBatches(o, patches, ['--tree', repo], patchDir);
    else {
      cwd = repo;
      if (mode === 'blob') for (const rel of built.originals.keys()) fs.rmSync(path.join(repo, rel), { force: true });
      run = await runBatches(o, patches, [], repo);
      if (mode === 'blob') git(repo, ['checkout', '-q', '--', '.']);
    }
    timings[`repo-${mode}`] = run.ms;
    problems(mode, run);
    judge(run, cwd, `repo-${mode}`);
    modes[mode] = true;
  }
  return { timings, repo, patchDir };
}

// ───────────────────────────── report ─────────────────────────────

function recallTable(mutants, columns) {
  const kinds = [...new Set(mutants.map((m) => m.kind))].sort();
  const head = `  ${'mutation kind'.padEnd(36)}${'n'.padStart(4)}${columns.map((c) => c.label.padStart(16)).join('')}`;
  const lines = [head];
  const figures = {};
  const row = (label, ms) => {
    const cells = columns.map((c) => {
      const caught = ms.filter((m) => c.caught(m)).length;
      return `${String(caught).padStart(4)}/${String(ms.length).padEnd(3)}${pct(caught, ms.length)}`.padStart(16);
    });
    lines.push(`  ${label.padEnd(36)}${String(ms.length).padStart(4)}${cells.join('')}`);
    figures[label] = Object.fromEntries(columns.map((c) => [c.label.trim(), { caught: ms.filter((m) => c.caught(m)).length, total: ms.length }]));
  };
  for (const k of kinds) row(k, mutants.filter((m) => m.kind === k));
  row('all', mutants);
  console.log(lines.join('\n'));
  return figures;
}

function perRule(mutants, field) {
  const counts = new Map();
  for (const m of mutants) for (const code of new Set((m[field]?.severe ?? []).map((k) => k.code))) counts.set(code, (counts.get(code) ?? 0) + 1);
  return Object.fromEntries([...counts].sort());
}

async function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`eval: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  if (!fs.existsSync(o.cli)) {
    process.stderr.write(`eval: ${o.cli} not found (npm run build)\n`);
    process.exit(2);
  }
  if (!fs.existsSync(path.join(o.tree, 'drivers'))) {
    process.stderr.write(`eval: ${o.tree} has no drivers/\n`);
    process.exit(2);
  }
  const version = fs.existsSync(path.join(o.tree, 'Makefile'))
    ? (() => {
        const mk = fs.readFileSync(path.join(o.tree, 'Makefile'), 'utf8');
        const f = (n) => new RegExp(`^${n}[ \\t]*=[ \\t]*(\\S*)`, "m").exec(mk)?.[1] ?? '';
        return `${f('VERSION')}.${f('PATCHLEVEL')}.${f('SUBLEVEL')}${f('EXTRAVERSION')}`;
      })()
    : '?';
  const features = probeCli(o.cli);
  const started = Date.now();
  const report = { date: new Date().toISOString(), tree: o.tree, kernel: version, target: o.target, cli: o.cli, features, timings: {} };
  console.log(`iommu-review eval — kernel ${version} at ${o.tree}, target ${o.target}, ${o.jobs} jobs, ${report.date}`);
  let exit = 0;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-review-eval-'));
  try {
    let scan;
    if (o.scan) {
      scan = await scanDrivers(o);
      report.timings.scan = scan.ms;
      if (o.saveScan && !scan.reused) fs.writeFileSync(o.saveScan, JSON.stringify(scan.json));
      const triaged = triageScan(o, scan.json, readTriage(o.triage));
      const printed = printScan(scan, triaged);
      report.scan = { files: scan.json.stats?.reviewed, findings: scan.json.findings.length, figures: printed.figures, rows: triaged.rows, stale: triaged.stale.map((t) => t.key) };
      if (printed.untriagedErrors > 0) exit = 1;
    }
    if (o.prefilterCheck) report.prefilter = await prefilterCheck(o, features, scan);
    if (o.mutants) {
      const t0 = Date.now();
      const built = buildMutants(o);
      report.timings.generate = Date.now() - t0;
      console.log(`\n== (b) mutation recall, whole files: ${built.mutants.length} mutants from ${built.originals.size} of ${built.files.length} candidate files`);
      for (const s of built.skipped) console.log(`  not mutated: ${s.file}:${s.line} ${s.kind} — ${s.why}`);
      const whole = await wholeFileRecall(o, tmp, built);
      report.timings.whole = whole.ms;
      for (const p of whole.problems) console.log(`  problem: ${p.path}: ${p.message}`);
      if (scan) {
        // Each original reviewed alone should get what the tree scan gave that file (else the scan saw other files).
        const inScan = new Map();
        for (const f of scan.json.findings) {
          const rel = treeRelative(o, f.location.path);
          if (!inScan.has(rel)) inScan.set(rel, []);
          inScan.get(rel).push(`${f.severity} ${f.code}:${f.location.line}`);
        }
        const differ = [];
        for (const [rel, ks] of whole.origKeys) {
          const a = (inScan.get(rel) ?? []).sort().join(', ');
          const b = ks.map((k) => `${k.severity} ${k.code}:${k.line}`).sort().join(', ');
          if (a !== b) differ.push(`  ${rel}: scan [${a}] alone [${b}]`);
        }
        console.log(differ.length ? `  originals reviewed alone differ from the scan:\n${differ.join('\n')}` : '  originals reviewed alone: same findings as the scan');
        report.aloneVsScan = differ;
      }
      const columns = [
        { label: 'error|warning', caught: (m) => m.whole.severe.length > 0 },
        { label: 'any severity', caught: (m) => m.whole.any.length > 0 },
        { label: 'e|w key+msg', caught: (m) => m.whole.severeByMessage.length > 0 },
      ];
      let patchRun;
      if (o.patch) {
        patchRun = await patchRecall(o, tmp, built, features, whole);
        Object.assign(report.timings, Object.fromEntries(Object.entries(patchRun.timings).map(([k, v]) => [`patch-${k}`, v])));
      }
      report.recall = { whole: recallTable(built.mutants, columns) };
      report.recall.wholePerRule = perRule(built.mutants, 'whole');
      console.log(`  rules that caught (error|warning): ${Object.entries(report.recall.wholePerRule).map(([c, n]) => `${c} ${n}`).join(', ') || 'none'}`);
      if (o.patch) {
        console.log(`\n== (c) patch mode (git format-patch, default context): alone counts any severity`);
        const pcols = [
          { label: 'alone:any', caught: (m) => m.alone.any.length > 0 },
          ...o.repoModes.flatMap((mode) => [
            { label: `${mode}:err|warn`, caught: (m) => m[`repo-${mode}`].severe.length > 0 },
            { label: `${mode}:any`, caught: (m) => m[`repo-${mode}`].any.length > 0 },
          ]),
        ];
        report.recall.patch = recallTable(built.mutants, pcols);
        // Issue 12: with the repository, the patch verdict should equal the whole-file verdict, mutant by mutant.
        for (const mode of o.repoModes) {
          const differ = built.mutants.filter((m) => (m.whole.severe.length > 0) !== (m[`repo-${mode}`].severe.length > 0));
          console.log(`  ${mode}: ${differ.length === 0 ? 'same verdict as the whole file on every mutant' : `${differ.length} mutant(s) judged otherwise than as a whole file:`}`);
          for (const m of differ) console.log(`    ${m.file}:${m.line} ${m.site} — whole ${m.whole.severe.length ? 'caught' : 'missed'}, patch ${m[`repo-${mode}`].severe.length ? 'caught' : 'missed'}`);
        }
        // Controls: the same places with a comment-only change; a finding there is noise.
        const noisy = (field, sev) => built.mutants.filter((m) => m[`${field}-control`][sev] > 0).length;
        report.recall.patchControls = {
          alone: { any: noisy('alone', 'any'), total: built.mutants.length },
          ...Object.fromEntries(o.repoModes.map((mode) => [mode, { any: noisy(`repo-${mode}`, 'any'), severe: noisy(`repo-${mode}`, 'severe'), total: built.mutants.length }])),
        };
        console.log(
          `  controls (comment-only patch at each site) with a finding: alone ${noisy('alone', 'any')}/${built.mutants.length} (any severity)` +
            o.repoModes.map((mode) => `, ${mode} ${noisy(`repo-${mode}`, 'severe')}/${built.mutants.length} (error|warning), ${noisy(`repo-${mode}`, 'any')} (any)`).join(''),
        );
      }
      console.log('\n  misses (file:line, mutation, modes that miss it):');
      report.misses = [];
      for (const m of built.mutants) {
        const missed = [];
        if (m.whole.severe.length === 0) missed.push(m.whole.any.length ? 'whole(info only)' : 'whole');
        if (o.patch) {
          if (m.alone.any.length === 0) missed.push('patch-alone');
          for (const mode of o.repoModes) if (m[`repo-${mode}`].severe.length === 0) missed.push(`patch-${mode}${m[`repo-${mode}`].any.length ? '(info only)' : ''}`);
        }
        if (missed.length) {
          console.log(`    ${m.file}:${m.line}  ${m.site}  — ${missed.join(', ')}`);
          report.misses.push({ file: m.file, line: m.line, mutation: m.site, kind: m.kind, missed });
        }
      }
      // Every finding of each mutant (new ones and those the original has too, marked 'old'): what a miss analysis reads.
      const show = (k) => `${k.severity} ${k.key} :${k.line}${k.fresh === false ? ' old' : ''} — ${k.message}`;
      for (const m of built.mutants) {
        const before = new Set(whole.origKeys.get(m.file).map((k) => k.key));
        for (const field of ['whole', 'alone', ...o.repoModes.map((x) => `repo-${x}`)]) for (const k of m[field]?.all ?? []) k.fresh = !before.has(k.key);
      }
      report.originals = Object.fromEntries([...whole.origKeys].map(([rel, ks]) => [rel, ks.map(show)]));
      report.mutants = built.mutants.map((m) => ({
        id: m.id, file: m.file, line: m.line, kind: m.kind, site: m.site,
        whole: m.whole.all.map(show),
        ...(o.patch ? { alone: m.alone.all.map(show), ...Object.fromEntries(o.repoModes.map((mode) => [mode, m[`repo-${mode}`].all.map(show)])) } : {}),
      }));
    }
  } finally {
    report.timings.total = Date.now() - started;
    console.log(`\n== timings: ${Object.entries(report.timings).map(([k, v]) => `${k} ${secs(v)}`).join(', ')}`);
    if (o.out) fs.writeFileSync(o.out, `${JSON.stringify(report, null, 2)}\n`);
    if (o.keepTmp) console.log(`temp dir kept: ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (exit) console.log('\nFAIL: untriaged error findings (see above)');
  process.exit(exit);
}

main().catch((e) => {
  process.stderr.write(`eval: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
