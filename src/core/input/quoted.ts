/**
 * Recovers a diff quoted in a review reply ("> ", "> > ", ">>", ">" alone for an empty line) with the reviewers'
 * comments interleaved. Only lines at the quote depth that carries the diff markers are kept; comments at other
 * depths disappear (so they do not break a hunk), and cut marks ("[...]", "<snip>") end the hunk they interrupt.
 */
import { CUT_SENTINEL, findDiffStart, isHunkHeader } from './diff';
import { pushLine, type SourceLines, emptySourceLines } from './lines';

/** Quote depth of a line and the length of its quote prefix (one optional space after the last '>'). */
export function quotePrefix(text: string): { depth: number; length: number } {
  let i = 0;
  let depth = 0;
  while (i < text.length && text.charCodeAt(i) === 62 /* > */) {
    depth++;
    i++;
    if (text[i] === ' ' && text[i + 1] === '>') i++;
  }
  if (depth > 0 && text[i] === ' ') i++;
  return { depth, length: i };
}

const CUT_MARK = /^(?:\[\s*(?:\.\.\.|…|snip|snipped|\.\.\. ?snip ?\.\.\.|trimmed)\s*\]|<\s*(?:snip|snipped|\.\.\.)\s*>|\.\.\.|…|-+\s*snip\s*-+)$/i;

function isDiffMarker(lines: readonly string[], k: number): boolean {
  const t = lines[k];
  if (t.startsWith('diff --git ') || t.startsWith('diff --cc ') || t.startsWith('diff --combined ')) return true;
  if (isHunkHeader(t)) return true;
  return t.startsWith('--- ') && (lines[k + 1]?.startsWith('+++ ') ?? false);
}

/**
 * Returns the lines of the quoted diff (text without the quote prefix, column shifted past it), or null when no
 * quoted text carries diff markers.
 */
export function unquoteDiff(body: SourceLines): { lines: SourceLines; depth: number } | null {
  const n = body.texts.length;
  const depths = new Array<number>(n);
  const contents = new Array<string>(n);
  const prefixLengths = new Array<number>(n);
  let anyQuoted = false;
  for (let k = 0; k < n; k++) {
    const { depth, length } = quotePrefix(body.texts[k]);
    depths[k] = depth;
    prefixLengths[k] = length;
    contents[k] = depth > 0 ? body.texts[k].slice(length) : body.texts[k];
    if (depth > 0) anyQuoted = true;
  }
  if (!anyQuoted) return null;

  // Markers must sit on consecutive lines of the same depth ("---" then "+++"), so look per depth.
  const markerCount = new Map<number, number>();
  for (let k = 0; k < n; k++) {
    const d = depths[k];
    if (d === 0) continue;
    const c = contents[k];
    if (!(c.startsWith('diff ') || c.startsWith('@@ -') || c.startsWith('--- '))) continue;
    const view = [c, depths[k + 1] === d ? contents[k + 1] : ''];
    if (isDiffMarker(view, 0)) markerCount.set(d, (markerCount.get(d) ?? 0) + 1);
  }
  if (markerCount.size === 0) return null;
  let diffDepth = 0;
  let best = -1;
  for (const [d, count] of markerCount) {
    if (count > best || (count === best && d > diffDepth)) {
      diffDepth = d;
      best = count;
    }
  }

  const out = emptySourceLines();
  for (let k = 0; k < n; k++) {
    const d = depths[k];
    if (d === diffDepth) {
      const c = contents[k];
      if (CUT_MARK.test(c.trim())) pushLine(out, CUT_SENTINEL, body.lines[k], body.columns[k]);
      else pushLine(out, c, body.lines[k], body.columns[k] + prefixLengths[k]);
    } else if (d < diffDepth && CUT_MARK.test(contents[k].trim())) {
      pushLine(out, CUT_SENTINEL, body.lines[k], body.columns[k]);
    }
  }
  if (findDiffStart(out.texts) < 0) return null;
  return { lines: out, depth: diffDepth };
}
