/**
 * Diff scanning over SourceLines. We find file and hunk boundaries ourselves (so a truncated hunk cannot swallow
 * the next file, and every line keeps its input line and column), then let parse-diff classify each hunk's lines.
 */
import parseDiff from 'parse-diff';
import type { FileDiff, FileStatus, Hunk, HunkLine } from '../types';
import type { SourceLines } from './lines';
import { isCPath } from './views';

export interface ScanProblem {
  message: string;
  line: number;
  kind: 'skipped' | 'failed';
}

export interface ScanOptions {
  maxHunksPerFile: number;
  /**
   * Lines of hunk views beyond FREE_IMAGE_LINES per file that this input may still cost (shared by every scan of one
   * input). A hunk view is as long as the file's last hunk line: a hunk at line 1,999,990 costs two million lines
   * of text, line tables and parse however small the hunk is.
   */
  imageBudget?: { left: number; total: number };
  /**
   * C files with hunks this input may still hand to the analysis (each costs a parse, a replay and the rules);
   * the files past it are counted, not reviewed, and reported once (see FileBudget).
   */
  fileBudget?: FileBudget;
}

export interface FileBudget {
  left: number;
  total: number;
  dropped: number;
  /** The first file not reviewed and the input line of its header. */
  first?: { path: string; line: number };
}

/** C files of one input the analysis reviews; a diff adding 93k files would otherwise take minutes. */
export const DEFAULT_FILE_BUDGET = 5_000;

/** Hunk views up to this many lines are free of the image budget (the longest kernel C file has ~223k lines). */
export const FREE_IMAGE_LINES = 250_000;

/** The default image budget of one input: about two files with hunks near MAX_IMAGE_LINE. */
export const DEFAULT_IMAGE_BUDGET = 4_000_000;

/** Hunks starting past this image line are not reviewed (kernel sources are far shorter). */
const MAX_IMAGE_LINE = 2_000_000;

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$/;

/** Marks a line where a reviewer cut quoted text ("[...]", "<snip>"): it ends any hunk it interrupts. */
export const CUT_SENTINEL = '\u0000cut';

export function isHunkHeader(text: string | undefined): boolean {
  return text !== undefined && text.startsWith('@@ -') && HUNK_HEADER.test(text);
}

/** Index of the first line that starts a diff (file header or hunk header), or -1. */
export function findDiffStart(texts: readonly string[], from = 0, to = texts.length): number {
  for (let i = from; i < to; i++) {
    if (isFileStart(texts, i) || isHunkHeader(texts[i])) return i;
  }
  return -1;
}

function isFileStart(texts: readonly string[], i: number): boolean {
  const t = texts[i];
  if (t.charCodeAt(0) === 100 /* d */) return t.startsWith('diff --git ') || t.startsWith('diff --cc ') || t.startsWith('diff --combined ');
  if (t.charCodeAt(0) === 45 /* - */) return isPlainFileStart(texts, i);
  return false;
}

function isPlainFileStart(texts: readonly string[], i: number): boolean {
  return texts[i].startsWith('--- ') && (texts[i + 1]?.startsWith('+++ ') ?? false) && (isHunkHeader(texts[i + 2]) || isMalformedHunkHeader(texts[i + 2]));
}

/** `@@ --5,-17 +-5,-18 @@`: shaped like a hunk header but not one; its hunk cannot be read and must be reported. */
export function isMalformedHunkHeader(text: string | undefined): boolean {
  return text !== undefined && text.startsWith('@@ -') && text.indexOf(' @@', 3) > 0 && !HUNK_HEADER.test(text);
}

/** Hunk headings are git's function context (at most 80 bytes); a longer one is cut so nothing downstream scans it whole. */
const MAX_HEADING = 200;

