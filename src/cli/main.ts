/**
 * The `iommu-review` command (bundled to dist/cli.js). A thin host: it reads files, standard input and git
 * ranges, hands bytes to the pure core, prints one of the formats, and maps the outcome to the exit status
 * of the command-line contract (0 clean, 1 error findings, 2 unusable arguments or input — one stderr line).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import type { AnalysisResult, AnalyzeInput, AnalyzeOptions, Finding, InputProblem } from '../core/types';
import { RULES, findRule } from '../rules';
import type { RuleMeta } from '../rules/types';
import { DEFAULT_META, formatProblem, type ReportMeta } from '../format/common';
import { TextReportStream, commitAtLine, sourceAtLine, type TextOptions } from '../format/text';
import { JsonReportStream } from '../format/json';
import { SarifReportStream } from '../format/sarif';
import { formatB4Check, formatB4Review } from '../format/b4';
import { ArgsError, USAGE, parseArgs, type CliOptions } from './args';
import { MAX_INPUT_BYTES, expandPaths, isCSourcePath, readInputFile, tooLargeProblem } from './inputs';
import { createTreeReader, findKernelTree, type TreeReader } from './tree';
import { createBlobReader, gitFormatPatch, gitInputPath, gitTopLevel, type BlobReader } from './git';
import { addInputStats, emptyResult, failedInputResult, splitByInput } from './merge';
import { spooledDetailStore } from './spool';
import { createProgress, progressEnabled, type ProgressStream } from './progress';
import { startWorkerPool, workerScriptPath, type PoolOutcome, type WorkerPool } from './pool';
import type { WorkerSetup } from './worker';
import { createNodeAnalyzer } from './analyzer';
import { analyzeChunked, analyzeChunkedInWorkers, chunkTimeBudgetMs, CHUNK_THRESHOLD } from './chunked';
import { directoryScreen, mayYieldFindings, prefilterVocabulary } from './prefilter';
import { serve } from './server';
import { socketPath } from './server-socket';
import { runV8Flags } from './run-size';
import type { Analyzer } from '../review/analyze';

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: ProgressStream;
  readStdin(): Promise<Buffer>;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export const STDIN_PATH = '<stdin>';
/**
 * Without an explicit --jobs, a directory scan uses workers only when it is big: each worker pays a few hundred
 * milliseconds of CPU to start the WebAssembly parser and warm up, while a small C file takes a few milliseconds to
 * review. The pool starts as soon as the screen has let this much through (ScanFeed), so a MiB, not the scan's
 * total: files that pass the screen take ~0.1 s each to replay, and the workers then run alongside the screen.
 */
const WORKER_MIN_FILES = 16;
const WORKER_MIN_BYTES = 1024 * 1024;
/**
 * A directory scan that finds at least this many C files starts the pool before its screen passes any: screening them
 * takes ~0.2 s or more (55 µs a file on 6.12 drivers/), a worker ~70 ms to start. Otherwise the pool waited for
 * WORKER_MIN_FILES to pass, and in drivers/ one core idled for the first second while the screen ran alone.
 */
const WORKER_EARLY_START_C_FILES = 4000;

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
  /** Results decided without analysis (unreadable inputs, C files the scan's screen passed over), with their position. */
  unreadable: { at: number; result: AnalysisResult }[];
  /** A path named on the command line that does not exist: the run ends with status 2. */
  fatal: InputProblem[];
  /** Entries of scanned directories that were not read (special files, links leading out): listed, not fatal. */
  notes: InputProblem[];
}

/** Standard input with the files' size limit: a problem instead of bytes past it (`yes | iommu-review -`). */
async function readStdinCapped(io: CliIo): Promise<{ content: Uint8Array } | { problem: InputProblem }> {
  const content = await io.readStdin();
  if (content.length > MAX_INPUT_BYTES) return { problem: tooLargeProblem(STDIN_PATH, `more than ${MAX_INPUT_BYTES} bytes`) };
  return { content };
}

