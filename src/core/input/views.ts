/**
 * C views of a file diff: line-aligned hunk-only images, and whole images when the hunks apply to a base text.
 */
import type { CView, FileDiff, Hunk } from '../types';

type Image = 'post' | 'pre';

export function isCPath(path: string): boolean {
  return /\.[ch]$/.test(path);
}

function imageLineOf(line: Hunk['lines'][number], image: Image): number | undefined {
  return image === 'post' ? line.newLine : line.oldLine;
}

function shows(line: Hunk['lines'][number], image: Image): boolean {
  return image === 'post' ? line.kind !== 'del' : line.kind !== 'add';
}

function mergeRanges(ranges: { from: number; to: number }[]): { from: number; to: number }[] {
  const sorted = ranges.filter((r) => r.to >= r.from).sort((a, b) => a.from - b.from);
  const out: { from: number; to: number }[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
    else out.push({ ...r });
  }
  return out;
}

/**
 * One image from the hunks alone. `shift(hunkIndex)` moves image lines when the hunks were applied at an offset.
 */
function buildHunkImage(file: FileDiff, image: Image, path: string): CView {
  const textByLine: string[] = [];
  const changed: number[] = [];
  const ranges: { from: number; to: number }[] = [];
  const inputLines: Record<number, { line: number; column: number }> = {};
  let maxLine = 0;
  for (const hunk of file.hunks) {
    let first = Infinity;
    let last = -Infinity;
    for (const line of hunk.lines) {
      if (!shows(line, image)) continue;
      const n = imageLineOf(line, image);
      if (n === undefined || n < 1) continue;
      textByLine[n] = line.text;
      inputLines[n] = { line: line.inputLine, column: line.inputColumn };
      if (line.kind !== 'context') changed.push(n);
      first = Math.min(first, n);
      last = Math.max(last, n);
      maxLine = Math.max(maxLine, n);
    }
    if (first <= last) ranges.push({ from: first, to: last });
  }
  for (const hunk of file.hunks) openInitializerFromHeading(hunk, image, textByLine);
  const visibleLines = mergeRanges(ranges);
  return {
    path,
    image,
    text: alignedText(textByLine, maxLine),
    complete: wholeFileShown(file, image, visibleLines),
    changedLines: [...new Set(changed)].sort((a, b) => a - b),
    visibleLines,
    inputLines,
  };
}

/**
 * Lines 1..maxLine joined, unseen lines empty. Only the shown lines are visited (the array is sparse: a hunk at line
 * 1,999,990 must not cost two million array reads); the unseen runs between them are newlines made at once.
 */
function alignedText(textByLine: string[], maxLine: number): string {
  const parts: string[] = [];
  let previous = 0; // the last line written
  // Object.keys lists only the lines present, in ascending order (integer keys), where forEach would probe every index.
  for (const key of Object.keys(textByLine)) {
    const n = Number(key);
    const text = textByLine[n];
    if (!(n >= 1 && n <= maxLine) || text === undefined) continue;
    // Line 1 needs no newline before it; each later line needs one per line number advanced.
    parts.push(previous === 0 ? '\n'.repeat(n - 1) : '\n'.repeat(n - previous), text);
    previous = n;
  }
  if (previous < maxLine) parts.push('\n'.repeat(previous === 0 ? Math.max(0, maxLine - 1) : maxLine - previous));
  return parts.join('');
}

/** git's heading of a hunk that starts inside a struct initializer: `static struct pci_driver foo_driver = {`. */
const STRUCT_INITIALIZER_HEADING = /^(?:(?:static|const|extern)\s+)*struct\s+\w+\s+\w+\s*(?:\[\s*\])?\s*=\s*\{\s*$/;

/**
 * Brace depth change of a line of C, ignoring string/char literals and comments on that line. A scan, not a regex:
 * the literal pattern retried from every quote of a line of escaped quotes was quadratic (200 KB: 9.8 s).
 */
function braceDelta(text: string): number {
  let d = 0;
  // A quote with no closing quote after it: later quotes of that kind are ordinary characters too (keeps it linear).
  const unclosed = { '"': false, "'": false };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if ((c === '"' || c === "'") && !unclosed[c]) {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      if (j < text.length) i = j;
      else unclosed[c] = true;
    } else if (c === '/' && text[i + 1] === '/') break;
    else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end >= 0) i = end + 1;
    } else if (c === '{') d++;
    else if (c === '}') d--;
  }
  return d;
}

/**
 * A hunk that starts inside a struct initializer shows member lines torn from their `struct x y = {` line, which
 * git repeats as the hunk heading. Put the heading back on the unseen line just above the hunk (plus a bare `{`
 * per nested initializer the hunk closes without opening) so the parser sees one initializer. The lines stay
 * invisible (not in visibleLines, no input line), so a struct that needs them is still known to be partial.
 */
