/**
 * The input layer: turns what a reviewer has (a diff, a format-patch mail, an mbox series, a reply quoting the
 * diff, a bare C file) into a Series of Patches whose every line maps back to the input, and builds C views.
 */
import type { FileDiff, InputKind, InputProblem, ParsedInput, Patch } from '../types';
import { decodeBytes } from './decode';
import { DEFAULT_FILE_BUDGET, DEFAULT_IMAGE_BUDGET, findDiffStart, scanDiff, type ScanOptions, type ScanProblem } from './diff';
import { type SourceLines, sliceInput, splitInputLines } from './lines';
import { type BodyProblem, decodeBody, looksLikeMailHeaders, readHeaders, splitMbox } from './mail';
import { unquoteDiff } from './quoted';
import { isCPath } from './views';

export { decodeBytes } from './decode';
export { applyFileDiff, fullViews, hunkViews, isCPath } from './views';

const DEFAULT_MAX_BYTES = 200 * 1024 * 1024;
const DEFAULT_MAX_HUNKS_PER_FILE = 5000;

type MessageKind = 'format-patch' | 'quoted-reply' | 'cover-letter';

interface Limits {
  maxBytes?: number;
  maxHunksPerFile?: number;
}

/** Parses any supported input. Never throws: whatever cannot be used is reported in `problems`. */
export function parseInput(path: string, content: Uint8Array | string, limits?: Limits): ParsedInput {
  try {
    return parseUnsafe(path, content, limits ?? {});
  } catch (e) {
    return {
      path,
      kind: 'unknown',
      text: typeof content === 'string' ? content : '',
      patches: [],
      problems: [{ path, kind: 'failed', message: `could not parse the input: ${(e as Error)?.message ?? String(e)}` }],
    };
  }
}

function parseUnsafe(path: string, content: Uint8Array | string, limits: Limits): ParsedInput {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  // For a string the UTF-16 length stands in for the byte size: close enough for a safety limit.
  if (content.length > maxBytes) {
    return {
      path, kind: 'unknown', text: '', patches: [],
      problems: [{ path, kind: 'failed', message: `input is ${content.length} bytes, over the limit of ${maxBytes}: not reviewed` }],
    };
  }
  const { text } = decodeBytes(content);
  const ctx: Context = {
    path,
    scan: {
      maxHunksPerFile: limits.maxHunksPerFile ?? DEFAULT_MAX_HUNKS_PER_FILE,
      imageBudget: { left: DEFAULT_IMAGE_BUDGET, total: DEFAULT_IMAGE_BUDGET },
      fileBudget: { left: DEFAULT_FILE_BUDGET, total: DEFAULT_FILE_BUDGET, dropped: 0 },
    },
    problems: [],
  };
  const lines = splitInputLines(text);
  let first = 0;
  while (first < lines.length && lines[first].trim() === '') first++;

  // Junk before the first From_ line (a saved web page's preamble, a stray note) must not hide a series.
  const ranges = splitMbox(lines);
  const preambleDiff = ranges.length > 0 && ranges[0].start > first && findDiffStart(lines, first, ranges[0].start) >= 0;
  if (ranges.length >= 2 || (ranges.length === 1 && (ranges[0].start === first || !preambleDiff))) {
    const parsed = ranges.map((range) => parseMessage(ctx, lines, range.start, range.end, true));
    // A diff before the first From_ line is reviewed as a message of its own, not dropped with the junk around it.
    if (preambleDiff) parsed.unshift(parseMessage(ctx, lines, first, ranges[0].start, false));
    return finish(ctx, text, parsed.length > 1 ? 'mbox' : parsed[0]?.kind ?? 'unknown', parsed);
  }
  if (first < lines.length && looksLikeMailHeaders(lines, first)) {
    const parsed = parseMessage(ctx, lines, first, lines.length, false);
    return finish(ctx, text, parsed.kind, [parsed]);
  }
  return parseHeaderless(ctx, text, lines);
}

interface Context {
  path: string;
  /** Limits shared by every diff scan of this input (the image budget is spent across its messages). */
  scan: ScanOptions;
  problems: InputProblem[];
}

interface ParsedMessage {
  kind: MessageKind;
  patch: Omit<Patch, 'index'>;
  order: number;
}

