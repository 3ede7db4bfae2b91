/**
 * checkpatch-style text, in three layouts (checkpatch's own options):
 *  - full (default), one block per finding, then a `total:` line:
 *      ERROR:OWN001 missing-driver-managed-dma: <message>
 *      #121: FILE: drivers/vfio/pci/zeta/main.c:80:
 *      +static struct pci_driver zeta_vfio_pci_driver = {
 *          in examples/0002-vfio-zeta.patch ([PATCH 2/3] vfio/zeta: ...)     (--git: in commit 1a2b3c4d5e6f (...))
 *          trace (3 of 5 steps, --verbose for all):
 *            bind   pci_dma_configure → iommu_device_use_default_domain(dev0): owner_cnt 0 → 1
 *            ...
 *          fix: add `.driver_managed_dma = true,` to the initializer of zeta_vfio_pci_driver
 *    `#N` is the line of the input (patch, mail) and FILE names the C file and its line, as checkpatch prints them.
 *  - terse: `path:line: ERROR: OWN001 rule: message` (checkpatch --terse --showfile; b4's check format).
 *  - emacs: the full block with `path:line: ` in front of its first line (checkpatch --emacs).
 * `path:line` is the C file and line whenever the finding lies in a patched C file, so an editor's error format
 * jumps to the code, not to the patch.
 */
import type { AnalysisResult, Finding, FindingStep } from '../core/types';
import { SEVERITY_LABEL, countBySeverity, displayResult, escapeControls, oneLine, stepText, type SeverityCounts } from './common';

export type TextLayout = 'full' | 'terse' | 'emacs';

export interface TextOptions {
  /** Include the simulated trace under each finding (default true). */
  traces?: boolean;
  /** The whole trace instead of the short one (steps with a location, state changes, the violation). */
  verbose?: boolean;
  layout?: TextLayout;
  /** No `total:` line when nothing was found (checkpatch --quiet). */
  quiet?: boolean;
  /** ANSI colours (the host decides: --color, a terminal, NO_COLOR). */
  color?: boolean;
  /** The text of a line of an input, to quote under the FILE line as checkpatch does (the host owns the texts). */
  lineOf?: (path: string, line: number) => string | undefined;
  /** The commit a line of an input belongs to (`From <sha>` of git format-patch output), for --git and mboxes. */
  commitOf?: (path: string, line: number) => string | undefined;
  /** The C file and line a line of an input shows (a hunk line of a patch), for trace locations. */
  sourceOf?: (path: string, line: number) => { file: string; line: number } | undefined;
}

/** The input path the CLI gives a `--git RANGE` review. */
const GIT_INPUT = /^<git .*>$/;

const ANSI = { red: '\x1b[31m', yellow: '\x1b[33m', cyan: '\x1b[36m', bold: '\x1b[1m', dim: '\x1b[2m', reset: '\x1b[0m' };
const LEVEL_COLOUR = { error: ANSI.red, warning: ANSI.yellow, info: ANSI.cyan } as const;

function paint(on: boolean | undefined, colour: string, text: string): string {
  return on ? `${colour}${text}${ANSI.reset}` : text;
}

/** Where an editor should jump: the C file and line when the finding is in a patched C file, else the input line. */
export function findingPlace(finding: Finding): { file: string; line: number } {
  return finding.source ? { file: finding.source.file, line: finding.source.line } : { file: finding.location.path, line: finding.location.line };
}

/**
 * Paths, subjects, quoted code and messages come from the input: no control character of theirs reaches the terminal.
 * Escaped before the colours are painted, so only our own escape sequences stay live.
 */
function escapedFinding(f: Finding): Finding {
  const e = escapeControls;
  return {
    ...f,
    message: e(f.message),
    location: { ...f.location, path: e(f.location.path) },
    ...(f.source ? { source: { ...f.source, file: e(f.source.file), ...(f.source.patch !== undefined ? { patch: e(f.source.patch) } : {}) } } : {}),
    ...(f.partial !== undefined ? { partial: e(f.partial) } : {}),
    ...(f.fixedBy !== undefined ? { fixedBy: e(f.fixedBy) } : {}),
    trace: f.trace.map((t) => ({
      ...t, step: e(t.step), result: e(t.result),
      ...(t.before !== undefined ? { before: e(t.before) } : {}), ...(t.after !== undefined ? { after: e(t.after) } : {}),
      ...(t.location ? { location: { ...t.location, path: e(t.location.path) } } : {}),
    })),
    fixes: f.fixes.map((x) => ({ ...x, title: e(x.title), ...(x.suggestion !== undefined ? { suggestion: x.suggestion.split(/\r?\n/).map(e).join('\n') } : {}) })),
  };
}