function openInitializerFromHeading(hunk: Hunk, image: Image, textByLine: string[]): void {
  if (!STRUCT_INITIALIZER_HEADING.test(hunk.heading.trim())) return;
  const shown = hunk.lines.filter((l) => shows(l, image));
  const first = shown.find((l) => l.text.trim() !== '');
  const start = shown.length > 0 ? imageLineOf(shown[0], image) : undefined;
  if (!first || start === undefined || !/^\s+(?:\.|\[|\})/.test(first.text)) return;
  let depth = 0;
  let lowest = 0;
  for (const l of shown) {
    depth += braceDelta(l.text);
    lowest = Math.min(lowest, depth);
  }
  const openers = -lowest;
  if (openers < 1 || start - openers < 1) return;
  for (let n = start - openers; n < start; n++) if (textByLine[n] !== undefined) return;
  textByLine[start - openers] = hunk.heading.trim();
  for (let n = start - openers + 1; n < start; n++) textByLine[n] = '{';
}

/** A new file's post-image (or a deleted file's pre-image) is complete when its one hunk shows every line. */
function wholeFileShown(file: FileDiff, image: Image, visible: { from: number; to: number }[]): boolean {
  const createdOrRemoved = image === 'post' ? file.status === 'added' : file.status === 'deleted';
  if (!createdOrRemoved || file.hunks.length !== 1) return false;
  const hunk = file.hunks[0];
  if (hunk.truncated) return false;
  const count = image === 'post' ? hunk.newLines : hunk.oldLines;
  if (count === 0) return visible.length === 0;
  return visible.length === 1 && visible[0].from === 1 && visible[0].to === count;
}

function reviewable(file: FileDiff): boolean {
  return file.status !== 'binary' && file.status !== 'combined' && file.hunks.length > 0;
}

/** Line-aligned views of the post- and pre-image built from the hunks alone. */
export function hunkViews(file: FileDiff): { post?: CView; pre?: CView } {
  if (!reviewable(file)) return {};
  const out: { post?: CView; pre?: CView } = {};
  if (file.status !== 'deleted' && file.newPath !== null) out.post = buildHunkImage(file, 'post', file.newPath);
  if (file.status !== 'added' && file.oldPath !== null) out.pre = buildHunkImage(file, 'pre', file.oldPath);
  return out;
}

interface Placement {
  /** 0-based index in the base where the hunk's old lines start. */
  oldIndex: number;
  /** 0-based index in the result where the hunk's new lines start. */
  newIndex: number;
}

interface Applied {
  baseLines: string[];
  resultLines: string[];
  placements: Placement[];
  finalNewline: boolean;
}

function splitText(text: string): { lines: string[]; finalNewline: boolean } {
  if (text === '') return { lines: [], finalNewline: true };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) if (lines[i].endsWith('\r')) lines[i] = lines[i].slice(0, -1);
  const finalNewline = lines[lines.length - 1] === '';
  if (finalNewline) lines.pop();
  return { lines, finalNewline };
}

function matchesAt(base: string[], at: number, expected: string[], loose: boolean): boolean {
  if (at < 0 || at + expected.length > base.length) return false;
  for (let k = 0; k < expected.length; k++) {
    const a = base[at + k];
    const b = expected[k];
    if (a !== b && !(loose && a.trimEnd() === b.trimEnd())) return false;
  }
  return true;
}

/** Finds where `expected` matches, nearest to `want` first (like patch's offset search), not before `floor`. */
function locate(base: string[], wanted: number, floor: number, expected: string[]): number {
  const want = Math.min(Math.max(wanted, floor), base.length);
  for (const loose of [false, true]) {
    const limit = Math.max(want - floor, base.length - want) + 1;
    for (let delta = 0; delta <= limit; delta++) {
      if (want + delta >= floor && matchesAt(base, want + delta, expected, loose)) return want + delta;
      if (delta > 0 && want - delta >= floor && matchesAt(base, want - delta, expected, loose)) return want - delta;
    }
  }
  return -1;
}

function applyInternal(base: string, file: FileDiff): { ok: true; applied: Applied } | { ok: false; reason: string } {
  if (file.status === 'binary' || file.status === 'combined') return { ok: false, reason: `${file.status} diff cannot be applied` };
  // A new file on top of existing text would just be prepended to it.
  if (file.status === 'added' && base.trim() !== '') return { ok: false, reason: 'the new file already exists' };
  const { lines: baseLines, finalNewline } = splitText(base);
  const result: string[] = [];
  const placements: Placement[] = [];
  let cursor = 0; // next base line not yet copied
  let offset = 0; // found position - stated position of the previous hunk, carried like patch does
  for (let h = 0; h < file.hunks.length; h++) {
    const hunk = file.hunks[h];
    if (hunk.truncated) return { ok: false, reason: `hunk ${h + 1} (@@ -${hunk.oldStart},${hunk.oldLines}) is truncated` };
    const expected = hunk.lines.filter((l) => l.kind !== 'add').map((l) => l.text);
    // For a pure insertion git states the line *before* the insertion point.
    const stated = hunk.oldLines === 0 ? hunk.oldStart : hunk.oldStart - 1;
    let at: number;
    if (expected.length === 0) {
      at = stated + offset;
      if (at < cursor || at > baseLines.length) return { ok: false, reason: `hunk ${h + 1} inserts at line ${hunk.oldStart + 1}, outside the file` };
    } else {
      at = locate(baseLines, Math.max(cursor, stated + offset), cursor, expected);
      if (at < 0) {
        return { ok: false, reason: `hunk ${h + 1} (@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@) context does not match` };
      }
    }
    offset = at - stated;
    for (; cursor < at; cursor++) result.push(baseLines[cursor]);
    placements.push({ oldIndex: at, newIndex: result.length });
    for (const line of hunk.lines) if (line.kind !== 'del') result.push(line.text);
    cursor = at + expected.length;
  }
  for (; cursor < baseLines.length; cursor++) result.push(baseLines[cursor]);
  return { ok: true, applied: { baseLines, resultLines: file.status === 'deleted' ? [] : result, placements, finalNewline } };
}

