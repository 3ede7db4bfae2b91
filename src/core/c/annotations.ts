/**
 * Kernel annotations that tree-sitter-c does not know. Blanking them with spaces of the same length keeps every
 * offset, line and column valid, and removes a large share of the ERROR nodes kernel C produces.
 */

const BARE_ANNOTATIONS = [
  '__iomem', '__user', '__rcu', '__must_check', '__maybe_unused', '__init', '__exit', '__initdata', '__initconst',
  '__devinit', '__percpu', '__force', '__always_unused', '__cold', '__ro_after_init', '__read_mostly', '__packed',
  '__always_inline', 'noinline', '__noreturn', '__ref', '__refdata', '__exitdata', '__nocast', '__safe', '__kernel',
];

/** Annotations that take a parenthesised argument list. */
const CALL_ANNOTATIONS = [
  '__counted_by', '__free', '__acquires', '__releases', '__must_hold', '__aligned', '__printf', '__guarded_by',
  '__cond_acquires', '__section',
];

const BARE_PATTERN = new RegExp(`\\b(?:${BARE_ANNOTATIONS.join('|')})\\b`, 'g');
const CALL_PATTERN = new RegExp(`\\b(?:${CALL_ANNOTATIONS.join('|')})\\s*\\(`, 'g');
const QUICK_CHECK = /\b(?:__[a-z]|noinline)/;

/** Returns `text` with kernel annotations replaced by spaces; newlines inside them are kept so lines stay aligned. */
export function blankAnnotations(text: string): string {
  if (!QUICK_CHECK.test(text)) return text;
  const ranges: [number, number][] = [];
  for (const match of text.matchAll(BARE_PATTERN)) {
    ranges.push([match.index, match.index + match[0].length]);
  }
  for (const match of text.matchAll(CALL_PATTERN)) {
    const end = closingParenthesis(text, match.index + match[0].length - 1);
    if (end >= 0) ranges.push([match.index, end + 1]);
  }
  if (ranges.length === 0) return text;
  ranges.sort((a, b) => a[0] - b[0]);
  let out = '';
  let cursor = 0;
  for (const [start, end] of ranges) {
    if (start < cursor) continue; // nested in an earlier range
    out += text.slice(cursor, start) + spacesKeepingNewlines(text.slice(start, end));
    cursor = end;
  }
  return out + text.slice(cursor);
}

/** Index of the ')' matching the '(' at `open`, or -1 when unbalanced within a sane distance. */
function closingParenthesis(text: string, open: number): number {
  let depth = 0;
  const limit = Math.min(text.length, open + 400);
  for (let i = open; i < limit; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 40 /* ( */) depth++;
    else if (ch === 41 /* ) */) {
      depth--;
      if (depth === 0) return i;
    } else if (ch === 59 /* ; */ || ch === 123 /* { */) return -1;
  }
  return -1;
}

function spacesKeepingNewlines(segment: string): string {
  return segment.replace(/[^\r\n]/g, ' ');
}