function finish(ctx: Context, text: string, kind: InputKind, messages: ParsedMessage[]): ParsedInput {
  noteFileBudget(ctx);
  const patches = orderSeries(messages).map((m, index) => ({ index, ...m.patch }));
  return { path: ctx.path, kind, text, patches, problems: ctx.problems };
}

/** One problem for all the C files past the input's file budget (one line, not one per file). */
function noteFileBudget(ctx: Context): void {
  const b = ctx.scan.fileBudget;
  if (!b || b.dropped === 0 || !b.first) return;
  ctx.problems.push({
    path: ctx.path,
    line: b.first.line,
    kind: 'skipped',
    message: `${b.dropped} C file${b.dropped === 1 ? '' : 's'} from ${b.first.path} on not reviewed: this input's budget of ${b.total} C files is spent`,
  });
}

/** Orders by [PATCH vN M/T] when every message is numbered (cover letter 0 first); otherwise keeps the mbox order. */
function orderSeries(messages: ParsedMessage[]): ParsedMessage[] {
  const list = messages.map((m, order) => ({ ...m, order }));
  if (!list.every((m) => m.patch.number !== undefined)) return list;
  return list.sort((a, b) =>
    (a.patch.version ?? 1) - (b.patch.version ?? 1) ||
    (a.patch.number ?? 0) - (b.patch.number ?? 0) ||
    Number(isReply(a.patch.subject)) - Number(isReply(b.patch.subject)) ||
    a.order - b.order);
}

function isReply(subject: string): boolean {
  return /^\s*(?:re|aw|sv|fwd?)\s*:/i.test(subject);
}

/**
 * The `[...]` groups of a subject, left to right (what /\[[^\]]*\]/g finds), by a scan: that regex retries from
 * every `[` of a run of `[` with no `]` after it, quadratic on a hostile Subject.
 */
function bracketGroups(subject: string): string[] {
  const out: string[] = [];
  for (let open = subject.indexOf('['); open >= 0; open = subject.indexOf('[', open)) {
    const close = subject.indexOf(']', open + 1);
    if (close < 0) break;
    out.push(subject.slice(open, close + 1));
    open = close + 1;
  }
  return out;
}

/** The [PATCH ...] tag: `[PATCH v5 07/14]`, `[RFC PATCH net-next v2 3/7]`, `[PATCH]`. */
export function parseSubjectTag(subject: string): { version?: number; number?: number; total?: number } {
  const brackets = bracketGroups(subject);
  const tag = brackets.find((b) => /\b(?:PATCH|RFC)\b/i.test(b)) ?? brackets[0];
  if (!tag) return {};
  const out: { version?: number; number?: number; total?: number } = {};
  for (const token of tag.slice(1, -1).split(/\s+/)) {
    const v = /^(?:PATCH|RFC)?v(\d+)$/i.exec(token);
    if (v) out.version = Number(v[1]);
    const nm = /^(\d+)\/(\d+)$/.exec(token);
    if (nm) {
      out.number = Number(nm[1]);
      out.total = Number(nm[2]);
    }
  }
  return out;
}

function toProblems(ctx: Context, problems: (ScanProblem | BodyProblem)[]): void {
  for (const p of problems) ctx.problems.push({ path: ctx.path, message: p.message, line: p.line, kind: p.kind });
}

/** Index of git's "---" line that ends the commit message, before the diff. */
function commitMessageEnd(texts: readonly string[], diffStart: number): number {
  for (let k = 0; k < diffStart; k++) if (texts[k] === '---') return k;
  return diffStart;
}

function joinBody(texts: readonly string[], end: number): string {
  let last = end;
  while (last > 0 && texts[last - 1].trim() === '') last--;
  let firstLine = 0;
  while (firstLine < last && texts[firstLine].trim() === '') firstLine++;
  return texts.slice(firstLine, last).join('\n');
}

