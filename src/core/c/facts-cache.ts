/**
 * A small memo of extractFacts for patch views: the editor re-analyses a whole patch after a one-line edit, and
 * every other image (the pre-image of the edited file, every other file) is text it has just parsed.
 * Callers may mutate the facts they get (analyze names hunk fragments from headings), so the memo keeps its own
 * copy and hands out a fresh deep copy on every hit.
 *
 * Still copies (issue 13 item 4): hunk-headings.ts nameFromHeadings() writes into the facts it is given — fn.name,
 * fn.complete, fn.params, calls[].inFunction and dmaApi/mmio/identifiers[].inFunction of a renamed fragment. Once it
 * builds renamed copies of just the functions it renames (and of the use records it re-attributes) instead, this
 * memo can hand out one frozen, shared CFacts per entry (Object.freeze deeply at insertion) and drop copyPlain: a
 * hit then costs nothing and a first analysis saves the insertion copy.
 */
import type { CFacts, CView } from '../types';
import { extractFacts as extractUncached } from './extract';

/** Enough for both images of every file of a large patch or a short series; each entry holds one image's text. */
const CAPACITY = 64;
/** Insertion order is recency order: a hit is re-inserted at the end, the oldest entry is evicted first. */
const memo = new Map<string, CFacts>();

function keyOf(view: CView, timeoutMs: number | undefined): string {
  const visible = view.visibleLines.map((r) => `${r.from}-${r.to}`).join(',');
  // \u0000 cannot occur in a path or in the line lists, so the fields cannot run into each other.
  return `${view.image}\u0000${view.complete ? 1 : 0}\u0000${timeoutMs ?? ''}\u0000${view.path}\u0000${view.changedLines.join(',')}\u0000${visible}\u0000${view.text}`;
}

export function extractFacts(view: CView, opts?: { timeoutMs?: number }): CFacts {
  // Whole files (directory scans) are rarely seen twice: caching them would only cost copies.
  if (view.image === 'file') return extractUncached(view, opts);
  const key = keyOf(view, opts?.timeoutMs);
  const hit = memo.get(key);
  if (hit) {
    memo.delete(key);
    memo.set(key, hit);
    return copyPlain(hit, new Map());
  }
  const facts = extractUncached(view, opts);
  // A timed-out parse depends on the machine's load, not on the text: try again next time.
  if (facts.parse.timedOut) return facts;
  memo.set(key, copyPlain(facts, new Map()));
  if (memo.size > CAPACITY) memo.delete(memo.keys().next().value as string);
  return facts;
}

/**
 * Deep copy of plain data (objects, arrays, primitives), keeping shared sub-objects shared as structuredClone does,
 * at a fraction of its cost (structuredClone was a quarter of a re-analysis).
 */
function copyPlain<T>(value: T, seen: Map<object, unknown>): T {
  if (typeof value !== 'object' || value === null) return value;
  const known = seen.get(value);
  if (known !== undefined) return known as T;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    seen.set(value, out);
    for (let i = 0; i < value.length; i++) out[i] = copyPlain(value[i], seen);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const k in value) out[k] = copyPlain((value as Record<string, unknown>)[k], seen);
  return out as T;
}

/** Forgets every memoised result (benchmarks timing a first analysis). */
export function clearFactsCache(): void {
  memo.clear();
}