/** `drivers/x.c:80: ERROR: OWN001 rule: message` — one line per finding. */
export function formatFindingTerse(raw: Finding, options: Pick<TextOptions, 'color'> = {}): string {
  const finding = escapedFinding(raw);
  const at = findingPlace(finding);
  const level = paint(options.color, LEVEL_COLOUR[finding.severity], `${SEVERITY_LABEL[finding.severity]}:`);
  return `${at.file}:${at.line}: ${level} ${finding.code} ${finding.rule}: ${oneLine(finding.message)}`;
}

export function formatFindingText(raw: Finding, options: TextOptions = {}): string {
  if (options.layout === 'terse') return formatFindingTerse(raw, options);
  const finding = escapedFinding(raw);
  const c = options.color;
  const at = findingPlace(finding);
  const lines: string[] = [];
  const level = paint(c, `${ANSI.bold}${LEVEL_COLOUR[finding.severity]}`, `${SEVERITY_LABEL[finding.severity]}:${finding.code}`);
  const prefix = options.layout === 'emacs' ? `${at.file}:${at.line}: ` : '';
  lines.push(`${prefix}${level} ${finding.rule}: ${finding.message}`);
  lines.push(`#${finding.location.line}: FILE: ${at.file}:${at.line}:`);
  const quotedRaw = options.lineOf?.(raw.location.path, raw.location.line);
  const quoted = quotedRaw === undefined ? undefined : escapeControls(quotedRaw);
  if (quoted !== undefined && quoted.trim() !== '') {
    // checkpatch quotes a file's line with a '+' as if it were added; patch lines keep their own marker.
    lines.push(!finding.source && /\.[ch]$/i.test(finding.location.path) ? `+${quoted}` : quoted);
  }
  if (finding.source) {
    // A file names itself (its #line is the reader's anchor); a --git range has no file, so the commit is named.
    const commit = GIT_INPUT.test(finding.location.path) ? options.commitOf?.(raw.location.path, raw.location.line) : undefined;
    const from = commit ? `commit ${commit.slice(0, 12)}` : finding.location.path;
    const patch = finding.source.patch ? ` (${finding.source.patch})` : '';
    lines.push(paint(c, ANSI.dim, `    in ${from}${patch}`));
  }
  if (finding.partial) lines.push(`    partial: ${finding.partial}`);
  if (finding.fixedBy) lines.push(`    fixed later in the series by: ${finding.fixedBy}`);
  if (finding.context) lines.push(`    context: ${finding.context}`);
  if (options.traces !== false && finding.trace.length > 0) lines.push(...traceLines(finding, options));
  for (const fix of finding.fixes) lines.push(...fixLines(fix));
  return lines.join('\n');
}

/** A fix said once: a prose suggestion replaces the title; code is shown under the title. */
export function fixLines(fix: { title: string; suggestion?: string }): string[] {
  const suggestion = fix.suggestion?.trim();
  if (!suggestion) return [`    fix: ${fix.title}`];
  const lines = suggestion.split(/\r?\n/);
  if (lines.length === 1 && PROSE_FIX.test(suggestion)) return [`    fix: ${suggestion}`];
  if (lines.length === 1 && oneLine(suggestion).toLowerCase() === oneLine(fix.title).toLowerCase()) return [`    fix: ${fix.title}`];
  return [`    fix: ${fix.title}:`, ...lines.map((s) => `         ${s}`)];
}

/** A suggestion written as an instruction ("add `x` to ...", "move ...") says all the title says. */
const PROSE_FIX = /^(add|move|remove|use|replace|drop|call|set|keep|release|claim|detach|attach|insert|check|pass|skip|undo|let)\s/i;

// ───────────────────────────── traces ─────────────────────────────

/** One group's state as the simulation prints it: `grp0{cnt=1 owner=- dom=default pasids=0}`. */
interface GroupState {
  group: string;
  cnt: string;
  owner: string;
  dom: string;
  pasids: string;
}

export function parseGroupStates(text: string | undefined): GroupState[] {
  if (!text) return [];
  const out: GroupState[] = [];
  for (const m of text.matchAll(/(\S+?)\{cnt=(\S+) owner=(\S+) dom=(\S+) pasids=(\S+?)\}/g)) {
    out.push({ group: m[1], cnt: m[2], owner: m[3], dom: m[4], pasids: m[5] });
  }
  return out;
}

