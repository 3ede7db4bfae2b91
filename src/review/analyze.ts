/**
 * analyze(): the one entry point both hosts use. input → views → facts → rules → findings.
 * Pure (hosts pass bytes and a readFile callback) and total: every failure becomes an InputProblem.
 * It sits above the rules (it runs the registry through the engine and maps reports to the user's file); the layers
 * below it (src/core) know nothing of rules.
 */
import type {
  AnalysisResult,
  AnalyzeInput,
  AnalyzeOptions,
  CFacts,
  CView,
  DriverVerdict,
  FileDiff,
  Finding,
  Fix,
  FunctionFact,
  ImageSpan,
  InputProblem,
  KernelTarget,
  ParsedInput,
  Patch,
  TopologyKind,
  TraceStep,
  UserLocation,
} from '../core/types';
import { fullViews, hunkViews, isCPath, parseInput } from '../core/input';
import { extractFacts, initC } from '../core/c';
import { closeAcrossGaps } from '../core/c/gap-closing';
import { nameFromHeadings } from '../core/c/hunk-headings';
import { isCoreOrBusCode } from '../core/sim/file-role';
import { hasManagedDma } from '../core/sim/vocabulary';
import { limitProblems } from '../core/limits';
import { blobMatches, gitBlobId, isNullBlob } from '../core/git-blob';
import { patchEvidence } from '../core/patch-evidence';
import { RULES } from '../rules';
import { createSimQueries, resolveSeverity, runRules, type RuleReport } from '../rules/engine';
import { formatMessage, type Report, type Rule, type SimQueries } from '../rules/types';
import { reviewKey, reviewMemo } from './review-memo';

export interface DumpedFacts {
  path: string;
  patches: { subject: string; files: { path: string; post?: CFacts; pre?: CFacts }[] }[];
  problems: InputProblem[];
}

export interface Analyzer {
  analyze(inputs: AnalyzeInput[], options?: AnalyzeOptions): AnalysisResult;
  dumpFacts(input: AnalyzeInput, options?: AnalyzeOptions): DumpedFacts;
}

/** Initialises the C parser once (wasm bytes come from the host), then analyses synchronously. */
export async function createAnalyzer(wasm: { runtime?: Uint8Array; language: Uint8Array }): Promise<Analyzer> {
  await initC({ runtime: wasm.runtime, language: wasm.language });
  return {
    analyze: (inputs, options = {}) => analyzeInputs(inputs, options, RULES),
    dumpFacts: (input, options = {}) => dumpInputFacts(input, options),
  };
}

const VERDICT_TOPOLOGIES: readonly TopologyKind[] = ['singleton', 'shared-dma-api', 'user-owned'];

// ───────────────────────────── per-image work ─────────────────────────────

interface Image {
  view: CView;
  facts: CFacts;
}

/** One C file of one patch (or a bare C file): its images, the rule reports and the problem keys. */
interface FileRun {
  treePath: string;
  /** What the file was judged on: `full file (blob 9653d39)`, `tree`, `hunks only` (or `file` for a bare C file). */
  context: string;
  fileDiff?: FileDiff;
  post?: Image;
  pre?: Image;
  sim?: SimQueries;
  isCoreOrBus: boolean;
  reports: RuleReport[];
  postKeys: Set<string>;
  /** Keys the rules find in the pre-image (problems that existed before this patch). */
  preKeys: Set<string>;
  /** What findings still need once the images and the replay are let go (InputAnalysis.release). */
  released?: { postLines?: LineMap; preLines?: LineMap; postComplete?: boolean };
}

/** The line map of one image of a file, whether the image is still held or was released. */
function linesOf(fr: FileRun, image: 'pre' | 'post'): LineMap | undefined {
  return image === 'pre' ? (fr.pre?.view.inputLines ?? fr.released?.preLines) : (fr.post?.view.inputLines ?? fr.released?.postLines);
}

interface PatchRun {
  patch?: Patch;
  /** Which member (input file) of the analysis this patch came from. */
  member: number;
  files: FileRun[];
}

/** One input file of an analysis, parsed up front so separate patch files of one series can be grouped. */
interface Member {
  input: AnalyzeInput;
  parsed?: ParsedInput;
  problems: InputProblem[];
}

