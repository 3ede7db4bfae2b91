/**
 * The `iommu-review` command (bundled to dist/cli.js). A thin host: it reads files, standard input and git
 * ranges, hands bytes to the pure core, prints one of the formats, and maps the outcome to the exit status
 * of the command-line contract (0 clean, 1 error findings, 2 unusable arguments or input — one stderr line).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import type { AnalysisResult, AnalyzeInput, AnalyzeOptions, InputProblem } from '../core/types';
import { RULES, findRule } from '../rules';
import type { RuleMeta } from '../rules/types';
import { DEFAULT_META, formatProblem, hasErrors, type ReportMeta } from '../format/common';
import { formatText } from '../format/text';
import { formatJson } from '../format/json';
import { formatSarif } from '../format/sarif';
import { formatB4Check, formatB4Review } from '../format/b4';
import { ArgsError, USAGE, parseArgs, type CliOptions } from './args';
import { expandPaths, isCSourcePath, readInputFile } from './inputs';
import { createTreeReader, findKernelTree, type TreeReader } from './tree';
import { createBlobReader, gitFormatPatch, gitInputPath, gitTopLevel, type BlobReader } from './git';
import { failedInputResult, mergeResults, splitByInput } from './merge';
import { createProgress, progressEnabled, type ProgressStream } from './progress';
import { analyzeInWorkers, workerScriptPath } from './pool';
import { createNodeAnalyzer } from './analyzer';
import { analyzeChunked, CHUNK_THRESHOLD } from './chunked';
import type { Analyzer } from '../core/analyze';

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: ProgressStream;
  readStdin(): Promise<Buffer>;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export const STDIN_PATH = '<stdin>';
/**
 * Without an explicit --jobs, a directory scan uses workers only when it is big: each worker pays about a second
 * (and its own CPU) to start the WebAssembly parser, while a small C file takes a few milliseconds to review.
 */
const WORKER_MIN_FILES = 16;
const WORKER_MIN_BYTES = 4 * 1024 * 1024;

class UsageError extends Error {}

/** The package root: dist/.. when bundled; the candidates cover compiled (out/src/cli) runs too. */
function packageRoots(): string[] {
  return [path.resolve(__dirname, '..'), path.resolve(__dirname, '../../..')];
}

export function toolVersion(): string {
  for (const root of packageRoots()) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'iommu-review' && pkg.version) return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return DEFAULT_META.version;
}

function resolveRuleName(nameOrCode: string): string | undefined {
  return findRule(nameOrCode)?.meta.name;
}

function ruleMetas(): RuleMeta[] {
  return RULES.map((r) => r.meta);
}