/**
 * The C files of a directory scan go to worker threads while the scan is still reading and screening the tree:
 * the pool starts once the files passed so far make the scan worth workers (the same rule as on the whole scan:
 * counts only grow), and from then on each file is queued as soon as it is read.
 */
class ScanFeed {
  /** Indexes (in Gathered.inputs) of the inputs given to the pool, in the pool's order. */
  readonly toWorkers: number[] = [];
  private pool: WorkerPool | undefined;
  private readonly waiting: { at: number; input: AnalyzeInput }[] = [];
  private bytes = 0;
  private progress: { tick(label: string): void } | undefined;
  private readonly ticks: string[] = [];
  private lastYield = 0;

  constructor(
    private readonly options: CliOptions,
    private readonly jobs: number,
    private readonly script: string | undefined,
    /** Made when the pool starts: only a directory scan pays for resolving the tree (a git child) up front. */
    private readonly setup: () => WorkerSetup,
  ) {}

  /** The directory scan found this many C files: a big scan starts its workers now (WORKER_EARLY_START_C_FILES). */
  expect(cFiles: number): void {
    if (this.pool || this.jobs <= 1 || this.script === undefined || this.options.jobs !== undefined || cFiles < WORKER_EARLY_START_C_FILES) return;
    this.startPool();
  }

  private startPool(): void {
    this.pool = startWorkerPool(this.setup(), this.jobs, this.script as string, (done) => (this.progress ? this.progress.tick(done.path) : this.ticks.push(done.path)));
  }

  /** A gathered input at index `at`; scanned C files may start the pool or join it. */
  offer(at: number, input: AnalyzeInput, fromDirectory: boolean): void {
    if (!fromDirectory || !isCSourcePath(input.path) || this.jobs <= 1 || this.script === undefined) return;
    if (this.pool) {
      this.give(at, input);
      return;
    }
    this.waiting.push({ at, input });
    this.bytes += input.content.length;
    const n = this.waiting.length;
    const worth = this.options.jobs !== undefined ? n >= 2 : n >= WORKER_MIN_FILES && this.bytes >= WORKER_MIN_BYTES;
    if (!worth) return;
    this.startPool();
    for (const w of this.waiting.splice(0)) this.give(w.at, w.input);
  }

  private give(at: number, input: AnalyzeInput): void {
    this.toWorkers.push(at);
    this.pool?.add(input);
  }