function parseMember(input: AnalyzeInput, options: AnalyzeOptions): Member {
  try {
    const parsed = parseInput(input.path, input.content, options.limits);
    return { input, parsed, problems: [...parsed.problems] };
  } catch (e) {
    return { input, problems: [{ path: input.path, message: `could not read the input: ${reason(e)}`, kind: 'failed' }] };
  }
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function lineCount(text: string): number {
  let n = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return text.endsWith('\n') ? n - 1 : n;
}

/** NUL bytes, or many undecodable bytes and control characters in the first 8 KB: not source text. */
function looksBinary(text: string): boolean {
  const head = text.slice(0, 8192);
  if (head.length === 0) return false;
  let odd = 0;
  for (let i = 0; i < head.length; i++) {
    const c = head.charCodeAt(i);
    if (c === 0) return true;
    if (c === 0xfffd || (c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12)) odd++;
  }
  return odd / head.length > 0.1;
}

function wholeFileView(path: string, text: string): CView {
  return { path, image: 'file', text, complete: true, changedLines: [], visibleLines: [{ from: 1, to: Math.max(1, lineCount(text)) }] };
}

interface ViewsOutcome {
  post?: CView;
  pre?: CView;
  /** Line map from the hunk view, used when a complete view does not carry one. */
  postMap?: CView['inputLines'];
  preMap?: CView['inputLines'];
  problem?: string;
}

/** Views of one file diff: complete when the base text is known (tree copy or earlier patch of the series). */
function viewsFor(file: FileDiff, base: string | undefined): ViewsOutcome {
  const hunks = hunkViews(file);
  const out: ViewsOutcome = { post: hunks.post, pre: hunks.pre, postMap: hunks.post?.inputLines, preMap: hunks.pre?.inputLines };
  if (base === undefined && file.status !== 'added') return out;
  const full = fullViews(base, file);
  if (full.problem !== undefined || (!full.post && !full.pre)) {
    return { ...out, problem: full.problem !== undefined ? String(full.problem) : undefined };
  }
  return { ...out, post: full.post ?? out.post, pre: full.pre ?? out.pre };
}

// ───────────────────────────── location mapping ─────────────────────────────

type LineMap = Record<number, { line: number; column: number }>;

function nearestShown(map: LineMap, line: number): { line: number; column: number } | undefined {
  let best: { line: number; column: number } | undefined;
  let bestDist = Infinity;
  for (const k of Object.keys(map)) {
    const d = Math.abs(Number(k) - line);
    if (d < bestDist) {
      bestDist = d;
      best = map[Number(k)];
    }
  }
  return best;
}

interface MappedSpan {
  location: UserLocation;
  /** False when the image line is not shown in the patch and the nearest shown line was used. */
  exact: boolean;
}

function mapSpan(inputPath: string, map: LineMap | undefined, span: ImageSpan, fallbackLine: number): MappedSpan {
  if (!map) {
    return { location: { path: inputPath, line: span.line, column: span.column, endLine: span.endLine, endColumn: span.endColumn }, exact: true };
  }
  const start = map[span.line];
  if (start) {
    const end = map[span.endLine];
    const location: UserLocation = { path: inputPath, line: start.line, column: start.column + span.column - 1 };
    if (end) {
      location.endLine = end.line;
      location.endColumn = end.column + span.endColumn - 1;
    }
    return { location, exact: true };
  }
  const near = nearestShown(map, span.line);
  if (near) return { location: { path: inputPath, line: near.line, column: near.column }, exact: false };
  return { location: { path: inputPath, line: Math.max(1, fallbackLine), column: 1 }, exact: false };
}

function mapOf(view: CView | undefined, fallback: CView['inputLines']): LineMap | undefined {
  if (!view) return fallback;
  if (view.image === 'file') return undefined;
  return view.inputLines ?? fallback ?? {};
}

function stepText(s: TraceStep): string {
  if (s.before !== undefined && s.after !== undefined && s.before !== s.after) return `${s.step} [${s.before} → ${s.after}]`;
  return s.step;
}

function mapTrace(steps: readonly TraceStep[], inputPath: string, treePath: string, map: LineMap | undefined): Finding['trace'] {
  return steps.map((s) => {
    const out: Finding['trace'][number] = { step: stepText(s), result: s.warn && !s.result.startsWith('WARN') ? `${s.result} (WARN: ${s.warn})` : s.result };
    if (s.at && (s.at.file === treePath || s.at.file === '' || s.at.file === undefined)) {
      const m = mapSpan(inputPath, map, { line: s.at.line, column: s.at.column, endLine: s.at.line, endColumn: s.at.column }, s.at.line);
      out.location = { path: inputPath, line: m.location.line };
    }
    // For readers (text trace, editor views); the JSON contract keeps step/result/location only.
    if (s.phase) out.phase = s.phase;
    if (s.before !== undefined && s.after !== undefined && s.before !== s.after) {
      out.before = s.before;
      out.after = s.after;
    }
    return out;
  });
}

// ───────────────────────────── the analysis ─────────────────────────────

/** One file's review as review-memo.ts keeps it (image coordinates only). */
interface MemoisedReview {
  post?: CFacts;
  pre?: CFacts;
  sim?: SimQueries;
  reports: RuleReport[];
  postKeys: Set<string>;
  preKeys: Set<string>;
  problems: Pick<InputProblem, 'kind' | 'message'>[];
}

class InputAnalysis {
  readonly runs: PatchRun[] = [];
  private readonly memo: ReturnType<typeof reviewMemo<MemoisedReview>>;
  private readonly memoScope: string;

  constructor(
    /** One input, or the separate files of one numbered series in series order (reviewed as one series). */
    readonly members: readonly Member[],
    private readonly options: AnalyzeOptions,
    private readonly rules: readonly Rule[],
    private readonly target: KernelTarget,
    /** false for --dump-facts: facts only. */
    private readonly withRules: boolean,
  ) {
    this.memo = reviewMemo<MemoisedReview>(rules);
    this.memoScope = `${target}\u0000${options.limits?.parseTimeoutMs ?? ''}`;
  }

  private pathOf(member: number): string {
    return this.members[member].input.path;
  }

  fail(member: number, message: string, line?: number): void {
    this.members[member].problems.push({ path: this.pathOf(member), message, line, kind: 'failed' });
  }

  run(): void {
    const first = this.members[0]?.parsed;
    if (this.members.length === 1 && first?.kind === 'c-source') {
      this.runBareFile(first);
      return;
    }
    // Patches in series order; a later patch applies on top of the earlier ones' post-images.
    const patches: { patch: Patch; member: number }[] = [];
    this.members.forEach((m, member) => {
      for (const patch of m.parsed?.patches ?? []) patches.push({ patch, member });
    });
    this.runSeries(patches);
  }

  /** `alsoBuild`: functions to build whatever they mention (buildCounterparts). */
  private facts(view: CView, alsoBuild?: string[]): CFacts {
    return extractFacts(closeAcrossGaps(view), { timeoutMs: this.options.limits?.parseTimeoutMs, ...(alsoBuild ? { alsoBuild } : {}) });
  }

  /**
   * The two images of a modified file are compared function by function (patch evidence, pre-image keys): a function
   * one image built a program for (it mentions something of interest there) gets one in the other image too, even if
   * the patch took out what it mentioned.
   */
  private buildCounterparts(post: Image, pre: Image): void {
    const postMissing = unbuiltCounterparts(post.facts, pre.facts);
    const preMissing = unbuiltCounterparts(pre.facts, post.facts);
    if (postMissing.length) post.facts = this.facts(post.view, postMissing);
    if (preMissing.length) pre.facts = this.facts(pre.view, preMissing);
  }

  private runBareFile(parsed: ParsedInput): void {
    const path = this.pathOf(0);
    if (looksBinary(parsed.text)) {
      // A .c name on random bytes is not C: never counted as reviewed.
      this.fail(0, 'no patch or C source found in the input (binary data)', 1);
      return;
    }
    try {
      const view = wholeFileView(path, parsed.text);
      const facts = this.facts(view);
      const fr: FileRun = {
        treePath: path,
        context: 'file',
        post: { view, facts },
        isCoreOrBus: isCoreOrBusCode(facts),
        reports: [],
        postKeys: new Set(),
        preKeys: new Set(),
      };
      if (this.withRules) this.review(fr, undefined, 0);
      this.runs.push({ member: 0, files: [fr] });
    } catch (e) {
      this.fail(0, `${path}: analysis failed: ${reason(e)}`);
    }
  }

  private readTree(path: string): string | undefined {
    if (!this.options.readFile) return undefined;
    try {
      return this.options.readFile(path);
    } catch {
      return undefined;
    }
  }

  private readBlob(spec: string): string | undefined {
    if (!this.options.readBlob) return undefined;
    try {
      return this.options.readBlob(spec);
    } catch {
      return undefined;
    }
  }

  /** The series' `base-commit:` trailer (git format-patch --base, b4), from any member (searched once: per file it
   * was a scan of the whole input per file, 5 % of a large archive's time). */
  private baseCommitFound?: { commit: string | undefined };
  private baseCommit(): string | undefined {
    if (this.baseCommitFound) return this.baseCommitFound.commit;
    let commit: string | undefined;
    for (const m of this.members) {
      const text = m.parsed?.text;
      const hit = text ? /^base-commit: ([0-9a-f]{7,64})\s*$/m.exec(text) : null;
      if (hit) {
        commit = hit[1];
        break;
      }
    }
    this.baseCommitFound = { commit };
    return commit;
  }

  /**
   * The pre-image of a file the series has not touched yet, and what it is: the blob the `index` line names (from
   * the reviewer's repository), else the file at the `base-commit:`, else the tree's copy (named by its blob id when
   * it is exactly the pre- or post-image). undefined text: hunks only.
   */
  private resolveBase(file: FileDiff, path: string): { text?: string; context: string } {
    const pre = file.blobs?.pre;
    if (pre && !isNullBlob(pre)) {
      const text = this.readBlob(pre);
      if (text !== undefined) return { text, context: `full file (blob ${pre.slice(0, 7)})` };
    }
    const base = this.baseCommit();
    if (base) {
      const text = this.readBlob(`${base}:${path}`);
      if (text !== undefined) return { text, context: `full file (blob ${gitBlobId(text).slice(0, 7)})` };
    }
    const text = this.readTree(path);
    if (text === undefined) return { context: 'hunks only' };
    if (pre && blobMatches(pre, text)) return { text, context: `full file (blob ${pre.slice(0, 7)})` };
    const post = file.blobs?.post;
    if (post && !isNullBlob(post) && blobMatches(post, text)) return { text, context: `full file (blob ${post.slice(0, 7)})` };
    return { text, context: 'tree' };
  }

  private runSeries(patches: readonly { patch: Patch; member: number }[]): void {
    // Current text of each file as the series is applied patch by patch (seeded lazily from git or the tree).
    const current = new Map<string, { text?: string; context: string }>();
    const baseOf = (file: FileDiff): { text?: string; context: string } => {
      const path = file.oldPath;
      if (path === null) return { context: file.status === 'added' ? 'full file (new)' : 'hunks only' };
      if (!current.has(path)) current.set(path, this.resolveBase(file, path));
      const known = current.get(path)!;
      if (known.text === undefined) return known;
      // A later patch of the series: the earlier post-image is this patch's pre-image (its blob id says so).
      const pre = file.blobs?.pre;
      return pre && known.context !== 'tree' && blobMatches(pre, known.text) ? { text: known.text, context: `full file (blob ${pre.slice(0, 7)})` } : known;
    };
    for (const { patch, member } of patches) {
      if (patch.isCover) continue;
      const pr: PatchRun = { patch, member, files: [] };
      let fileIndex = -1;
      for (const file of patch.files) {
        fileIndex++;
        const treePath = file.newPath ?? file.oldPath ?? '';
        if (!isCPath(treePath)) continue;
        if (file.status === 'binary' || file.status === 'combined' || file.status === 'mode-only') continue;
        try {
          this.noteTrimmedQuote(patch, file, member);
          const base = baseOf(file);
          const views = viewsFor(file, base.text);
          if (views.problem !== undefined) {
            this.members[member].problems.push({ path: this.pathOf(member), line: file.inputLine, kind: 'skipped', message: views.problem });
          }
          const context = views.post?.complete || views.pre?.complete ? base.context : 'hunks only';
          // Track the post-image for later patches of the series.
          if (file.oldPath !== null && file.oldPath !== file.newPath) current.set(file.oldPath, { context: 'hunks only' });
          if (file.newPath !== null) current.set(file.newPath, views.post?.complete ? { text: views.post.text, context } : { context: 'hunks only' });
          if (file.status === 'deleted') continue;
          // Only whole images are screened: on hunks alone, rules reason about the unseen rest of the file.
          const screen = this.withRules && views.post?.complete !== false && views.pre?.complete !== false ? this.options.screen : undefined;
          if (screen && !(views.post && screen(views.post.text)) && !(views.pre && screen(views.pre.text))) {
            pr.files.push({ treePath, context, fileDiff: file, isCoreOrBus: false, reports: [], postKeys: new Set(), preKeys: new Set() });
            continue;
          }
          // The same patch on the same base was reviewed before (review-memo.ts): only its place in the input differs.
          const key = this.withRules ? reviewKey(this.memoScope, patch, fileIndex, base.text) : undefined;
          const known = key !== undefined ? this.memo.get(key) : undefined;
          const post = views.post ? { view: { ...views.post, inputLines: mapOf(views.post, views.postMap) }, facts: known ? known.post! : this.facts(views.post) } : undefined;
          const pre = views.pre ? { view: { ...views.pre, inputLines: mapOf(views.pre, views.preMap) }, facts: known ? known.pre! : this.facts(views.pre) } : undefined;
          if (post && pre && !known) this.buildCounterparts(post, pre);
          if (post && !post.view.complete && !known) post.facts = nameFromHeadings(post.facts, file, 'post');
          if (pre && !pre.view.complete && !known) pre.facts = nameFromHeadings(pre.facts, file, 'pre');
          const fr: FileRun = {
            treePath,
            context,
            fileDiff: file,
            post,
            pre,
            isCoreOrBus: post ? isCoreOrBusCode(post.facts) || (pre ? isCoreOrBusCode(pre.facts) : false) : false,
            reports: [],
            postKeys: new Set(),
            preKeys: new Set(),
          };
          if (known) {
            fr.sim = known.sim;
            fr.reports = known.reports.map((r) => ({ ...r }));
            fr.postKeys = new Set(known.postKeys);
            fr.preKeys = new Set(known.preKeys);
            for (const p of known.problems) this.members[member].problems.push({ ...p, path: this.pathOf(member), line: file.inputLine });
          } else if (this.withRules) {
            const before = this.members[member].problems.length;
            this.review(fr, patch, member);
            const timedOut = post?.facts.parse.timedOut || pre?.facts.parse.timedOut; // depends on the machine, not the text
            if (key !== undefined && !timedOut) {
              const problems = this.members[member].problems.slice(before).map((p) => ({ kind: p.kind, message: p.message }));
              this.memo.set(key, { post: post?.facts, pre: pre?.facts, sim: fr.sim, reports: fr.reports.map((r) => ({ ...r })), postKeys: fr.postKeys, preKeys: fr.preKeys, problems });
            }
          }
          pr.files.push(fr);
          if (this.withRules && this.options.verdicts === false) this.release(fr);
        } catch (e) {
          this.fail(member, `${treePath}${patch.subject ? ` (${patch.subject})` : ''}: analysis failed: ${reason(e)}`, file.inputLine);
        }
      }
      this.runs.push(pr);
    }
  }

  /**
   * Without driver verdicts (the chunks of a huge input), nothing reads a reviewed file's facts or replay again:
   * findings need only its line maps. Let go as soon as the file is reviewed, a chunk's heap holds one file's
   * analysis instead of two thousand (they were most of its live heap, and of its garbage collector's time).
   */
  private release(fr: FileRun): void {
    fr.released = { postLines: fr.post?.view.inputLines, preLines: fr.pre?.view.inputLines, postComplete: fr.post?.facts.complete };
    fr.post = undefined;
    fr.pre = undefined;
    fr.sim = undefined;
  }

  /** A reply whose quoted hunk stops short of its @@ counts was trimmed: say so (it is reviewed on what is quoted). */
  private noteTrimmedQuote(patch: Patch, file: FileDiff, member: number): void {
    if (!patch.quoted) return;
    const problems = this.members[member].problems;
    if (problems.some((p) => /trimmed|truncated/.test(p.message))) return; // the input layer already said where
    const short = file.hunks.find((h) => h.truncated);
    if (!short) return;
    problems.push({
      path: this.pathOf(member),
      line: short.inputLine,
      kind: 'skipped',
      message: `quoted hunk trimmed: it has fewer lines than its @@ counts; reviewed what is quoted`,
    });
  }

  private review(fr: FileRun, patch: Patch | undefined, member: number): void {
    if (!fr.post) return;
    for (const message of limitProblems(fr.post.facts)) {
      this.members[member].problems.push({ path: this.pathOf(member), line: fr.fileDiff?.inputLine, kind: 'skipped', message });
    }
    fr.sim = createSimQueries(this.target, fr.post.facts);
    const post = runRules(this.rules, {
      target: this.target,
      facts: fr.post.facts,
      pre: fr.pre?.facts,
      patch,
      isCoreOrBusCode: fr.isCoreOrBus,
      sim: fr.sim,
    });
    fr.reports = post.reports;
    for (const r of post.reports) fr.postKeys.add(r.report.key);
    for (const err of post.errors) this.fail(member, `${fr.treePath}: rule ${err.rule} failed: ${err.message}`, fr.fileDiff?.inputLine);
    // Only what the patch introduces: the same rules over the pre-image name the problems that already existed.
    if (patch && fr.pre) {
      const pre = runRules(this.rules, { target: this.target, facts: fr.pre.facts, patch, isCoreOrBusCode: fr.isCoreOrBus });
      for (const r of pre.reports) fr.preKeys.add(r.report.key);
    }
    if (patch && fr.pre && fr.fileDiff) this.addEvidence(fr, fr.fileDiff);
  }

  /**
   * Hunks only: the pre- and post-image replayed in each world of the unseen code (patch-evidence.ts). What the
   * removed lines took away is reported unless a rule already reported that line.
   */
  private addEvidence(fr: FileRun, file: FileDiff): void {
    if (!fr.post || !fr.pre) return;
    let found;
    try {
      found = patchEvidence({ target: this.target, pre: fr.pre.facts, post: fr.post.facts, file, path: fr.treePath });
    } catch {
      return; // evidence is an addition: a failure here must not cost the rules' findings
    }
    for (const e of found) {
      const rule = this.rules.find((r) => r.meta.code === e.code);
      if (!rule) continue;
      // A rule that already reports a problem of this kind the patch introduces in this file has said it; when its
      // line is not in the patch (a claim far above the hunk), the finding moves to the removed line that causes it.
      const said = fr.reports.filter((r) => r.rule.meta.code === e.code && !fr.preKeys.has(r.report.key));
      const shown = (image: 'pre' | 'post' | undefined, line: number): boolean =>
        (image === 'pre' ? fr.pre : fr.post)?.view.inputLines?.[line] !== undefined;
      for (const r of said) {
        if (!shown(r.report.image ?? 'post', r.report.span.line) && shown(e.image, e.span.line)) r.report = { ...r.report, span: e.span, image: e.image };
      }
      if (said.length > 0 || fr.postKeys.has(e.key) || fr.preKeys.has(e.key)) continue;
      fr.reports.push({
        rule,
        report: { messageId: e.message, span: e.span, image: e.image, scenario: e.scenario, trace: e.trace, ...(e.unseen ? { unseen: e.unseen } : {}), key: e.key },
      });
      fr.postKeys.add(e.key);
    }
  }

  /**
   * Per path, the patches that touch it in series order, each with its first file of that path (as new or old path):
   * built once, so fixedBy looks only at the patches that touch the finding's file (it scanned every later patch for
   * every finding: quadratic in the patches of an input, a thread archive's chunk holds two thousand).
   */
  private touching?: Map<string, { run: number; file: FileRun }[]>;
  private patchesTouching(treePath: string): readonly { run: number; file: FileRun }[] {
    if (!this.touching) {
      const index = new Map<string, { run: number; file: FileRun }[]>();
      this.runs.forEach((pr, run) => {
        const seen = new Set<string>();
        for (const file of pr.files) {
          for (const p of [file.treePath, file.fileDiff?.oldPath]) {
            if (p === undefined || p === null || seen.has(p)) continue;
            seen.add(p);
            const list = index.get(p) ?? [];
            list.push({ run, file });
            index.set(p, list);
          }
        }
      });
      this.touching = index;
    }
    return this.touching.get(treePath) ?? [];
  }

  /** The later patch of the series that removes the problem `key` from `treePath`, if any. */
  private fixedBy(patchPos: number, treePath: string, key: string): string | undefined {
    const touching = this.patchesTouching(treePath);
    // The first patch after this one (the list is in series order; a path one patch after another touches is common).
    let lo = 0;
    let hi = touching.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (touching[mid].run <= patchPos) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < touching.length; k++) {
      const { run: j, file: later } = touching[k];
      if (later.postKeys.has(key)) continue; // still there after this patch
      // Gone: a fix only if we know it was there before (pre-image shows it, or the views are complete).
      if (later.preKeys.has(key) || (later.post ? later.post.facts.complete : later.released?.postComplete)) return this.runs[j].patch?.subject || `patch ${j + 1}`;
    }
    return undefined;
  }

  findings(): Finding[] {
    const out: Finding[] = [];
    this.runs.forEach((pr, pos) => {
      for (const fr of pr.files) {
        const seen = new Set<string>();
        for (const { rule, report } of fr.reports) {
          if (pr.patch && fr.preKeys.has(report.key)) continue;
          // One finding per problem key and location (rules may reach the same call from several callbacks).
          const dedupe = `${rule.meta.code}\u0000${report.key}\u0000${report.span.line}`;
          if (seen.has(dedupe)) continue;
          seen.add(dedupe);
          const f = this.finding(rule, report, fr, pr, pos);
          if (f) out.push(f);
        }
      }
    });
    return out;
  }

  private finding(rule: Rule, report: Report, fr: FileRun, pr: PatchRun, pos: number): Finding | undefined {
    const severity = resolveSeverity(rule, report, this.options.rules);
    if (!severity) return undefined;
    const map = linesOf(fr, report.image === 'pre' ? 'pre' : 'post');
    const inputPath = this.pathOf(pr.member);
    const mapped = mapSpan(inputPath, map, report.span, fr.fileDiff?.inputLine ?? 1);
    const template = rule.meta.messages[report.messageId] ?? report.messageId;
    let message = formatMessage(template, report.data);
    if (report.unseen) message += ` (could not see: ${report.unseen})`;
    const finding: Finding = {
      rule: rule.meta.name,
      code: rule.meta.code,
      severity,
      message,
      location: mapped.location,
      // Scenarios replay the post-image, whichever image the finding's own span is in.
      trace: mapTrace(report.trace ?? report.scenario?.trace ?? [], inputPath, fr.treePath, linesOf(fr, 'post') ?? map),
      fixes: (report.fixes ?? []).map((fix) => this.mapFix(fix, pr.patch !== undefined, inputPath)),
    };
    if (report.unseen) finding.partial = report.unseen;
    if (pr.patch) finding.context = fr.context;
    if (pr.patch) {
      finding.source = { file: fr.treePath, line: report.span.line, patch: pr.patch.subject, patchIndex: pr.patch.index };
      const fixedBy = this.fixedBy(pos, fr.treePath, report.key);
      if (fixedBy) {
        finding.fixedBy = fixedBy;
        finding.message += ` (fixed later in the series by ${fixedBy})`;
      }
    }
    return finding;
  }

  /** Edits are only meaningful in a C file; in a patch the fix is a suggestion (editing hunks would break their counts). */
  private mapFix(fix: Fix, inPatch: boolean, inputPath: string): Fix {
    if (inPatch) {
      const text = fix.suggestion ?? fix.edits.map((e) => e.newText.trim()).join('\n');
      return { title: fix.title, edits: [], suggestion: text };
    }
    return { ...fix, edits: fix.edits.map((e) => ({ ...e, path: inputPath })) };
  }

  /** Driver verdicts per member (input file). */
  verdicts(): DriverVerdict[][] {
    const out: DriverVerdict[][] = this.members.map(() => []);
    for (const pr of this.runs) {
      for (const fr of pr.files) {
        if (!fr.post || fr.isCoreOrBus) continue;
        const sim = fr.sim ?? createSimQueries(this.target, fr.post.facts);
        for (const driver of fr.post.facts.drivers) {
          try {
            out[pr.member].push(this.verdict(fr, fr.post, sim, driver, this.pathOf(pr.member)));
          } catch (e) {
            this.fail(pr.member, `${fr.treePath}: simulation of ${driver.name} failed: ${reason(e)}`, fr.fileDiff?.inputLine);
          }
        }
      }
    }
    return out;
  }

  private verdict(fr: FileRun, post: Image, sim: SimQueries, driver: CFacts['drivers'][number], inputPath: string): DriverVerdict {
    const map = post.view.inputLines;
    const mode: DriverVerdict['mode'] =
      hasManagedDma(driver)
        ? 'driver-managed'
        : driver.managedDma.state === 'absent' && driver.complete
          ? 'kernel-dma-api'
          : driver.managedDma.state === 'present'
            ? 'kernel-dma-api'
            : 'unknown';
    const scenarios = VERDICT_TOPOLOGIES.map((topology) => {
      const results = sim.driverScenarios(driver, topology);
      const bad = results.find((r) => r.violations.length > 0 || r.outcome === 'bind-failed');
      if (!bad) {
        return { topology, ok: true, summary: '✓', trace: mapTrace(results[0]?.trace ?? [], inputPath, fr.treePath, map) };
      }
      const v = bad.violations[0];
      const what = v?.errno ?? bad.errno ?? v?.kind ?? bad.outcome;
      const step = v ? bad.trace[v.stepIndex] : undefined;
      const phase = step?.phase ?? (bad.outcome === 'bind-failed' ? 'bind' : bad.outcome === 'probe-failed' ? 'probe' : 'unbind');
      const problem = { kind: v?.kind ?? bad.outcome, phase };
      return { topology, ok: false, summary: `✗ ${what} at ${phase}`, trace: mapTrace(bad.trace, inputPath, fr.treePath, map), problem };
    });
    return {
      driver: driver.name,
      structType: driver.structType,
      file: fr.treePath,
      location: mapSpan(inputPath, map, driver.nameSpan, fr.fileDiff?.inputLine ?? 1).location,
      mode,
      scenarios,
    };
  }
}