export function listRulesText(rules: readonly RuleMeta[]): string {
  const nameWidth = Math.max(4, ...rules.map((r) => r.name.length));
  const lines = [`${'CODE'.padEnd(7)}${'NAME'.padEnd(nameWidth + 2)}${'DEFAULT'.padEnd(9)}TIER  DESCRIPTION`];
  for (const r of rules) {
    lines.push(`${r.code.padEnd(7)}${r.name.padEnd(nameWidth + 2)}${r.defaultSeverity.padEnd(9)}${String(r.tier).padEnd(6)}${r.description}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The rule's doc page, or (when the page is not shipped) a page generated from its metadata. */
export function explainRule(nameOrCode: string): string {
  const rule = findRule(nameOrCode);
  if (!rule) throw new UsageError(`unknown rule '${nameOrCode}' (see --list-rules)`);
  const meta = rule.meta;
  for (const root of packageRoots()) {
    const page = path.join(root, 'docs', 'rules', `${meta.name}.md`);
    if (fs.existsSync(page)) {
      const text = fs.readFileSync(page, 'utf8');
      return text.endsWith('\n') ? text : `${text}\n`;
    }
  }
  const messages = Object.values(meta.messages).map((m) => `- ${m}`).join('\n');
  return `# ${meta.code} ${meta.name}\n\n${meta.description}\n\nDefault severity: ${meta.defaultSeverity} (tier ${meta.tier}, ${meta.category}).\n\nMessages:\n${messages}\n\nMore: ${meta.docsUrl}\n`;
}

function reportMeta(options: CliOptions): ReportMeta {
  return { ...DEFAULT_META, version: toolVersion(), target: options.target };
}

/** Where a problem line ends up when the whole run is unusable: one line, naming how many more there were. */
function singleProblemLine(problems: readonly InputProblem[]): string {
  const failed = problems.filter((p) => p.kind === 'failed');
  const first = failed[0] ?? problems[0];
  if (!first) return 'iommu-review: nothing could be reviewed';
  const more = failed.length > 1 ? ` (and ${failed.length - 1} more unusable input${failed.length > 2 ? 's' : ''})` : '';
  return `${formatProblem(first)}${more}`;
}

interface Gathered {
  /** In the order given; each is analysed on its own (a series lives inside one mbox input). */
  inputs: { input: AnalyzeInput; fromDirectory: boolean }[];
  /** Results for inputs that could not be read at all, with the position they would have had. */
  unreadable: { at: number; result: AnalysisResult }[];
  /** A path named on the command line that does not exist: the run ends with status 2. */
  fatal: InputProblem[];
}

async function gatherInputs(options: CliOptions, io: CliIo): Promise<Gathered> {
  const gathered: Gathered = { inputs: [], unreadable: [], fatal: [] };
  const expanded = expandPaths(options.inputs);
  gathered.fatal.push(...expanded.problems);
  for (const p of expanded.problems) gathered.unreadable.push({ at: 0, result: failedInputResult(p) });

  const files = expanded.files;
  for (let i = 0; i <= files.length; i++) {
    if (i === expanded.stdinIndex) {
      gathered.inputs.push({ input: { path: STDIN_PATH, content: await io.readStdin() }, fromDirectory: false });
    }
    if (i === files.length) break;
    const read = readInputFile(files[i].path);
    if ('problem' in read) {
      if (!files[i].fromDirectory) gathered.fatal.push(read.problem);
      gathered.unreadable.push({ at: gathered.inputs.length, result: failedInputResult(read.problem) });
    } else {
      gathered.inputs.push({ input: { path: files[i].path, content: read.content }, fromDirectory: files[i].fromDirectory });
    }
  }
  for (const range of options.gitRanges) {
    const git = await gitFormatPatch(range, io.cwd);
    if (git.ok) gathered.inputs.push({ input: { path: gitInputPath(range), content: git.text }, fromDirectory: false });
    else {
      const problem: InputProblem = { path: gitInputPath(range), message: `git format-patch failed: ${git.message}`, kind: 'failed' };
      gathered.fatal.push(problem);
      gathered.unreadable.push({ at: gathered.inputs.length, result: failedInputResult(problem) });
    }
  }
  return gathered;
}

function treeProblems(tree: TreeReader | undefined, refused: readonly string[], treeArg: string | undefined, explicitTree = true): InputProblem[] {
  if (!tree || treeArg === undefined) return [];
  return [...new Set(refused)].map((p) => ({
    path: treeArg,
    message: `refused to read '${p}': the path leaves the ${treeArg === tree.root && !explicitTree ? 'kernel tree' : '--tree directory'}`,
    kind: 'skipped' as const,
  }));
}

/** Lines of the inputs as read (for quoting under findings), split lazily and once per input. */
function inputLineLookup(inputs: readonly AnalyzeInput[]): (p: string, line: number) => string | undefined {
  const split = new Map<string, string[]>();
  return (p, line) => {
    let lines = split.get(p);
    if (!lines) {
      const input = inputs.find((i) => i.path === p);
      if (!input) return undefined;
      const text = typeof input.content === 'string' ? input.content : Buffer.from(input.content).toString('utf8');
      lines = text.split(/\r?\n/);
      split.set(p, lines);
    }
    return lines[line - 1];
  };
}

interface Analysed {
  /** One result per gathered input, same order. */
  perInput: (AnalysisResult | undefined)[];
  workersUsed: number;
  /** --tree paths the workers refused (the in-process reader keeps its own list). */
  refused: string[];
}

/**
 * Reviews the gathered inputs: C files found by a directory scan may go to worker threads (see WORKER_MIN_*),
 * everything else (patches, mails, a series in one mbox or in separate patch files) is analysed here in one analyze()
 * call, except a very large mbox, which is reviewed on its own in chunks.
 */
async function analyzeGathered(
  gathered: Gathered,
  options: CliOptions,
  analyzeOptions: AnalyzeOptions,
  tree: TreeReader | undefined,
  io: CliIo,
): Promise<Analysed> {
  const out: Analysed = { perInput: new Array(gathered.inputs.length), workersUsed: 0, refused: [] };
  if (gathered.inputs.length === 0) return out;
  const progress = createProgress(gathered.inputs.length, io.stderr, progressEnabled(io.stderr, io.env));
  const jobs = options.jobs ?? Math.min(2, Math.max(1, os.cpus().length));
  const scannedC = gathered.inputs.map((_, i) => i).filter((i) => gathered.inputs[i].fromDirectory && isCSourcePath(gathered.inputs[i].input.path));
  const scannedBytes = scannedC.reduce((n, i) => n + gathered.inputs[i].input.content.length, 0);
  const worthWorkers =
    options.jobs !== undefined ? scannedC.length >= 2 : scannedC.length >= WORKER_MIN_FILES && scannedBytes >= WORKER_MIN_BYTES;
  const script = workerScriptPath();
  const toWorkers = new Set(jobs > 1 && worthWorkers && script !== undefined ? scannedC : []);

  const workerRun =
    toWorkers.size > 0 && script !== undefined
      ? analyzeInWorkers(
          [...toWorkers].map((i) => gathered.inputs[i].input),
          { options: { target: options.target, rules: options.rules }, treeDir: tree?.root },
          jobs,
          script,
          (input) => progress.tick(input.path),
        )
      : undefined;
  // Started lazily: a scan that went entirely to workers never pays for a parser here.
  let local: Promise<Analyzer> | undefined;
  const analyzer = () => (local ??= createNodeAnalyzer());

  // The other inputs go to one analyze() call, so a series given as separate patch files is reviewed as one series.
  const together: number[] = [];
  for (let i = 0; i < gathered.inputs.length; i++) {
    if (toWorkers.has(i)) continue;
    const input = gathered.inputs[i].input;
    if (input.content.length <= CHUNK_THRESHOLD) {
      together.push(i);
      continue;
    }
    const a = await analyzer();
    // A very large mbox is reviewed chunk by chunk so memory stays bounded (see chunked.ts).
    out.perInput[i] = analyzeChunked((inputs, o) => a.analyze(inputs, o), input, analyzeOptions);
    progress.tick(input.path);
  }
  if (together.length > 0) {
    const a = await analyzer();
    const inputs = together.map((i) => gathered.inputs[i].input);
    const parts = splitByInput(a.analyze(inputs, analyzeOptions), inputs.map((x) => x.path));
    together.forEach((i, k) => {
      out.perInput[i] = parts[k];
      progress.tick(inputs[k].path);
    });
  }
  if (options.dumpFacts !== undefined) {
    const a = await analyzer();
    writeDumpFacts(gathered.inputs.map((g) => a.dumpFacts(g.input, analyzeOptions)), options.dumpFacts, io);
  }
  if (workerRun) {
    const indices = [...toWorkers];
    try {
      const outcome = await workerRun;
      indices.forEach((i, k) => (out.perInput[i] = outcome.results[k]));
      out.refused.push(...outcome.refused);
      out.workersUsed = outcome.workers;
    } catch {
      // Workers could not run here (resource limits, a sandbox): the same work in this thread is slower, not wrong.
      for (const i of indices) out.perInput[i] ??= (await analyzer()).analyze([gathered.inputs[i].input], analyzeOptions);
    }
  }
  progress.done();
  return out;
}

function writeDumpFacts(facts: unknown[], target: string, io: CliIo): void {
  const json = `${JSON.stringify(facts, null, 2)}\n`;
  if (target === '-') {
    io.stdout.write(json);
    return;
  }
  try {
    fs.writeFileSync(path.resolve(io.cwd, target), json);
  } catch (e) {
    throw new UsageError(`--dump-facts ${target}: ${(e as Error).message}`);
  }
}

/**
 * The context a patch is reviewed with: `--tree DIR`, else (unless --no-tree) the kernel tree the command runs in;
 * blobs from `--repo DIR`, else (unless --no-tree) the working directory's repository.
 */
function reviewContext(options: CliOptions, io: CliIo): { tree?: TreeReader; blobs?: BlobReader } {
  let tree: TreeReader | undefined;
  let blobs: BlobReader | undefined;
  if (options.tree !== undefined) {
    try {
      tree = createTreeReader(path.resolve(io.cwd, options.tree));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  if (options.repo !== undefined) {
    blobs = createBlobReader(path.resolve(io.cwd, options.repo));
    if (!blobs) throw new UsageError(`--repo ${options.repo}: not a git repository`);
  }
  if (options.noTree) return { tree, blobs };
  const top = gitTopLevel(io.cwd);
  if (!tree) {
    const kernel = findKernelTree([top, io.cwd]);
    if (kernel) tree = createTreeReader(kernel);
  }
  if (!blobs && top) blobs = createBlobReader(top);
  return { tree, blobs };
}

async function review(options: CliOptions, io: CliIo): Promise<number> {
  const { tree, blobs } = reviewContext(options, io);
  const analyzeOptions: AnalyzeOptions = { target: options.target, rules: options.rules, readFile: tree?.readFile, readBlob: blobs?.readBlob };
  const meta = reportMeta(options);

  if (options.b4Check || options.b4Review) {
    const content = await io.readStdin();
    const analyzer = await createNodeAnalyzer();
    const result = analyzer.analyze([{ path: STDIN_PATH, content }], analyzeOptions);
    result.problems.push(...treeProblems(tree, tree?.refused ?? [], options.tree ?? tree?.root, options.tree !== undefined));
    if (result.stats.reviewed === 0 && result.stats.failed > 0) {
      io.stderr.write(`${singleProblemLine(result.problems)}\n`);
      return 2;
    }
    if (options.b4Check) {
      io.stdout.write(formatB4Check(result, '-'));
      // b4 counts every stderr line as a failure: only unusable parts of the message go there.
      for (const p of result.problems.filter((x) => x.kind === 'failed')) io.stderr.write(`${formatProblem(p)}\n`);
    } else {
      io.stdout.write(formatB4Review(result, ruleMetas(), meta));
    }
    return 0;
  }

  if (options.inputs.length === 0 && options.gitRanges.length === 0) {
    throw new UsageError("no input: give FILE, DIR, '-' for standard input, or --git RANGE (see --help)");
  }

  const started = Date.now();
  const gathered = await gatherInputs(options, io);
  const { perInput, workersUsed, refused } = await analyzeGathered(gathered, options, analyzeOptions, tree, io);

  // Unreadable inputs keep their place among the others so the output follows the order given.
  const ordered: AnalysisResult[] = [];
  const unreadableAt = new Map<number, AnalysisResult[]>();
  for (const u of gathered.unreadable) unreadableAt.set(u.at, [...(unreadableAt.get(u.at) ?? []), u.result]);
  for (let i = 0; i <= perInput.length; i++) {
    ordered.push(...(unreadableAt.get(i) ?? []));
    const r = perInput[i];
    if (r) ordered.push(r);
  }
  const result = mergeResults(ordered, Date.now() - started);
  result.problems.push(...treeProblems(tree, [...(tree?.refused ?? []), ...refused], options.tree ?? tree?.root, options.tree !== undefined));

  const unusable = gathered.fatal.length > 0 || (result.stats.reviewed === 0 && result.stats.failed > 0);
  if (options.dumpFacts !== '-') {
    if (options.format === 'json') io.stdout.write(formatJson(result, meta, { workers: workersUsed }));
    else if (options.format === 'sarif') io.stdout.write(formatSarif(result, ruleMetas(), meta));
    else io.stdout.write(formatText(result, { traces: options.traces, lineOf: inputLineLookup(gathered.inputs.map((g) => g.input)) }));
  }
  if (unusable) {
    io.stderr.write(`${singleProblemLine(gathered.fatal.length > 0 ? gathered.fatal : result.problems)}\n`);
    return 2;
  }
  for (const p of result.problems) io.stderr.write(`${formatProblem(p)}\n`);
  return hasErrors(result) ? 1 : 0;
}

/** Runs the command; never throws (every failure becomes one stderr line and status 2). */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const options = parseArgs(argv, resolveRuleName);
    if (options.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    if (options.version) {
      io.stdout.write(`iommu-review ${toolVersion()}\n`);
      return 0;
    }
    if (options.listRules) {
      io.stdout.write(options.format === 'json' ? `${JSON.stringify(ruleMetas(), null, 2)}\n` : listRulesText(ruleMetas()));
      return 0;
    }
    if (options.explain !== undefined) {
      io.stdout.write(explainRule(options.explain));
      return 0;
    }
    return await review(options, io);
  } catch (e) {
    const detail = (e instanceof Error ? e.message : String(e)).replace(/^iommu-review: /, '');
    const message = e instanceof ArgsError || e instanceof UsageError ? detail : `internal error: ${detail}`;
    io.stderr.write(`iommu-review: ${message.split(/\r?\n/)[0]}\n`);
    return 2;
  }
}

function readProcessStdin(): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks)));
    process.stdin.on('error', reject);
  });
}

