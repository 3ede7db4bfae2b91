/**
 * Function bodies the parse can skip. Only the functions that can matter get a program (extract.ts
 * buildRelevantPrograms); the others keep their name, parameters and span. The parser is given the view's text
 * without what lies between their braces (tree-sitter's included ranges: offsets, lines and columns stay those of the
 * text), so it reads `{}` there: the bench's 1,100-line new driver, 68 of whose 84 functions cannot matter, parses in
 * under half the time.
 *
 * The choice is made on the text and keeps at least what buildRelevantPrograms builds: a body is kept when its
 * function's text names anything of interest, when the function is named outside every function body (a driver's,
 * bus's or ops table's callback, module_init, a prototype), when a kept body names it (callees and callbacks passed
 * on), or when it calls a function of interest (two rounds up the call graph, as the builder goes). Text the
 * scanner cannot delimit for certain (braces that do not balance, a body not closed at column 0, top-level code
 * inside what looks like a body, a header that is not one plain function header) is parsed whole.
 *
 * Only views with every line shown (a whole file, a new file, a modified file's image read from the tree) are cut:
 * in a hunk view the parser's error recovery around the hunks' edges (a header whose body is not shown, the end of
 * a function whose start is not) depends on the text after it, bodies included (measured: the facts then differed).
 */

import { RELEVANT_FUNCTION } from './relevance';

/** What makes a function's text matter: what the builder builds, and the names collectIdentifiers records there. */
const KEEP_TEXT = new RegExp(`${RELEVANT_FUNCTION.source}|VFIO|suppress_auto_claim|no_kernel_api|driver_managed`);

const IDENTIFIER = /[A-Za-z_]\w*/g;

interface TopLevelBody {
  /** Where the item holding the function starts (after the previous top-level item). */
  itemStart: number;
  /** Index of the opening and the closing brace. */
  open: number;
  close: number;
  /** The function's name; undefined when the header does not show it plainly (the body is then kept). */
  name: string | undefined;
}

/** A part of the text the parser is given (string indexes, end excluded), with its start and end position. */
export interface IncludedRange {
  startIndex: number;
  endIndex: number;
  startPosition: { row: number; column: number };
  endPosition: { row: number; column: number };
}

/**
 * The parts of the text to parse: all of it but the insides of the bodies of functions that cannot matter; undefined
 * when no body is left out (the whole text is parsed).
 */
export function rangesWithoutIrrelevantBodies(text: string): IncludedRange[] | undefined {
  const bodies = topLevelBodies(text);
  if (!bodies || bodies.length === 0) return undefined;
  const keep = keptBodies(text, bodies);
  const cuts: [number, number][] = [];
  bodies.forEach((b, i) => {
    if (!keep[i]) cuts.push([b.open + 1, b.close]);
  });
  if (cuts.length === 0) return undefined;
  const position = positionsInOrder(text);
  const ranges: IncludedRange[] = [];
  let from = 0;
  for (const [cutStart, cutEnd] of cuts) {
    ranges.push({ startIndex: from, endIndex: cutStart, startPosition: position(from), endPosition: position(cutStart) });
    from = cutEnd;
  }
  ranges.push({ startIndex: from, endIndex: text.length, startPosition: position(from), endPosition: position(text.length) });
  return ranges;
}

/** Row and column (in string indexes) of offsets asked for in increasing order. */
function positionsInOrder(text: string): (at: number) => { row: number; column: number } {
  let row = 0;
  let lineStart = 0;
  let next = text.indexOf('\n');
  return (at) => {
    while (next >= 0 && next < at) {
      row++;
      lineStart = next + 1;
      next = text.indexOf('\n', lineStart);
    }
    return { row, column: at - lineStart };
  };
}