/** Named functions of `facts` without a program whose namesake in `other` has one (all of those if `facts` has none). */
function unbuiltCounterparts(facts: CFacts, other: CFacts): string[] {
  const hasProgram = (f: FunctionFact): boolean => f.program.length > 0 || f.calls.length > 0;
  const built = new Set(other.functions.filter((f) => f.name && hasProgram(f)).map((f) => f.name));
  if (built.size === 0) return [];
  // An image with nothing of interest was not parsed (relevance.ts VIEW_OF_INTEREST): any of them may be in it.
  if (facts.functions.length === 0) return [...built];
  return [...new Set(facts.functions.filter((f) => f.name && built.has(f.name) && !hasProgram(f)).map((f) => f.name))];
}

function compareFindings(a: Finding, b: Finding): number {
  return a.location.path.localeCompare(b.location.path) || a.location.line - b.location.line || a.code.localeCompare(b.code) || a.location.column - b.location.column;
}

/** The [PATCH vN n/m] numbering of an input that holds exactly one patch (or cover letter), if it has one. */
function seriesNumbering(m: Member): { key: string; number: number } | undefined {
  const patches = m.parsed?.patches;
  if (!patches || patches.length !== 1 || m.parsed?.kind === 'c-source') return undefined;
  const p = patches[0];
  if (p.number === undefined || p.total === undefined || p.total < 1 || p.number > p.total || p.quoted) return undefined;
  // A review reply saved to a file ("Re: [PATCH 2/3]") repeats its patch: it is not a member of the series.
  if (/^\s*(?:re|aw|sv|fwd?)\s*:/i.test(p.subject)) return undefined;
  return { key: `${p.version ?? 1}/${p.total}`, number: p.number };
}