  /** While workers run, the reading loop lets their messages in now and then (it reads synchronously). */
  async breathe(): Promise<void> {
    if (!this.pool) return;
    const now = Date.now();
    if (now - this.lastYield < 10) return;
    this.lastYield = now;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** The progress bar, once the number of inputs is known (files finished before then are ticked now). */
  showProgress(progress: { tick(label: string): void }): void {
    this.progress = progress;
    for (const label of this.ticks.splice(0)) progress.tick(label);
  }

  /** No more inputs: the pool's outcome, or undefined when the scan did not use workers. */
  finish(): Promise<PoolOutcome> | undefined {
    return this.pool?.close();
  }

  /** The run stopped early: running workers would keep the process alive. */
  abandon(): void {
    this.pool?.stop();
  }
}

/** Threads a directory scan may use: --jobs, else up to two (one per core). */
function scanJobs(options: CliOptions): number {
  return options.jobs ?? Math.min(2, Math.max(1, os.cpus().length));
}

async function gatherInputs(options: CliOptions, io: CliIo, feed?: ScanFeed): Promise<Gathered> {
  const gathered: Gathered = { inputs: [], unreadable: [], fatal: [], notes: [] };
  const expanded = expandPaths(options.inputs);
  for (const p of expanded.problems) {
    gathered.fatal.push(p);
    gathered.unreadable.push({ at: 0, result: failedInputResult(p) });
  }
  gathered.notes = expanded.notes;

  const files = expanded.files;
  feed?.expect(files.reduce((n, f) => (f.fromDirectory && isCSourcePath(f.path) ? n + 1 : n), 0));
  const screen = directoryScreen(options);
  for (let i = 0; i <= files.length; i++) {
    if (i === expanded.stdinIndex) {
      const read = await readStdinCapped(io);
      if ('problem' in read) {
        gathered.fatal.push(read.problem);
        gathered.unreadable.push({ at: gathered.inputs.length, result: failedInputResult(read.problem) });
      } else gathered.inputs.push({ input: { path: STDIN_PATH, content: read.content }, fromDirectory: false });
    }
    if (i === files.length) break;
    const read = screen.read(files[i]) ?? readInputFile(files[i].path);
    if ('problem' in read) {
      if (!files[i].fromDirectory) gathered.fatal.push(read.problem);
      gathered.unreadable.push({ at: gathered.inputs.length, result: failedInputResult(read.problem) });
    } else if ('decided' in read) {
      // A scanned C file decided without parsing (nothing to find, or too big): its content is not kept.
      gathered.unreadable.push({ at: gathered.inputs.length, result: read.decided });
    } else {
      const input: AnalyzeInput = { path: files[i].path, content: read.content };
      gathered.inputs.push({ input, fromDirectory: files[i].fromDirectory });
      feed?.offer(gathered.inputs.length - 1, input, files[i].fromDirectory);
    }
    await feed?.breathe();
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

/**
 * Lines of the inputs as read (for quoting under findings). Each input gets a table of line starts on first use
 * (4 bytes a line) and a line is decoded only when quoted: splitting a 200 MB archive into strings would cost GBs.
 */
function inputLineLookup(inputs: readonly AnalyzeInput[]): (p: string, line: number) => string | undefined {
  const tables = new Map<string, { bytes: Uint8Array; starts: Uint32Array | Float64Array; count: number }>();
  const decoder = new TextDecoder('utf-8', { fatal: false });
  return (p, line) => {
    let table = tables.get(p);
    if (!table) {
      const input = inputs.find((i) => i.path === p);
      if (!input) return undefined;
      const bytes = typeof input.content === 'string' ? new TextEncoder().encode(input.content) : input.content;
      let count = 1;
      for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) count++;
      const starts = bytes.length < 2 ** 32 ? new Uint32Array(count) : new Float64Array(count);
      let k = 1;
      for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) starts[k++] = i + 1;
      table = { bytes, starts, count };
      tables.set(p, table);
    }
    if (line < 1 || line > table.count) return undefined;
    const start = table.starts[line - 1];
    let end = line < table.count ? table.starts[line] - 1 : table.bytes.length;
    if (end > start && table.bytes[end - 1] === 13) end--;
    // A quoted line is one line of context, not a dump: very long lines are cut.
    const text = decoder.decode(table.bytes.subarray(start, Math.min(end, start + 4096)));
    return end - start > 4096 ? `${text}…` : text;
  };
}

/** Colour on a terminal unless NO_COLOR is set (https://no-color.org) or TERM=dumb; --color=always|never decide. */
export function useColor(when: CliOptions['color'], stdout: unknown, env: NodeJS.ProcessEnv): boolean {
  if (when !== 'auto') return when === 'always';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return (stdout as { isTTY?: boolean }).isTTY === true && env.TERM !== 'dumb';
}

function textOptions(options: CliOptions, io: CliIo, inputs: readonly AnalyzeInput[]): TextOptions {
  const lineAt = inputLineLookup(inputs);
  return {
    traces: options.traces,
    verbose: options.verbose,
    layout: options.layout,
    quiet: options.quiet,
    color: useColor(options.color, io.stdout, io.env),
    lineOf: lineAt,
    commitOf: (p, line) => commitAtLine((n) => lineAt(p, n), line),
    sourceOf: (p, line) => sourceAtLine((n) => lineAt(p, n), line),
  };
}

interface Analysed {
  workersUsed: number;
  /** --tree paths the workers refused (the in-process reader keeps its own list). */
  refused: string[];
}

/**
 * Hands each input's result to `sink` in the inputs' order (unreadable inputs at their place) as soon as every
 * input before it is out, then lets it go: results are not kept for the end of the run.
 */
class InOrder {
  private next = 0;
  private unreadableDone = -1;
  private readonly ready: (AnalysisResult | undefined)[];
  constructor(
    private readonly count: number,
    private readonly unreadableAt: Map<number, AnalysisResult[]>,
    private readonly sink: (r: AnalysisResult) => void,
  ) {
    this.ready = new Array(count);
  }
  put(i: number, r: AnalysisResult): void {
    this.ready[i] = r;
    this.drain();
  }
  /** Emits what can be emitted; returns the index of the first input still missing. */
  drain(): number {
    for (;;) {
      if (this.unreadableDone < this.next) {
        for (const r of this.unreadableAt.get(this.next) ?? []) this.sink(r);
        this.unreadableDone = this.next;
      }
      if (this.next >= this.count) return this.next;
      const r = this.ready[this.next];
      if (!r) return this.next;
      this.ready[this.next] = undefined;
      this.sink(r);
      this.next++;
    }
  }
}

/**
 * Reviews the gathered inputs: C files found by a directory scan may go to worker threads (see WORKER_MIN_*),
 * everything else (patches, mails, a series in one mbox or in separate patch files) is analysed here in one analyze()
 * call, except a very large input, which is reviewed on its own in chunks whose findings stream straight to `sink`.
 */
async function analyzeGathered(
  gathered: Gathered,
  options: CliOptions,
  analyzeOptions: AnalyzeOptions,
  tree: TreeReader | undefined,
  io: CliIo,
  sink: (r: AnalysisResult) => void,
  /** The reviewer's repository the blobs come from (worker threads open their own reader on it). */
  repo: string | undefined,
  /** The directory scan's worker pool, fed while the inputs were gathered. */
  feed: ScanFeed,
): Promise<Analysed> {
  const out: Analysed = { workersUsed: 0, refused: [] };
  const unreadableAt = new Map<number, AnalysisResult[]>();
  for (const u of gathered.unreadable) {
    const list = unreadableAt.get(u.at) ?? [];
    list.push(u.result);
    unreadableAt.set(u.at, list);
  }
  const order = new InOrder(gathered.inputs.length, unreadableAt, sink);
  const workerRun = feed.finish();
  // Awaited below, after the other inputs: a worker failure meanwhile is not an unhandled rejection.
  workerRun?.catch(() => undefined);
  if (gathered.inputs.length === 0) {
    order.drain();
    return out;
  }
  const progress = createProgress(gathered.inputs.length, io.stderr, progressEnabled(io.stderr, io.env));
  feed.showProgress(progress);
  const jobs = scanJobs(options);
  const script = workerScriptPath();
  const toWorkers = new Set(workerRun ? feed.toWorkers : []);

  // Started lazily: a scan that went entirely to workers never pays for a parser here.
  let local: Promise<Analyzer> | undefined;
  const analyzer = () => (local ??= createNodeAnalyzer());

  // The other inputs go to one analyze() call, so a series given as separate patch files is reviewed as one series.
  const together: number[] = [];
  const chunked: number[] = [];
  for (let i = 0; i < gathered.inputs.length; i++) {
    if (toWorkers.has(i)) continue;
    if (gathered.inputs[i].input.content.length <= CHUNK_THRESHOLD) together.push(i);
    else chunked.push(i);
  }
  if (together.length > 0) {
    const a = await analyzer();
    const inputs = together.map((i) => gathered.inputs[i].input);
    const parts = splitByInput(a.analyze(inputs, analyzeOptions), inputs.map((x) => x.path));
    together.forEach((i, k) => {
      order.put(i, parts[k]);
      progress.tick(inputs[k].path);
    });
  }
  if (options.dumpFacts !== undefined) {
    const a = await analyzer();
    writeDumpFacts(gathered.inputs.map((g) => a.dumpFacts(g.input, analyzeOptions)), options.dumpFacts, io);
  }
  if (workerRun) {
    const indices = feed.toWorkers;
    try {
      const outcome = await workerRun;
      indices.forEach((i, k) => order.put(i, outcome.results[k]));
      for (const r of outcome.refused) out.refused.push(r);
      out.workersUsed = outcome.workers;
    } catch {
      // Workers could not run here (resource limits, a sandbox): the same work in this thread is slower, not wrong.
      for (const i of indices) order.put(i, (await analyzer()).analyze([gathered.inputs[i].input], analyzeOptions));
    }
  }
  // Last, once every input before them is out: a very large input streams its findings chunk by chunk (chunked.ts),
  // its chunks reviewed on worker threads (same result, same order as one thread) unless --jobs 1; a worker's start-up
  // (a second of CPU) is small beside a 16 MB input's review.
  for (const i of chunked) {
    order.drain();
    const input = gathered.inputs[i].input;
    const emit = (part: Pick<AnalysisResult, 'findings' | 'problems'>): void =>
      sink({ findings: part.findings, problems: part.problems, inputs: [], stats: { inputs: 0, reviewed: 0, skipped: 0, failed: 0, findings: 0, ms: 0 } });
    const local = async () => {
      const a = await analyzer();
      return (inputs: AnalyzeInput[], o: AnalyzeOptions) => a.analyze(inputs, o);
    };
    // The directory scan's prefilter, on each C image of the archive: a file that names nothing the rules use is
    // counted, not parsed (most of a thread archive; same findings, see test/unit/hostile-huge.test.ts).
    const vocabulary = options.prefilter ? prefilterVocabulary(options.target) : undefined;
    const chunkOptions: AnalyzeOptions = vocabulary ? { ...analyzeOptions, screen: (text) => mayYieldFindings(text, vocabulary) } : analyzeOptions;
    let summary: AnalysisResult;
    const budgetMs = chunkTimeBudgetMs(input.content.length, options.timeBudget);
    if (jobs > 1 && script !== undefined) {
      const setup = { options: { target: options.target, rules: options.rules }, treeDir: tree?.root, repoDir: repo, screen: options.prefilter };
      const outcome = await analyzeChunkedInWorkers(local, input, chunkOptions, { script, setup, jobs }, emit, undefined, budgetMs);
      summary = outcome.result;
      for (const r of outcome.refused) out.refused.push(r);
      out.workersUsed = Math.max(out.workersUsed, outcome.workers);
    } else summary = analyzeChunked(await local(), input, chunkOptions, undefined, emit, budgetMs);
    order.put(i, { ...summary, findings: [], problems: [], inputs: [] });
    progress.tick(input.path);
  }
  order.drain();
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

interface ReviewContext {
  /** The callbacks analyze() takes; undefined when there is nothing to read from. */
  readFile?: (relativePath: string) => string | undefined;
  readBlob?: (spec: string) => string | undefined;
  /** The tree and the repository, looked up now if that has not happened yet (worker threads need their paths). */
  resolve(): { tree?: TreeReader; blobs?: BlobReader };
  /** Those known so far: a look-up that never ran was never needed, so nothing was read or refused through it. */
  known(): { tree?: TreeReader; blobs?: BlobReader };
}

/**
 * The context a patch is reviewed with: `--tree DIR`, else (unless --no-tree) the kernel tree the command runs in;
 * blobs from `--repo DIR`, else (unless --no-tree) the working directory's repository. The implicit look-up (two
 * `git rev-parse` children, ~10 ms of a cold review) runs on the analysis's first read: a patch that only adds
 * files, or a bare C file, never reads either, and its review is the same without them.
 */
function reviewContext(options: CliOptions, io: CliIo): ReviewContext {
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
  const given = { tree, blobs };
  if (options.noTree) return { readFile: tree?.readFile, readBlob: blobs?.readBlob, resolve: () => given, known: () => given };
  let found: { tree?: TreeReader; blobs?: BlobReader } | undefined;
  const resolve = (): { tree?: TreeReader; blobs?: BlobReader } => {
    if (found) return found;
    const top = gitTopLevel(io.cwd);
    let kernelTree = tree;
    if (!kernelTree) {
      const kernel = findKernelTree([top, io.cwd]);
      if (kernel) kernelTree = createTreeReader(kernel);
    }
    found = { tree: kernelTree, blobs: blobs ?? (top ? createBlobReader(top) : undefined) };
    return found;
  };
  return {
    readFile: tree ? tree.readFile : (p) => resolve().tree?.readFile(p),
    readBlob: blobs ? blobs.readBlob : (spec) => resolve().blobs?.readBlob(spec),
    resolve,
    known: () => found ?? given,
  };
}

async function review(options: CliOptions, io: CliIo): Promise<number> {
  const context = reviewContext(options, io);
  const analyzeOptions: AnalyzeOptions = { target: options.target, rules: options.rules, readFile: context.readFile, readBlob: context.readBlob };
  const meta = reportMeta(options);

  if (options.b4Check || options.b4Review) {
    const read = await readStdinCapped(io);
    // b4 always pipes a message: nothing at all (closed or empty stdin) is a broken set-up, never a pass.
    if ('problem' in read || read.content.every((b) => b === 32 || b === 9 || b === 10 || b === 13)) {
      io.stderr.write(`${formatProblem('problem' in read ? read.problem : { path: STDIN_PATH, message: 'empty input: no message to review', kind: 'failed' })}\n`);
      return 2;
    }
    const analyzer = await createNodeAnalyzer();
    const result = analyzer.analyze([{ path: STDIN_PATH, content: read.content }], analyzeOptions);
    const { tree } = context.known();
    for (const p of treeProblems(tree, tree?.refused ?? [], options.tree ?? tree?.root, options.tree !== undefined)) result.problems.push(p);
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
  const feed = new ScanFeed(options, scanJobs(options), workerScriptPath(), () => ({ options: { target: options.target, rules: options.rules }, treeDir: context.resolve().tree?.root }));
  let gathered: Gathered;
  try {
    gathered = await gatherInputs(options, io, feed);
  } catch (e) {
    feed.abandon();
    throw e;
  }
  const stdout = bufferedOutput(io.stdout);
  const report = options.dumpFacts === '-' ? undefined : createReport(options, io, meta, gathered, stdout.write);
  const totals = { problems: [...gathered.notes] as InputProblem[], stats: emptyResult().stats, errors: 0 };
  const sink = (r: AnalysisResult): void => {
    for (const f of r.findings) {
      report?.finding(f);
      totals.stats.findings++;
      if (f.severity === 'error') totals.errors++;
    }
    for (const p of r.problems) totals.problems.push(p);
    addInputStats(totals.stats, r.stats);
  };
  // Worker threads (directory scans, very large inputs) are handed the tree's and the repository's paths up front.
  const upfront = gathered.inputs.some((g) => g.fromDirectory || g.input.content.length > CHUNK_THRESHOLD);
  const { tree, blobs } = upfront ? context.resolve() : context.known();
  let analysed: Analysed;
  try {
    analysed = await analyzeGathered(gathered, options, analyzeOptions, tree, io, sink, blobs?.repo, feed);
  } catch (e) {
    report?.abandon?.();
    feed.abandon();
    throw e;
  }
  totals.stats.ms = Date.now() - started;
  const reviewedIn = context.known().tree;
  for (const p of treeProblems(reviewedIn, [...(reviewedIn?.refused ?? []), ...analysed.refused], options.tree ?? reviewedIn?.root, options.tree !== undefined)) {
    totals.problems.push(p);
  }
  report?.end({ problems: totals.problems, stats: totals.stats }, { workers: analysed.workersUsed });
  stdout.flush();

  const unusable = gathered.fatal.length > 0 || (totals.stats.reviewed === 0 && totals.stats.failed > 0);
  if (unusable) {
    io.stderr.write(`${singleProblemLine(gathered.fatal.length > 0 ? gathered.fatal : totals.problems)}\n`);
    return 2;
  }
  for (const p of totals.problems) io.stderr.write(`${formatProblem(p)}\n`);
  return totals.errors > 0 ? 1 : 0;
}

/** Output text gathered into 64 KB writes (a write per finding would be a system call per finding). */
function bufferedOutput(out: CliIo['stdout']): { write: (text: string) => void; flush: () => void } {
  let parts: string[] = [];
  let size = 0;
  const flush = (): void => {
    if (parts.length === 0) return;
    out.write(parts.join(''));
    parts = [];
    size = 0;
  };
  return {
    write: (text) => {
      parts.push(text);
      size += text.length;
      if (size >= 64 * 1024) flush();
    },
    flush,
  };
}

interface ReportOutput {
  finding(f: Finding): void;
  end(result: Pick<AnalysisResult, 'problems' | 'stats'>, extra: Record<string, unknown>): void;
  /** Releases what the report holds outside memory (spooled details) if the run stops early. */
  abandon?(): void;
}

/** The chosen format, written as the findings arrive (see the streams in src/format). */
function createReport(options: CliOptions, io: CliIo, meta: ReportMeta, gathered: Gathered, write: (text: string) => void): ReportOutput {
  if (options.format === 'json') {
    const details = spooledDetailStore();
    const stream = new JsonReportStream(write, meta, details);
    return {
      finding: (f) => stream.finding(f),
      end: (r, extra) => {
        stream.end(r, extra);
        details.dispose();
      },
      abandon: () => details.dispose(),
    };
  }
  if (options.format === 'sarif') {
    const stream = new SarifReportStream(write, ruleMetas(), meta);
    return { finding: (f) => stream.finding(f), end: (r) => stream.end(r) };
  }
  const stream = new TextReportStream(write, textOptions(options, io, gathered.inputs.map((g) => g.input)));
  return { finding: (f) => stream.finding(f), end: (r) => stream.end(r.stats) };
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
    if (options.server) return await serve(socketPath(io.env), run, io.stderr);
    return await review(options, io);
  } catch (e) {
    const detail = (e instanceof Error ? e.message : String(e)).replace(/^iommu-review: /, '');
    const message = e instanceof ArgsError || e instanceof UsageError ? detail : `internal error: ${detail}`;
    io.stderr.write(`iommu-review: ${message.split(/\r?\n/)[0]}\n`);
    return 2;
  }
}

/** Standard input up to one byte past the size limit (then reading stops: `yes | iommu-review -` must end). */
function readProcessStdin(): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks, total));
    };
    process.stdin.on('data', (c: Buffer) => {
      if (done) return;
      chunks.push(c);
      total += c.length;
      if (total > MAX_INPUT_BYTES) {
        process.stdin.pause();
        process.stdin.destroy();
        finish();
      }
    });
    process.stdin.on('end', finish);
    process.stdin.on('close', finish);
    process.stdin.on('error', (e) => (done ? undefined : reject(e)));
  });
}

/** The command: called by the thin client (dist/cli.js) when no review server answers; `stdin` is what it already read. */
export function cliMain(stdin?: Buffer): void {
  // WHY: a short run otherwise waits ~0.5 s on V8 tiering the grammar wasm up; big scans (measured) gain from TurboFan,
  // optimising later (run-size.ts). The thin client has set the same flags already; setting them twice changes nothing.
  const v8Flags = runV8Flags(process.argv.slice(2));
  if (v8Flags) v8.setFlagsFromString(v8Flags.flags);
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
    readStdin: stdin ? async () => stdin : readProcessStdin,
    cwd: process.cwd(),
    env: process.env,
  }).then((code) => {
    process.exitCode = code;
  });
}

if (require.main === module) cliMain();