/** Applies the file's hunks to the whole base text (exact context, nearest offset first; trailing blanks tolerated). */
export function applyFileDiff(base: string, file: FileDiff): { ok: true; text: string } | { ok: false; reason: string } {
  try {
    const r = applyInternal(base, file);
    if (!r.ok) return r;
    const { resultLines, finalNewline } = r.applied;
    return { ok: true, text: resultLines.join('\n') + (finalNewline && resultLines.length > 0 ? '\n' : '') };
  } catch (e) {
    return { ok: false, reason: `internal error: ${(e as Error).message}` };
  }
}

function wholeView(path: string, image: Image, lines: string[], file: FileDiff, placements: Placement[]): CView {
  const inputLines: Record<number, { line: number; column: number }> = {};
  const changed: number[] = [];
  file.hunks.forEach((hunk, h) => {
    let n = (image === 'post' ? placements[h].newIndex : placements[h].oldIndex) + 1;
    for (const line of hunk.lines) {
      if (!shows(line, image)) continue;
      inputLines[n] = { line: line.inputLine, column: line.inputColumn };
      if (line.kind !== 'context') changed.push(n);
      n++;
    }
  });
  return {
    path,
    image,
    text: lines.join('\n'),
    complete: true,
    changedLines: changed,
    visibleLines: lines.length > 0 ? [{ from: 1, to: lines.length }] : [],
    inputLines,
  };
}

/** The same diff read backwards: applying it to a post-image gives the pre-image. */
function reverseFile(file: FileDiff): FileDiff {
  const status = file.status === 'added' ? 'deleted' : file.status === 'deleted' ? 'added' : file.status;
  return {
    ...file,
    oldPath: file.newPath,
    newPath: file.oldPath,
    status,
    hunks: file.hunks.map((h) => ({
      ...h,
      oldStart: h.newStart,
      oldLines: h.newLines,
      newStart: h.oldStart,
      newLines: h.oldLines,
      lines: h.lines.map((l) => ({ ...l, kind: l.kind === 'add' ? 'del' : l.kind === 'del' ? 'add' : 'context', oldLine: l.newLine, newLine: l.oldLine })),
    })),
  };
}

function safeApply(base: string, file: FileDiff): ReturnType<typeof applyInternal> {
  try {
    return applyInternal(base, file);
  } catch (e) {
    return { ok: false, reason: `internal error: ${(e as Error).message}` };
  }
}

/**
 * Whole-file views when the hunks apply to `base`; when the base already contains the change (a workspace where the
 * patch was applied) the base is taken as the post-image; otherwise the hunk views and a problem saying so.
 */
export function fullViews(base: string | undefined, file: FileDiff): { post?: CView; pre?: CView; problem?: string } {
  if (!reviewable(file)) return {};
  const effectiveBase = base ?? (file.status === 'added' ? '' : undefined);
  if (effectiveBase === undefined) return hunkViews(file);
  const path = file.newPath ?? file.oldPath ?? 'unknown';
  const forward = safeApply(effectiveBase, file);
  let postLines: string[];
  let preLines: string[];
  let placements: Placement[];
  if (forward.ok) {
    ({ baseLines: preLines, resultLines: postLines, placements } = forward.applied);
  } else {
    const backward = safeApply(effectiveBase, reverseFile(file));
    if (!backward.ok) return { ...hunkViews(file), problem: `hunks do not apply to ${path}: ${forward.reason}; reviewed the hunks only` };
    postLines = backward.applied.baseLines;
    preLines = backward.applied.resultLines;
    placements = backward.applied.placements.map((p) => ({ oldIndex: p.newIndex, newIndex: p.oldIndex }));
  }
  const out: { post?: CView; pre?: CView } = {};
  if (file.status !== 'deleted' && file.newPath !== null) out.post = wholeView(file.newPath, 'post', postLines, file, placements);
  if (file.status !== 'added' && file.oldPath !== null) out.pre = wholeView(file.oldPath, 'pre', preLines, file, placements);
  return out;
}