/**
 * Groups the members into analyses: the separate files of one numbered series (git format-patch -o, b4 folders;
 * same version and total, each number once) become one series in number order; everything else stays on its own.
 */
function groupSeries(members: readonly Member[]): number[][] {
  const byKey = new Map<string, { member: number; number: number }[]>();
  const groups: number[][] = [];
  const placed = new Set<number>();
  members.forEach((m, i) => {
    const n = seriesNumbering(m);
    if (!n) return;
    const list = byKey.get(n.key) ?? [];
    list.push({ member: i, number: n.number });
    byKey.set(n.key, list);
  });
  for (const list of byKey.values()) {
    const numbers = new Set(list.map((x) => x.number));
    // Two files with the same number (two revisions, a resend): which one the others apply on is unknown.
    if (list.length < 2 || numbers.size !== list.length) continue;
    const ordered = [...list].sort((a, b) => a.number - b.number).map((x) => x.member);
    for (const i of ordered) placed.add(i);
    groups.push(ordered);
  }
  members.forEach((_, i) => {
    if (!placed.has(i)) groups.push([i]);
  });
  // In the order of each group's first input, so the analysis order follows the inputs'.
  const first = (g: number[]): number => g.reduce((m, x) => Math.min(m, x), Infinity);
  return groups.sort((a, b) => first(a) - first(b));
}