/** Reads a C-style quoted path ("a/with\ttab") starting at s[0] === '"'. */
function readQuoted(s: string): { value: string; rest: string } {
  let value = '';
  let i = 1;
  const bytes: number[] = [];
  const flushBytes = (): void => {
    if (bytes.length) {
      value += new TextDecoder('utf-8', { fatal: false }).decode(Uint8Array.from(bytes));
      bytes.length = 0;
    }
  };
  for (; i < s.length && s[i] !== '"'; i++) {
    if (s[i] !== '\\') {
      flushBytes();
      value += s[i];
      continue;
    }
    const next = s[++i] ?? '';
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(s.slice(i, i + 3), 8) & 0xff);
      i += 2;
      continue;
    }
    flushBytes();
    value += ({ n: '\n', t: '\t', '"': '"', '\\': '\\', a: '\x07', b: '\b', f: '\f', r: '\r', v: '\v' } as Record<string, string>)[next] ?? next;
  }
  flushBytes();
  return { value, rest: s.slice(i + 1).replace(/^ /, '') };
}

const PREFIX_PAIRS: readonly [string, string][] = [['a/', 'b/'], ['i/', 'w/'], ['c/', 'w/'], ['c/', 'i/'], ['o/', 'w/'], ['1/', '2/']];

function stripPrefixPair(oldPath: string | null, newPath: string | null): [string | null, string | null] {
  for (const [a, b] of PREFIX_PAIRS) {
    const oldOk = oldPath === null || oldPath.startsWith(a);
    const newOk = newPath === null || newPath.startsWith(b);
    if (oldOk && newOk && (oldPath !== null || newPath !== null)) {
      return [oldPath === null ? null : oldPath.slice(a.length), newPath === null ? null : newPath.slice(b.length)];
    }
  }
  return [oldPath, newPath];
}

/** Paths of `diff --git a/X b/Y` (still prefixed). Ambiguous unquoted names with spaces are split in the middle. */
function gitHeaderPaths(rest: string): [string, string] | null {
  if (rest.startsWith('"')) {
    const first = readQuoted(rest);
    const second = first.rest.startsWith('"') ? readQuoted(first.rest).value : first.rest;
    return [first.value, second];
  }
  const quotedSecond = rest.indexOf(' "');
  if (quotedSecond > 0) return [rest.slice(0, quotedSecond), readQuoted(rest.slice(quotedSecond + 1)).value];
  if ((rest.length - 1) % 2 === 0) {
    const half = (rest.length - 1) / 2;
    const left = rest.slice(0, half);
    const right = rest.slice(half + 1);
    if (rest[half] === ' ' && left.slice(left.indexOf('/') + 1) === right.slice(right.indexOf('/') + 1)) return [left, right];
  }
  const split = rest.lastIndexOf(' b/');
  if (split > 0) return [rest.slice(0, split), rest.slice(split + 1)];
  const space = rest.indexOf(' ');
  return space > 0 ? [rest.slice(0, space), rest.slice(space + 1)] : null;
}

/** Path of a `--- x` / `+++ y` line: unquoted, timestamp (after a tab) dropped; /dev/null → null. */
function markerPath(line: string): string | null {
  let rest = line.slice(4);
  if (rest.startsWith('"')) rest = readQuoted(rest).value;
  else {
    const tab = rest.indexOf('\t');
    if (tab >= 0) rest = rest.slice(0, tab);
    // `diff -u` without a tab: "name 2024-01-02 03:04:05.000000000 +0100"
    rest = rest.replace(/ \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? [+-]\d{4}$/, '');
    rest = rest.trimEnd();
  }
  return rest === '/dev/null' ? null : rest;
}

interface FileBuilder {
  oldPath: string | null;
  newPath: string | null;
  isNew: boolean;
  isDeleted: boolean;
  rename: boolean;
  copy: boolean;
  modeChange: boolean;
  binary: boolean;
  combined: boolean;
  inputLine: number;
  hunks: Hunk[];
  pending: PendingHunk[];
  droppedHunks: number;
  /** Blob ids of git's `index <pre>..<post>` line (abbreviated hex). */
  blobs?: { pre: string; post: string };
}