/** What a step changed, in plain words: "owner_cnt 0 → 1", "owned by vfio", "domain default → blocking". */
export function stateChangeWords(step: Pick<FindingStep, 'before' | 'after'>): string {
  const before = parseGroupStates(step.before);
  const after = parseGroupStates(step.after);
  const parts: string[] = [];
  for (const a of after) {
    const b = before.find((x) => x.group === a.group);
    if (!b) continue;
    const words: string[] = [];
    if (b.cnt !== a.cnt) words.push(`owner_cnt ${b.cnt} → ${a.cnt}`);
    if (b.owner !== a.owner) {
      words.push(a.owner === '-' ? `no longer owned by ${b.owner}` : b.owner === '-' ? `owned by ${a.owner}` : `owner ${b.owner} → ${a.owner}`);
    }
    if (b.dom !== a.dom) words.push(`domain ${b.dom} → ${a.dom}`);
    if (b.pasids !== a.pasids) words.push(`PASIDs ${b.pasids} → ${a.pasids}`);
    if (words.length > 0) parts.push((after.length > 1 ? `${a.group}: ` : '') + words.join(', '));
  }
  return parts.join('; ');
}

/** The step's own text, without the `[before → after]` the core appends for the JSON contract. */
export function stepCallText(step: FindingStep): string {
  const suffix = step.before !== undefined && step.after !== undefined ? ` [${step.before} → ${step.after}]` : undefined;
  return suffix && step.step.endsWith(suffix) ? step.step.slice(0, -suffix.length) : step.step;
}

/** The steps a reader needs: those with a location, those that change the group, and the last (the violation). */
export function shortTraceIndices(trace: readonly FindingStep[]): number[] {
  return trace.map((_, i) => i).filter((i) => i === trace.length - 1 || trace[i].location !== undefined || stateChangeWords(trace[i]) !== '');
}

const SHORT_STEP_MAX = 110;
/** A result is a value or a short verdict; the long explanations are in the message and the --verbose trace. */
const SHORT_RESULT_MAX = 40;

function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.lastIndexOf(' ', max - 1);
  return `${text.slice(0, cut > max / 2 ? cut : max - 1)} …`;
}

function traceLines(finding: Finding, options: TextOptions): string[] {
  const trace = finding.trace;
  const indices = options.verbose ? trace.map((_, i) => i) : shortTraceIndices(trace);
  const head = indices.length === trace.length ? '    trace:' : `    trace (${indices.length} of ${trace.length} steps, --verbose for all):`;
  const width = Math.max(0, ...indices.map((i) => (trace[i].phase ?? '').length));
  const numWidth = `${trace.length}.`.length;
  const lines = [head];
  const sourceFile = finding.source?.file;
  for (const i of indices) {
    const step = trace[i];
    const last = i === trace.length - 1;
    const phase = (step.phase ?? '').padEnd(width);
    let text: string;
    if (options.verbose) {
      text = stepText(step);
    } else {
      const change = stateChangeWords(step);
      const result = displayResult(step.result);
      // The phase column already says "probe": drop a leading "probe: " from the step's own text.
      const own = stepCallText(step);
      const call = shorten(step.phase && own.startsWith(`${step.phase}: `) ? own.slice(step.phase.length + 2) : own, SHORT_STEP_MAX);
      const violation = last && call.startsWith('✗');
      const shown = result !== undefined && !violation ? ` = ${shorten(result, SHORT_RESULT_MAX)}` : '';
      text = `${call}${shown}${change ? `: ${change}` : ''}`;
    }
    let where = '';
    if (step.location) {
      const src = options.sourceOf?.(step.location.path, step.location.line);
      if (src) where = `${src.file === sourceFile ? src.file.split('/').pop() : src.file}:${src.line}`;
      else if (!finding.source) where = `${step.location.path.split('/').pop()}:${step.location.line}`; // a C file: its own lines
      else where = `#${step.location.line}`;
    }
    const mark = last && /^✗/.test(text) ? paint(options.color, ANSI.red, text) : text;
    const num = `${i + 1}.`.padEnd(numWidth);
    lines.push(`      ${num} ${width > 0 ? `${phase}  ` : ''}${mark}${where ? paint(options.color, ANSI.dim, `  (${where})`) : ''}`.trimEnd());
  }
  return lines;
}

// ───────────────────────────── whole output ─────────────────────────────

export function formatTotalLine(result: Pick<AnalysisResult, 'findings' | 'stats'>): string {
  return formatTotalLineOf(countBySeverity(result.findings), result.stats);
}