/** Finds a diff in body lines: unquoted first, then quoted. */
function extractDiff(ctx: Context, body: SourceLines): { kind: MessageKind; files: FileDiff[]; body: string } {
  const start = findDiffStart(body.texts);
  if (start >= 0) {
    const { files, problems } = scanDiff(body, start, body.texts.length, ctx.scan);
    toProblems(ctx, problems);
    return { kind: 'format-patch', files, body: joinBody(body.texts, commitMessageEnd(body.texts, start)) };
  }
  const quoted = unquoteDiff(body);
  if (quoted) {
    const qStart = findDiffStart(quoted.lines.texts);
    const { files, problems } = scanDiff(quoted.lines, qStart, quoted.lines.texts.length, ctx.scan);
    toProblems(ctx, problems);
    // The quoted commit message is what changelog rules want to read.
    return { kind: 'quoted-reply', files, body: joinBody(quoted.lines.texts, commitMessageEnd(quoted.lines.texts, qStart)) };
  }
  return { kind: 'cover-letter', files: [], body: joinBody(body.texts, body.texts.length) };
}

function parseMessage(ctx: Context, lines: readonly string[], start: number, end: number, hasFromLine: boolean): ParsedMessage {
  const headers = readHeaders(lines, hasFromLine ? start + 1 : start, end);
  const body: SourceLines = { texts: [], lines: [], columns: [] };
  const bodyProblems: BodyProblem[] = [];
  decodeBody(lines, headers.values, headers.bodyStart, end, { unescapeFrom: hasFromLine }, '', body, bodyProblems);
  toProblems(ctx, bodyProblems);
  const subject = headers.values.get('subject') ?? '';
  const tag = parseSubjectTag(subject);
  const found = extractDiff(ctx, body);
  return {
    kind: found.kind,
    order: 0,
    patch: {
      subject,
      ...tag,
      from: headers.values.get('from'),
      date: headers.values.get('date'),
      messageId: headers.values.get('message-id')?.replace(/^<|>$/g, ''),
      body: found.body,
      inputLine: start + 1,
      files: found.files,
      isCover: tag.number === 0 || found.files.length === 0,
      ...(found.kind === 'quoted-reply' ? { quoted: true } : {}),
    },
  };
}

/** No mail headers: a plain diff, a pasted quoted diff, or a C file. */
function parseHeaderless(ctx: Context, text: string, lines: string[]): ParsedInput {
  const all = sliceInput(lines, 0, lines.length);
  const start = findDiffStart(all.texts);
  if (start < 0 && (isCPath(ctx.path) || looksLikeC(lines))) {
    return { path: ctx.path, kind: 'c-source', text, patches: [], problems: ctx.problems };
  }
  const found = extractDiff(ctx, all);
  if (found.kind === 'cover-letter') {
    // An empty diff (`git diff` with no changes) has nothing to review; other text is not something we can read.
    const empty = lines.every((l) => l.trim() === '');
    ctx.problems.push(empty
      ? { path: ctx.path, kind: 'skipped', message: 'empty input: nothing to review' }
      : { path: ctx.path, kind: 'failed', message: 'no diff, mail or C source found in the input', line: 1 });
    return { path: ctx.path, kind: 'unknown', text, patches: [], problems: ctx.problems };
  }
  noteFileBudget(ctx);
  const patch: Patch = {
    index: 0,
    subject: '',
    body: found.kind === 'format-patch' ? joinBody(all.texts, Math.max(0, start)) : found.body,
    inputLine: 1,
    files: found.files,
    isCover: false,
    ...(found.kind === 'quoted-reply' ? { quoted: true } : {}),
  };
  return { path: ctx.path, kind: found.kind === 'format-patch' ? 'unified-diff' : 'quoted-reply', text, patches: [patch], problems: ctx.problems };
}

/** A cheap look at the first lines: preprocessor lines, or a top-level definition and braces. */
function looksLikeC(lines: readonly string[]): boolean {
  let preprocessor = 0;
  let definitions = 0;
  let braces = 0;
  for (let i = 0; i < lines.length && i < 400; i++) {
    const t = lines[i];
    if (/^#\s*(?:include\s*[<"]|define\s|ifn?def\s|if\s|endif\b|pragma\s)/.test(t)) preprocessor++;
    if (/^(?:static\s|struct\s|const\s|int\s|void\s|unsigned\s|enum\s|typedef\s|union\s|extern\s|bool\s)/.test(t)) definitions++;
    if (t.includes('{') || t.includes('}')) braces++;
  }
  return preprocessor > 0 || (definitions > 0 && braces > 0);
}