/** Which bodies are kept (see the module comment), by index. */
function keptBodies(text: string, bodies: readonly TopLevelBody[]): boolean[] {
  const keep = bodies.map(() => false);
  const byName = new Map<string, number[]>();
  bodies.forEach((b, i) => {
    if (b.name === undefined) return;
    const list = byName.get(b.name);
    if (list) list.push(i);
    else byName.set(b.name, [i]);
  });
  const queue: number[] = [];
  const want = (i: number): void => {
    if (keep[i]) return;
    keep[i] = true;
    queue.push(i);
  };
  const wantName = (name: string): void => {
    for (const i of byName.get(name) ?? []) want(i);
  };
  const itemText = (b: TopLevelBody): string => text.slice(b.itemStart, b.close + 1);
  const relevant: number[] = [];
  bodies.forEach((b, i) => {
    if (b.name === undefined || KEEP_TEXT.test(itemText(b))) {
      relevant.push(i);
      want(i);
    }
  });
  // Named outside every body: struct initializers, registration macros, prototypes, exports (a header's own name
  // does not count).
  let outside = 0;
  for (const b of bodies) {
    namesIn(text.slice(outside, b.itemStart), wantName);
    namesIn(text.slice(b.itemStart, b.open), (name) => name !== b.name && wantName(name));
    outside = b.close + 1;
  }
  namesIn(text.slice(outside), wantName);
  // A kept body names its callees and the callbacks it passes on.
  const closure = (): void => {
    while (queue.length) {
      const b = bodies[queue.pop() as number];
      namesIn(text.slice(b.open + 1, b.close), wantName);
    }
  };
  closure();
  // Callers of a function of interest, and their callers (extract.ts: two rounds up the call graph).
  let names = relevant.flatMap((i) => bodies[i].name ?? []);
  for (let round = 0; round < 2 && names.length > 0; round++) {
    const callsOne = new RegExp(`\\b(?:${[...new Set(names)].join('|')})\\s*\\(`);
    const callers: number[] = [];
    bodies.forEach((b, i) => {
      if (callsOne.test(text.slice(b.open + 1, b.close))) callers.push(i);
    });
    for (const i of callers) want(i);
    closure();
    names = callers.flatMap((i) => bodies[i].name ?? []);
  }
  return keep;
}

function namesIn(text: string, visit: (name: string) => void): void {
  for (const m of text.matchAll(IDENTIFIER)) visit(m[0]);
}

/**
 * Bodies of the top-level function definitions in kernel style: `{` at column 0 right after the header's `)`, the
 * matching `}` at column 0. Comments, strings, character literals and preprocessor lines are skipped. Undefined when
 * the braces do not balance or a body does not look like one.
 */
function topLevelBodies(text: string): TopLevelBody[] | undefined {
  const bodies: TopLevelBody[] = [];
  let depth = 0;
  let itemStart = 0;
  /** Last character of code at depth 0 (not a comment, not a preprocessor line). */
  let lastCode = '';
  let open = -1;
  let openItem = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x23 /* # */ && atLineStart(text, i)) {
      i = directiveEnd(text, i);
      continue;
    }
    if (c === 0x2f /* / */ && text.charCodeAt(i + 1) === 0x2a /* * */) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) return undefined;
      i = end + 1;
      continue;
    }
    if (c === 0x2f && text.charCodeAt(i + 1) === 0x2f) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? n : end - 1;
      continue;
    }
    if (c === 0x22 /* " */ || c === 0x27 /* ' */) {
      i = literalEnd(text, i, c);
      if (i < 0) return undefined;
      if (depth === 0) lastCode = text[i];
      continue;
    }
    if (c === 0x7b /* { */) {
      if (depth === 0) {
        open = lastCode === ')' && (i === 0 || text.charCodeAt(i - 1) === 0x0a) ? i : -1;
        openItem = itemStart;
      }
      depth++;
      continue;
    }
    if (c === 0x7d /* } */) {
      depth--;
      if (depth < 0) return undefined;
      if (depth === 0) {
        if (open >= 0) {
          if (i > 0 && text.charCodeAt(i - 1) !== 0x0a) return undefined; // a function's `}` not at column 0
          if (!looksLikeBody(text, open, i)) return undefined;
          bodies.push({ itemStart: openItem, open, close: i, name: functionName(text.slice(openItem, open)) });
        }
        open = -1;
        itemStart = i + 1;
        lastCode = '}';
      }
      continue;
    }
    if (depth === 0) {
      if (c === 0x3b /* ; */) {
        itemStart = i + 1;
        lastCode = ';';
      } else if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) lastCode = text[i];
    }
  }
  return depth === 0 ? bodies : undefined;
}