/** What the patched files were judged on, on its own line before the total line (whose layout scripts match). */
export function contextLine(s: AnalysisResult['stats']): string {
  const c = s.context;
  return c ? `context: ${c.fullFile} full file, ${c.tree} tree, ${c.hunksOnly} hunks only\n` : '';
}

/** The total line from counts (a streamed report keeps counts, not findings). */
export function formatTotalLineOf(c: SeverityCounts, s: AnalysisResult['stats']): string {
  // Fixed plurals, as checkpatch prints them ("total: 1 errors, ..."): scripts match this line with one pattern.
  return `total: ${c.error} errors, ${c.warning} warnings, ${c.info} info, ${s.reviewed} inputs reviewed (${s.skipped} skipped, ${s.failed} failed)`;
}

/**
 * Text written as the findings arrive (the CLI), one finding held at a time: blocks (or terse lines), then the
 * context and `total:` lines; with quiet, nothing at all for a clean run.
 */
export class TextReportStream {
  private readonly counts: SeverityCounts = { error: 0, warning: 0, info: 0 };
  constructor(private readonly write: (text: string) => void, private readonly options: TextOptions = {}) {}
  finding(f: Finding): void {
    this.counts[f.severity]++;
    // terse: one line a finding (checkpatch --terse); the full layout separates blocks by a blank line.
    this.write(`${formatFindingText(f, this.options)}${this.options.layout === 'terse' ? '\n' : '\n\n'}`);
  }
  end(stats: AnalysisResult['stats']): void {
    const c = this.counts;
    if (this.options.quiet && c.error + c.warning + c.info === 0) return;
    this.write(`${this.options.layout === 'terse' ? '' : contextLine(stats)}${formatTotalLineOf(c, stats)}\n`);
  }
}

/** The whole standard-output text for a result (problems go to standard error: see formatProblem). */
export function formatText(result: Pick<AnalysisResult, 'findings' | 'stats'>, options: TextOptions = {}): string {
  const parts: string[] = [];
  const stream = new TextReportStream((t) => parts.push(t), options);
  for (const f of result.findings) stream.finding(f);
  stream.end(result.stats);
  return parts.join('');
}

// ───────────────────────────── input line helpers (pure; the host passes the input's lines) ─────────────────────────────

/** The `From <sha>` line of the git format-patch message that holds input line `line` (1-based). */
export function commitAtLine(lines: InputLines, line: number): string | undefined {
  const get = lineGetter(lines);
  // Bounded walk: a message's header is never further back than this from its lines.
  for (let i = line - 1, n = 0; i >= 0 && n < COMMIT_WALK_MAX; i--, n++) {
    const text = get(i);
    if (text === undefined) continue;
    const m = /^From ([0-9a-f]{40}) /.exec(text);
    if (m) return m[1];
  }
  return undefined;
}

/** An input's lines: an array, or a lookup by 1-based line (the CLI decodes lines of huge inputs on demand). */
export type InputLines = readonly string[] | ((line: number) => string | undefined);

const COMMIT_WALK_MAX = 200_000;

/** 0-based access to either form of InputLines. */
function lineGetter(lines: InputLines): (index: number) => string | undefined {
  return typeof lines === 'function' ? (i) => lines(i + 1) : (i) => lines[i];
}

/**
 * The post-image file and line an added or context line of a patch stands for, found by walking back to its hunk
 * header (`> `-quoted review replies too). Undefined for other lines.
 */
export function sourceAtLine(input: InputLines, line: number): { file: string; line: number } | undefined {
  const unquote = (s: string) => s.replace(/^(?:> ?)+/, '');
  const get = lineGetter(input);
  const lines = { at: (i: number) => get(i) ?? '' };
  const here = get(line - 1);
  if (here === undefined || !/^[+ ]/.test(unquote(here)) || /^\+\+\+ /.test(unquote(here))) return undefined;
  let count = 0;
  for (let i = line - 2; i >= 0; i--) {
    const l = unquote(lines.at(i));
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(l);
    if (hunk) {
      for (let j = i - 1; j >= 0; j--) {
        const f = /^\+\+\+ (?:b\/)?(\S+)/.exec(unquote(lines.at(j)));
        if (f) return { file: f[1], line: Number(hunk[1]) + count };
        if (/^diff --git /.test(unquote(lines.at(j)))) break;
      }
      return undefined;
    }
    if (/^[+ ]/.test(l) || l === '') count++;
    else if (!/^-/.test(l) && !/^\\/.test(l)) return undefined;
  }
  return undefined;
}