function finishFile(b: FileBuilder): FileDiff {
  let status: FileStatus = 'modified';
  if (b.combined) status = 'combined';
  else if (b.binary) status = 'binary';
  else if (b.isNew || (b.oldPath === null && b.newPath !== null)) status = 'added';
  else if (b.isDeleted || (b.newPath === null && b.oldPath !== null)) status = 'deleted';
  else if (b.rename) status = 'renamed';
  else if (b.copy) status = 'copied';
  else if (b.modeChange && b.hunks.length === 0) status = 'mode-only';
  return {
    oldPath: status === 'added' ? null : b.oldPath,
    newPath: status === 'deleted' ? null : b.newPath,
    status,
    hunks: b.hunks,
    inputLine: b.inputLine,
    ...(b.blobs ? { blobs: b.blobs } : {}),
  };
}

/** The display path of a file (post-image path, else pre-image path). */
export function fileDisplayPath(file: { oldPath: string | null; newPath: string | null }): string {
  return file.newPath ?? file.oldPath ?? 'unknown';
}

/**
 * Scans src.texts[from..to) for file diffs. Lines that are not part of a diff (commit message, diffstat,
 * signature, reviewer leftovers) are skipped.
 */
export function scanDiff(
  src: SourceLines,
  from: number,
  to: number,
  options: ScanOptions,
  fallbackPath = 'unknown.c',
): { files: FileDiff[]; problems: ScanProblem[] } {
  const texts = src.texts;
  const files: FileDiff[] = [];
  const problems: ScanProblem[] = [];
  let current: FileBuilder | null = null;
  let droppedAfterTruncation: number | null = null;

  const closeFile = (): void => {
    if (!current) return;
    if (current.droppedHunks > 0) {
      problems.push({
        message: `${fileDisplayPath(current)}: ${current.droppedHunks} hunks over the limit of ${options.maxHunksPerFile} per file dropped`,
        line: current.inputLine,
        kind: 'skipped',
      });
    }
    const fileBudget = options.fileBudget;
    if (fileBudget && current.hunks.length > 0 && isCPath(fileDisplayPath(current))) {
      if (fileBudget.left <= 0) {
        fileBudget.dropped++;
        fileBudget.first ??= { path: fileDisplayPath(current), line: current.inputLine };
        current.hunks = [];
        current.pending = [];
      } else fileBudget.left--;
    }
    const budget = options.imageBudget;
    if (budget && current.hunks.length > 0) {
      let extent = 0;
      for (const h of current.hunks) extent = Math.max(extent, h.oldStart + h.oldLines, h.newStart + h.newLines);
      const cost = Math.max(0, extent - FREE_IMAGE_LINES);
      if (cost > budget.left) {
        problems.push({
          message: `${fileDisplayPath(current)}: not reviewed: its hunks reach line ${extent}, and this input's budget of ${budget.total} view lines beyond line ${FREE_IMAGE_LINES} of a file is spent`,
          line: current.inputLine,
          kind: 'skipped',
        });
        current.hunks = [];
        current.pending = [];
      } else budget.left -= cost;
    }
    classifyFile(src, current.pending);
    files.push(finishFile(current));
    current = null;
  };
  const newBuilder = (line: number): FileBuilder => ({
    oldPath: null, newPath: null, isNew: false, isDeleted: false, rename: false, copy: false,
    modeChange: false, binary: false, combined: false, inputLine: line, hunks: [], pending: [], droppedHunks: 0,
  });
  const noteDropped = (): void => {
    if (droppedAfterTruncation !== null) {
      problems.push({ message: `hunk truncated at line ${droppedAfterTruncation}: the quoted or cut lines after it were not reviewed`, line: droppedAfterTruncation, kind: 'skipped' });
      droppedAfterTruncation = null;
    }
  };

  let i = from;
  while (i < to) {
    const t = texts[i];
    if (t.startsWith('diff --git ')) {
      noteDropped();
      closeFile();
      const b = newBuilder(src.lines[i]);
      current = b;
      const paths = gitHeaderPaths(t.slice('diff --git '.length));
      if (paths) [b.oldPath, b.newPath] = stripPrefixPair(paths[0], paths[1]);
      i = readGitExtendedHeader(src, i + 1, to, b, problems);
      continue;
    }
    if (t.startsWith('diff --cc ') || t.startsWith('diff --combined ')) {
      noteDropped();
      closeFile();
      const b = newBuilder(src.lines[i]);
      b.combined = true;
      b.oldPath = b.newPath = t.slice(t.indexOf(' ', 5) + 1).trim();
      problems.push({ message: `${b.newPath}: combined (merge) diff skipped`, line: src.lines[i], kind: 'skipped' });
      current = b;
      i++;
      while (i < to && !isFileStart(texts, i)) i++;
      closeFile();
      continue;
    }
    if (t.startsWith('--- ') && isPlainFileStart(texts, i)) {
      noteDropped();
      closeFile();
      const b = newBuilder(src.lines[i]);
      current = b;
      [b.oldPath, b.newPath] = plainPaths(markerPath(t), markerPath(texts[i + 1]));
      i += 2;
      continue;
    }
    if (isHunkHeader(t)) {
      noteDropped();
      if (!current) {
        // A quoted reply may keep only the @@ lines of the diff: the file name is not known.
        current = newBuilder(src.lines[i]);
        current.oldPath = current.newPath = fallbackPath;
      }
      const hunk = readHunk(src, i, to);
      const h = hunk.pending.hunk;
      if (Math.max(h.oldStart, h.newStart) > MAX_IMAGE_LINE) {
        // Line-aligned views of such a hunk would need that many lines: no source file is that long.
        problems.push({ message: `${fileDisplayPath(current)}: hunk at line ${Math.max(h.oldStart, h.newStart)} starts beyond the limit of ${MAX_IMAGE_LINE} lines per file: not reviewed`, line: h.inputLine, kind: 'skipped' });
      } else if (current.hunks.length >= options.maxHunksPerFile) current.droppedHunks++;
      else {
        current.hunks.push(hunk.pending.hunk);
        current.pending.push(hunk.pending);
      }
      i = hunk.next;
      // A reviewer's cut ([...], <snip>) inside a quoted hunk: what follows it is the end of the same hunk.
      let cutHunk = hunk.pending;
      while (cutHunk.hunk.truncated && texts[i] === CUT_SENTINEL && isHunkBodyLine(texts[i + 1]) && current.hunks.length < options.maxHunksPerFile) {
        const tail = readCutTail(src, cutHunk, i + 1, to);
        problems.push({ message: `quoted diff trimmed at line ${lineAt(src, i)}: reviewed what is quoted (the lines cut there are unknown)`, line: lineAt(src, i), kind: 'skipped' });
        current.hunks.push(tail.pending.hunk);
        current.pending.push(tail.pending);
        cutHunk = tail.pending;
        i = tail.next;
      }
      if (cutHunk.hunk.truncated) {
        droppedAfterTruncation = looksLikeDroppedHunkLines(texts, i, to) ? lineAt(src, i) : null;
        // The input ends, yet the header promised more lines: the patch (or the mail) was cut short. Said, not silent.
        if (droppedAfterTruncation === null && inputEndsHere(texts, i, to)) {
          problems.push({
            message: `${fileDisplayPath(current)}: the input ends inside the hunk at line ${cutHunk.hunk.inputLine} (fewer lines than its @@ header counts): the patch looks cut short, reviewed what is there`,
            line: cutHunk.hunk.inputLine,
            kind: 'skipped',
          });
        }
      } else {
        // git apply calls such a patch corrupt: the header's counts end the hunk before its last changed lines.
        const stray = strayChangeLines(texts, i, to);
        if (stray > 0) {
          problems.push({
            message: `${stray} line${stray === 1 ? '' : 's'} after the hunk at line ${h.inputLine} ${stray === 1 ? 'does' : 'do'} not belong to any hunk (its @@ line counts are too small): not reviewed`,
            line: lineAt(src, i),
            kind: 'skipped',
          });
        }
      }
      continue;
    }
    if (isMalformedHunkHeader(t) && current) {
      noteDropped();
      const shown = t.length > 60 ? `${t.slice(0, 60)}…` : t;
      problems.push({ message: `${fileDisplayPath(current)}: malformed hunk header '${shown}': the lines of this hunk are not reviewed`, line: src.lines[i], kind: 'skipped' });
    }
    i++;
  }
  noteDropped();
  closeFile();
  return { files, problems };
}

