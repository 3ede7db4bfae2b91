/**
 * Hunk views show fragments of C: before extraction, a fragment left open at the end of a visible range is closed in
 * the blank line before the next range, so one fragment's header does not swallow the next hunk's code.
 */
import type { CView } from '../types';

/** Brace depth change of one line of C, ignoring comments, strings and character literals. */
function braceDelta(line: string, state: { inComment: boolean }): number {
  let d = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (state.inComment) {
      if (c === '*' && line[i + 1] === '/') {
        state.inComment = false;
        i++;
      }
      continue;
    }
    if (c === '/' && line[i + 1] === '*') {
      state.inComment = true;
      i++;
    } else if (c === '/' && line[i + 1] === '/') break;
    else if (c === '"' || c === "'") {
      for (i++; i < line.length && line[i] !== c; i++) if (line[i] === '\\') i++;
    } else if (c === '{') d++;
    else if (c === '}') d--;
  }
  return d;
}

/**
 * A hunk view shows fragments: a hunk often ends on the next function's header (and its opening brace) while the
 * body is not shown. Parsed as is, that header swallows the next hunk's code. Where a visible range ends inside an
 * unclosed brace (or on a bare function header) and the next range starts with top-level code, close it in the
 * blank, unseen line just before: line alignment and every visible character stay as they are.
 */
export function closeAcrossGaps(view: CView): CView {
  if (view.complete || view.visibleLines.length < 2) return view;
  const lines = view.text.split('\n');
  const ranges = [...view.visibleLines].sort((a, b) => a.from - b.from);
  const state = { inComment: false };
  let depth = 0;
  let changed = false;
  for (let r = 0; r < ranges.length; r++) {
    const range = ranges[r];
    let lastCode = '';
    for (let l = range.from; l <= range.to && l <= lines.length; l++) {
      const text = lines[l - 1] ?? '';
      depth = Math.max(0, depth + braceDelta(text, state));
      if (text.trim() !== '') lastCode = text;
    }
    const next = ranges[r + 1];
    if (!next || next.from - 1 <= range.to) continue;
    let firstNext = '';
    for (let l = next.from; l <= next.to && l <= lines.length; l++) {
      if ((lines[l - 1] ?? '').trim() !== '') {
        firstNext = lines[l - 1];
        break;
      }
    }
    const topLevelNext = /^[A-Za-z_{]/.test(firstNext) && !/^\w+:\s*(\/[/*].*)?$/.test(firstNext);
    if (!topLevelNext || state.inComment) continue;
    const hidden = next.from - 2; // 0-based index of the unseen line just before the next range
    if ((lines[hidden] ?? '') !== '') continue;
    if (depth > 0) {
      lines[hidden] = '}'.repeat(depth);
      depth = 0;
      changed = true;
    } else if (/^[A-Za-z_].*\)\s*$/.test(lastCode) && !/[;,]\s*$/.test(lastCode) && /\(/.test(lastCode)) {
      lines[hidden] = ';'; // a function header whose body is not shown: make it a declaration
      changed = true;
    }
  }
  return changed ? { ...view, text: lines.join('\n') } : view;
}