/**
 * True when the run reviews little code: no directory and no big file among the inputs (unparsable arguments count as
 * small; run() reports them).
 */
function smallRun(argv: readonly string[]): boolean {
  try {
    const options = parseArgs(argv, resolveRuleName);
    return options.inputs.every((p) => {
      if (p === '-') return true;
      const stat = fs.statSync(p, { throwIfNoEntry: false });
      return !stat || (!stat.isDirectory() && stat.size < WORKER_MIN_BYTES);
    });
  } catch {
    return true;
  }
}

if (require.main === module) {
  // WHY: a short run otherwise waits ~0.5 s on V8 tiering the grammar wasm up; big scans (measured) gain from TurboFan.
  if (smallRun(process.argv.slice(2))) v8.setFlagsFromString('--liftoff-only');
  // A crash must still honour the contract: one line, status 2, no stack trace.
  const crash = (e: unknown) => {
    process.stderr.write(`iommu-review: internal error: ${(e instanceof Error ? e.message : String(e)).split(/\r?\n/)[0]}\n`);
    process.exit(2);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  // A closed pipe (`iommu-review dir | head`) is not an error worth a message.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  void run(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    readStdin: readProcessStdin,
    cwd: process.cwd(),
    env: process.env,
  }).then((code) => {
    process.exitCode = code;
  });
}