function lineAt(src: SourceLines, i: number): number {
  return src.lines[Math.min(i, src.lines.length - 1)] ?? 1;
}

/** The mail signature separator; mail clients often strip its trailing space, so a bare "--" counts too. */
function isSignatureSeparator(t: string): boolean {
  return t === '-- ' || t === '--';
}

/**
 * After a complete hunk: how many lines up to the last '+'/'-' line of an unbroken run of hunk-like lines (before
 * any header, signature or prose). Context-only runs do not count: a mail may indent text after the diff.
 */
function strayChangeLines(texts: readonly string[], from: number, to: number): number {
  let lastChange = -1;
  for (let i = from; i < to; i++) {
    const t = texts[i];
    if (isFileStart(texts, i) || isHunkHeader(t) || t === CUT_SENTINEL) break;
    if (isSignatureSeparator(t) || t.startsWith('--- ') || t.startsWith('+++ ')) break;
    if (t[0] === '+' || t[0] === '-') lastChange = i;
    else if (t[0] !== ' ' && t !== '') break;
    else if (t === '' && lastChange < 0) break;
  }
  return lastChange < 0 ? 0 : lastChange - from + 1;
}

/** Nothing but blank lines (or a mail signature) from `from` to the end: the input itself stops after this hunk. */
function inputEndsHere(texts: readonly string[], from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const t = texts[i];
    if (t === '-- ' || t === '--') return true;
    if (t.trim() !== '') return false;
  }
  return true;
}