/**
 * No top-level code inside: every line of the body that starts at column 0 is a preprocessor line, a goto label or
 * blank (a `}` at column 0 would have closed the body). Braces left unbalanced by #if branches could otherwise make
 * one "body" of two functions and the declarations between them.
 */
function looksLikeBody(text: string, open: number, close: number): boolean {
  for (let at = text.indexOf('\n', open); at >= 0 && at < close; at = text.indexOf('\n', at + 1)) {
    const c = text.charCodeAt(at + 1);
    if (at + 1 >= close || c === 0x0a || c === 0x0d || c === 0x20 || c === 0x09 || c === 0x23 /* # */) continue;
    if (c === 0x2f /* / */ || c === 0x2a /* * (a comment's continuation) */) continue;
    if (!/^[A-Za-z_]\w*:(?!:)/.test(text.slice(at + 1, at + 64))) return false;
  }
  return true;
}

/**
 * The function's name when the header is one plain function header (comments, preprocessor lines and attributes left
 * out): words, the name, one parenthesised parameter list, then at most lock annotations like `__releases(x)`:
 * `static int __init foo_init(void)` → foo_init. Undefined for anything else: a function returning a function
 * pointer, or two headers in one item (a hunk's header whose body the view does not show, then another function),
 * which the parser's error recovery may join in ways the scanner cannot tell; such a body is kept.
 */
function functionName(header: string): string | undefined {
  const code = header
    .replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, ' ')
    .replace(/^[ \t]*#.*$/gm, ' ')
    .replace(/\b__attribute(?:__)?\s*\(\((?:[^()]|\([^()]*\))*\)\)/g, ' ');
  // A header is a line or a few: a longer item is no plain header (and the pattern's work stays small).
  if (code.length > 2000) return undefined;
  const m = /^[\s\w*]*?\b([A-Za-z_]\w*)\s*\(((?:[^()]|\((?:[^()]|\([^()]*\))*\))*)\)((?:\s*\w+\s*\([^()]*\))*)\s*$/.exec(code);
  return m ? m[1] : undefined;
}

function atLineStart(text: string, i: number): boolean {
  for (let j = i - 1; j >= 0; j--) {
    const c = text.charCodeAt(j);
    if (c === 0x0a) return true;
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}

/** Index of the last character of the preprocessor directive starting at `i` (backslash continuations included). */
function directiveEnd(text: string, i: number): number {
  for (let j = i; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x2f && text.charCodeAt(j + 1) === 0x2a) {
      const end = text.indexOf('*/', j + 2);
      if (end < 0) return text.length;
      j = end + 1;
      continue;
    }
    if (c === 0x0a && !continued(text, j)) return j - 1;
  }
  return text.length;
}

/** The line ending at `nl` ends in a backslash (CRLF too). */
function continued(text: string, nl: number): boolean {
  let j = nl - 1;
  if (j >= 0 && text.charCodeAt(j) === 0x0d) j--;
  return j >= 0 && text.charCodeAt(j) === 0x5c;
}

/** Index of the quote closing the literal opened at `i`; -1 when the line ends first (not C the scanner knows). */
function literalEnd(text: string, i: number, quote: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x5c) {
      j++;
      continue;
    }
    if (c === quote) return j;
    if (c === 0x0a) return -1;
  }
  return -1;
}