/** The analysis proper (exported for tests that pass their own rule set). */
export function analyzeInputs(inputs: AnalyzeInput[], options: AnalyzeOptions, rules: readonly Rule[] = RULES): AnalysisResult {
  const started = Date.now();
  const target = options.target ?? 'latest';
  const result: AnalysisResult = {
    findings: [],
    problems: [],
    inputs: [],
    stats: { inputs: inputs.length, reviewed: 0, skipped: 0, failed: 0, findings: 0, ms: 0 },
  };
  const members = inputs.map((input) => parseMember(input, options));
  const perInput: AnalysisResult['inputs'] = new Array(inputs.length);
  const reviewedFiles: number[] = new Array(inputs.length).fill(0);
  for (const group of groupSeries(members)) {
    const a = new InputAnalysis(group.map((i) => members[i]), options, rules, target, true);
    let findings: Finding[] = [];
    let drivers: DriverVerdict[][] = group.map(() => []);
    try {
      a.run();
      findings = a.findings();
      if (options.verdicts !== false) drivers = a.verdicts();
    } catch (e) {
      for (const i of group) members[i].problems.push({ path: inputs[i].path, message: `analysis failed: ${reason(e)}`, kind: 'failed' });
    }
    for (const f of findings) result.findings.push(f);
    for (const run of a.runs) {
      reviewedFiles[group[run.member]] += run.files.length;
      if (!run.patch) continue;
      const c = (result.stats.context ??= { fullFile: 0, tree: 0, hunksOnly: 0 });
      for (const f of run.files) {
        if (f.context === 'tree') c.tree++;
        else if (f.context === 'hunks only') c.hunksOnly++;
        else c.fullFile++;
      }
    }
    group.forEach((i, k) => {
      const parsed = members[i].parsed;
      perInput[i] = {
        path: inputs[i].path,
        kind: parsed?.kind ?? 'unknown',
        patches: (parsed?.patches ?? []).map((p) => ({
          index: p.index,
          subject: p.subject,
          files: p.files.map((f) => f.newPath ?? f.oldPath ?? '').filter((x) => x !== ''),
        })),
        drivers: drivers[k] ?? [],
      };
      // Done with this input: its parsed text need not live until the last group is reviewed.
      members[i].parsed = undefined;
    });
  }
  members.forEach((m, i) => {
    for (const p of m.problems) result.problems.push(p);
    // A cover letter reviewed with its series holds no C file: skipped, as it is on its own.
    if (m.problems.some((p) => p.kind === 'failed') && reviewedFiles[i] === 0) result.stats.failed++;
    else if (reviewedFiles[i] === 0) result.stats.skipped++;
    else result.stats.reviewed++;
    result.inputs.push(perInput[i]);
  });
  result.findings.sort(compareFindings);
  result.stats.findings = result.findings.length;
  result.stats.ms = Date.now() - started;
  return result;
}

function dumpInputFacts(input: AnalyzeInput, options: AnalyzeOptions): DumpedFacts {
  const member = parseMember(input, options);
  const a = new InputAnalysis([member], options, [], options.target ?? 'latest', false);
  try {
    a.run();
  } catch (e) {
    member.problems.push({ path: input.path, message: `analysis failed: ${reason(e)}`, kind: 'failed' });
  }
  return {
    path: input.path,
    patches: a.runs.map((pr) => ({
      subject: pr.patch?.subject ?? '',
      files: pr.files.map((f) => ({ path: f.treePath, post: f.post?.facts, pre: f.pre?.facts })),
    })),
    problems: member.problems,
  };
}