/** After a truncated hunk: do hunk-like lines follow before the next header (so something was dropped)? */
function looksLikeDroppedHunkLines(texts: readonly string[], from: number, to: number): boolean {
  for (let i = from; i < to && i < from + 2; i++) {
    const t = texts[i];
    if (t === CUT_SENTINEL) return true;
    if (isFileStart(texts, i) || isHunkHeader(t)) return false;
    if (isSignatureSeparator(t)) return false;
    if (t[0] === '+' || t[0] === '-' || t[0] === ' ') return true;
  }
  return false;
}

/** Paths of a `diff -u` file: strips a/ b/ (or a differing first directory, as `patch -p1` would). */
function plainPaths(oldPath: string | null, newPath: string | null): [string | null, string | null] {
  // A loop, not recursion: a hostile name can have a million differing leading directories.
  for (;;) {
    const [a, b] = stripPrefixPair(oldPath, newPath);
    if (a !== oldPath || b !== newPath || a === null || b === null) return [a, b];
    const sa = a.indexOf('/');
    const sb = b.indexOf('/');
    if (sa > 0 && sb > 0 && a.slice(0, sa) !== b.slice(0, sb)) {
      oldPath = a.slice(sa + 1);
      newPath = b.slice(sb + 1);
      continue;
    }
    // `diff -u x.c.orig x.c` edits x.c: the backup name is not a path in the tree.
    if (a === b + '.orig' || a === b + '~' || a === b + '.old') return [b, b];
    return [a, b];
  }
}

/** Reads git's extended header lines after `diff --git`; returns the index after them (and after binary data). */
function readGitExtendedHeader(src: SourceLines, start: number, to: number, b: FileBuilder, problems: ScanProblem[]): number {
  const texts = src.texts;
  let i = start;
  for (; i < to; i++) {
    const t = texts[i];
    if (t.startsWith('old mode ') || t.startsWith('new mode ')) b.modeChange = true;
    else if (t.startsWith('new file mode ')) b.isNew = true;
    else if (t.startsWith('deleted file mode ')) b.isDeleted = true;
    else if (t.startsWith('similarity index ') || t.startsWith('dissimilarity index ') || t.startsWith('index ')) {
      // The blob ids name the exact pre-image, which a reviewer's repository can supply (analyze's context).
      const ids = /^index ([0-9a-f]{7,64})\.\.([0-9a-f]{7,64})\b/.exec(t);
      if (ids) b.blobs = { pre: ids[1], post: ids[2] };
    } else if (t.startsWith('rename from ') || t.startsWith('rename old ')) {
      b.rename = true;
      b.oldPath = unquoteMaybe(t.slice(t.indexOf(' ', 7) + 1));
    } else if (t.startsWith('rename to ') || t.startsWith('rename new ')) {
      b.rename = true;
      b.newPath = unquoteMaybe(t.slice(t.indexOf(' ', 7) + 1));
    } else if (t.startsWith('copy from ')) {
      b.copy = true;
      b.oldPath = unquoteMaybe(t.slice('copy from '.length));
    } else if (t.startsWith('copy to ')) {
      b.copy = true;
      b.newPath = unquoteMaybe(t.slice('copy to '.length));
    } else if (t.startsWith('--- ') && texts[i + 1]?.startsWith('+++ ')) {
      const [oldPath, newPath] = stripPrefixPair(markerPath(t), markerPath(texts[i + 1]));
      b.oldPath = oldPath ?? b.oldPath;
      b.newPath = newPath ?? b.newPath;
      if (oldPath === null) b.isNew = true;
      if (newPath === null) b.isDeleted = true;
      i++;
    } else if (t.startsWith('Binary files ') || t === 'GIT binary patch') {
      b.binary = true;
      problems.push({ message: `${fileDisplayPath(b)}: binary patch skipped (${t})`, line: src.lines[i], kind: 'skipped' });
      if (t === 'GIT binary patch') {
        i++;
        while (i < to && !isFileStart(texts, i) && texts[i] !== '-- ') i++;
        return i;
      }
    } else break;
  }
  return i;
}

