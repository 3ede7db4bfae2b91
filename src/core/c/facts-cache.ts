/**
 * A small memo of extractFacts for patch views: the editor re-analyses a whole patch after a one-line edit, and
 * every other image (the pre-image of the edited file, every other file) is text it has just parsed.
 * Facts are immutable to their consumers (nameFromHeadings builds renamed copies): the memo hands out the one object
 * it holds. Tests freeze what it stores (freezeStoredFacts), so a consumer that writes into facts fails there; a
 * deep freeze on every store would cost nearly what the deep copy it replaces did (measured 1.8 ms against 2.1 ms
 * for the W2 patch's seven views).
 */
import type { CFacts, CView } from '../types';
import { type ExtractOptions, extractFacts as extractUncached } from './extract';

/** Enough for both images of every file of a large patch or a short series; each entry holds one image's text. */
const CAPACITY = 64;
/** Insertion order is recency order: a hit is re-inserted at the end, the oldest entry is evicted first. */
const memo = new Map<string, CFacts>();

function keyOf(view: CView, opts: ExtractOptions | undefined): string {
  const visible = view.visibleLines.map((r) => `${r.from}-${r.to}`).join(',');
  // \u0000 cannot occur in a path or in the line lists, so the fields cannot run into each other.
  return `${view.image}\u0000${view.complete ? 1 : 0}\u0000${opts?.timeoutMs ?? ''}\u0000${(opts?.alsoBuild ?? []).join(',')}\u0000${view.path}\u0000${view.changedLines.join(',')}\u0000${visible}\u0000${view.text}`;
}

export function extractFacts(view: CView, opts?: ExtractOptions): CFacts {
  // Whole files (directory scans) are rarely seen twice: caching them would only cost the freeze.
  if (view.image === 'file') return extractUncached(view, opts);
  const key = keyOf(view, opts);
  const hit = memo.get(key);
  if (hit) {
    memo.delete(key);
    memo.set(key, hit);
    return hit;
  }
  const facts = extractUncached(view, opts);
  // A timed-out parse depends on the machine's load, not on the text: try again next time.
  if (facts.parse.timedOut) return facts;
  memo.set(key, freezing ? deepFreeze(facts) : facts);
  if (memo.size > CAPACITY) memo.delete(memo.keys().next().value as string);
  return facts;
}

let freezing = false;

/** Tests: from now on, freeze every stored result deeply (writing into memoised facts then throws). */
export function freezeStoredFacts(on: boolean): void {
  freezing = on;
}

/** Freezes `value` and everything reachable from it (plain data: objects, arrays, primitives); iterative. */
function deepFreeze<T>(value: T): T {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item !== 'object' || item === null || Object.isFrozen(item)) continue;
    Object.freeze(item);
    if (Array.isArray(item)) {
      for (let i = 0; i < item.length; i++) if (typeof item[i] === 'object' && item[i] !== null) stack.push(item[i]);
    } else {
      for (const k in item) {
        const child = (item as Record<string, unknown>)[k];
        if (typeof child === 'object' && child !== null) stack.push(child);
      }
    }
  }
  return value;
}

/** Forgets every memoised result (benchmarks timing a first analysis). */
export function clearFactsCache(): void {
  memo.clear();
}