function unquoteMaybe(s: string): string {
  return s.startsWith('"') ? readQuoted(s).value : s;
}

/** Reads one hunk starting at its @@ line; stops when the header's counts are met or at a line that cannot belong. */
function readHunk(src: SourceLines, start: number, to: number): { pending: PendingHunk; next: number } {
  const texts = src.texts;
  const m = HUNK_HEADER.exec(texts[start]) as RegExpExecArray;
  const oldStart = Number(m[1]);
  const oldLines = m[2] === undefined ? 1 : Number(m[2]);
  const newStart = Number(m[3]);
  const newLines = m[4] === undefined ? 1 : Number(m[4]);
  let remOld = oldLines;
  let remNew = newLines;
  const body: number[] = [];
  let i = start + 1;
  for (; i < to && (remOld > 0 || remNew > 0); i++) {
    const t = texts[i];
    const c = t.charCodeAt(0);
    if (c === 92 /* \ */) continue; // "\ No newline at end of file"
    if (t === '' || c === 32 /* space */) {
      if (remOld === 0 || remNew === 0) break;
      remOld--;
      remNew--;
    } else if (c === 43 /* + */) {
      if (remNew === 0) break;
      remNew--;
    } else if (c === 45 /* - */) {
      if (remOld === 0) break;
      if (isSignatureSeparator(t) && !isHunkBodyLine(texts[i + 1])) break; // mail signature after a short hunk
      if (t.startsWith('--- ') && texts[i + 1]?.startsWith('+++ ') && isHunkHeader(texts[i + 2])) break;
      remOld--;
    } else break;
    body.push(i);
  }
  while (i < to && texts[i].charCodeAt(0) === 92) i++; // trailing "\ No newline" pseudo-lines
  const truncated = remOld > 0 || remNew > 0;
  return {
    pending: {
      hunk: { oldStart, oldLines, newStart, newLines, heading: m[5].trim().slice(0, MAX_HEADING), inputLine: src.lines[start], lines: [], truncated },
      header: texts[start],
      body,
    },
    next: i,
  };
}

/**
 * The quoted lines after a cut inside a hunk, as a hunk of their own aligned with the end of the cut one (the part
 * before the cut said where the hunk starts, its @@ counts say where it ends); when they do not fit in what is left
 * of the counts (the reply trimmed the end too), they continue right after the lines before the cut.
 */
function readCutTail(src: SourceLines, cut: PendingHunk, start: number, to: number): { pending: PendingHunk; next: number } {
  const texts = src.texts;
  const h = cut.hunk;
  let readOld = 0;
  let readNew = 0;
  for (const k of cut.body) {
    const c = texts[k][0];
    if (c !== '+') readOld++;
    if (c !== '-') readNew++;
  }
  const body: number[] = [];
  let tailOld = 0;
  let tailNew = 0;
  let i = start;
  for (; i < to; i++) {
    const t = texts[i];
    if (t.charCodeAt(0) === 92) continue;
    if (!isHunkBodyLine(t) || isFileStart(texts, i) || isHunkHeader(t) || isSignatureSeparator(t)) break;
    if (t.startsWith('--- ') && texts[i + 1]?.startsWith('+++ ')) break;
    if (t[0] !== '+') tailOld++;
    if (t[0] !== '-') tailNew++;
    body.push(i);
  }
  const remOld = h.oldLines - readOld;
  const remNew = h.newLines - readNew;
  const fits = tailOld <= remOld && tailNew <= remNew;
  const oldStart = fits ? h.oldStart + h.oldLines - tailOld : h.oldStart + readOld;
  const newStart = fits ? h.newStart + h.newLines - tailNew : h.newStart + readNew;
  const header = `@@ -${oldStart},${tailOld} +${newStart},${tailNew} @@ ${h.heading}`;
  return {
    pending: {
      hunk: { oldStart, oldLines: tailOld, newStart, newLines: tailNew, heading: h.heading, inputLine: lineAt(src, start), lines: [], truncated: !fits },
      header,
      body,
    },
    next: i,
  };
}

function isHunkBodyLine(t: string | undefined): boolean {
  return t !== undefined && (t[0] === ' ' || t[0] === '+' || t[0] === '-');
}

interface PendingHunk {
  hunk: Hunk;
  header: string;
  /** Indices into src of the hunk's body lines (pseudo-lines excluded). */
  body: number[];
}

/**
 * Runs parse-diff over a file's hunks (one call per run of hunks, a truncated hunk ending its run so it cannot
 * swallow the next header) and pairs each change with its input position.
 */
function classifyFile(src: SourceLines, pending: PendingHunk[]): void {
  let runStart = 0;
  for (let k = 0; k < pending.length; k++) {
    if (pending[k].hunk.truncated || k === pending.length - 1) {
      classifyRun(src, pending.slice(runStart, k + 1));
      runStart = k + 1;
    }
  }
}

function classifyRun(src: SourceLines, run: PendingHunk[]): void {
  const parts: string[] = ['--- a/x', '+++ b/x'];
  for (const p of run) {
    parts.push(p.header);
    for (const k of p.body) parts.push(src.texts[k]);
  }
  let chunks: parseDiff.Chunk[] = [];
  try {
    chunks = parseDiff(parts.join('\n'))[0]?.chunks ?? [];
  } catch {
    chunks = [];
  }
  run.forEach((p, r) => {
    const changes = (chunks.length === run.length ? chunks[r].changes : []).filter((ch) => !ch.content.startsWith('\\'));
    p.hunk.lines = pairLines(src, p, changes);
  });
}

function pairLines(src: SourceLines, p: PendingHunk, changes: parseDiff.Change[]): HunkLine[] {
  const body = p.body;
  const agrees = changes.length === body.length && changes.every((ch, k) => markerKind(src.texts[body[k]]) === ch.type);
  let oldLine = p.hunk.oldStart;
  let newLine = p.hunk.newStart;
  const out: HunkLine[] = new Array(body.length);
  for (let k = 0; k < body.length; k++) {
    const idx = body[k];
    const raw = src.texts[idx];
    // parse-diff is the classifier; our own reading of the marker is the fallback if it ever disagrees.
    const type = agrees ? changes[k].type : markerKind(raw);
    const text = raw.length > 0 ? raw.slice(1) : '';
    const column = src.columns[idx] + (raw.length > 0 ? 1 : 0);
    if (type === 'add') out[k] = { kind: 'add', text, inputLine: src.lines[idx], inputColumn: column, newLine: newLine++ };
    else if (type === 'del') out[k] = { kind: 'del', text, inputLine: src.lines[idx], inputColumn: column, oldLine: oldLine++ };
    else out[k] = { kind: 'context', text, inputLine: src.lines[idx], inputColumn: column, oldLine: oldLine++, newLine: newLine++ };
  }
  return out;
}

function markerKind(raw: string): 'add' | 'del' | 'normal' {
  if (raw[0] === '+') return 'add';
  if (raw[0] === '-') return 'del';
  return 'normal';
}
