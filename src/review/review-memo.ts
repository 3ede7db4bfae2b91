/**
 * A content-addressed memo of per-file reviews within one process (one CLI run, one worker): a thread archive holds
 * the same patch many times (resends, replies that quote it, a hostile mbox of one patch repeated), and a file's
 * facts, replay and rule reports depend only on the content below, never on where the patch sits in the input.
 * The key is that content (the whole patch's diff, since rules read the patch's other files; the file's base text;
 * the target and parse limits); the value is the review in image coordinates. Positions in the input (line maps,
 * problem lines) are recomputed for every occurrence by the caller.
 */
import type { Patch } from '../core/types';

/** Entries hold parsed facts and replay memos (about 50× the file's text): few, recent ones. */
const CAPACITY = 16;
/** Files bigger than this are not kept (a whole-tree file's facts would crowd out everything else). */
const MAX_TEXT = 256 * 1024;

const patchIds = new Map<string, number>();
let nextPatchId = 1;
/** Insertion order is recency order (a hit is re-inserted at the end); the oldest entry goes first. */
const memos = new WeakMap<object, Map<string, unknown>>();

/** Every part of a patch a rule or the evidence step can read: paths, status, blob ids, hunks and their lines. */
function patchSignature(patch: Patch): string {
  const parts: string[] = [];
  for (const f of patch.files) {
    parts.push(`F${f.oldPath ?? '\u0001'}\u0000${f.newPath ?? '\u0001'}\u0000${f.status}\u0000${f.blobs ? `${f.blobs.pre}..${f.blobs.post}` : ''}`);
    for (const h of f.hunks) {
      parts.push(`H${h.oldStart},${h.oldLines},${h.newStart},${h.newLines},${h.truncated ? 1 : 0}\u0000${h.heading}`);
      for (const l of h.lines) parts.push(`${l.kind === 'add' ? '+' : l.kind === 'del' ? '-' : ' '}${l.text}`);
    }
  }
  return parts.join('\n');
}

/**
 * V8 hashes a string of more than 16,383 characters by its length alone: a Map lookup of a long signature compared it
 * in full with every remembered signature of the same length (an editor's patch edited in place often keeps its length;
 * measured 0.3 ms per analysis of the bench's 2,000-line patch). A long signature is therefore keyed by the ids of its
 * pieces, which are short enough to be hashed by their content. Ids are never reused, so equal keys mean equal text.
 */
const PIECE = 8192;
/** Enough pieces for the remembered patches of about 100 KB each; an evicted piece only costs a miss. */
const MAX_PIECES = 4 * CAPACITY * 16;
const pieceIds = new Map<string, number>();
let nextPieceId = 1;

function signatureKey(sig: string): string {
  if (sig.length <= PIECE) return sig;
  let key = '\u0001'; // a signature starts with 'F' (or is empty): the two kinds of key cannot meet
  for (let at = 0; at < sig.length; at += PIECE) {
    const piece = sig.slice(at, at + PIECE);
    let id = pieceIds.get(piece);
    if (id === undefined) {
      id = nextPieceId++;
      pieceIds.set(piece, id);
      if (pieceIds.size > MAX_PIECES) pieceIds.delete(pieceIds.keys().next().value as string);
    }
    key += `${id},`;
  }
  return key;
}

/** Each patch's id, worked out once: a patch of 93k files would otherwise sign its whole diff once per file. */
const idOfPatch = new WeakMap<Patch, number>();

/** A small number naming the patch's content (the same for an identical patch anywhere in the input). */
function patchId(patch: Patch): number {
  const known = idOfPatch.get(patch);
  if (known !== undefined) return known;
  const id = internedPatchId(signatureKey(patchSignature(patch)));
  idOfPatch.set(patch, id);
  return id;
}

function internedPatchId(sig: string): number {
  let id = patchIds.get(sig);
  if (id === undefined) {
    id = nextPatchId++;
    patchIds.set(sig, id);
    // Bounded like the reviews: an id whose patch is forgotten only costs a miss.
    if (patchIds.size > 4 * CAPACITY) patchIds.delete(patchIds.keys().next().value as string);
  } else {
    patchIds.delete(sig);
    patchIds.set(sig, id);
  }
  return id;
}

/**
 * The key of one file's review: `scope` names what else decides it (target, limits), `fileIndex` the file within
 * the patch, `base` the text the patch applies to (undefined: hunks only). undefined when the file is not memoised.
 */
export function reviewKey(scope: string, patch: Patch, fileIndex: number, base: string | undefined): string | undefined {
  if (base !== undefined && base.length > MAX_TEXT) return undefined;
  return `${scope}\u0000${patchId(patch)}\u0000${fileIndex}\u0000${base === undefined ? '0' : `1${base}`}`;
}

/** The memo of one rule set (tests run their own rule sets: their reviews must not meet the real ones). */
export function reviewMemo<T>(rules: object): { get(key: string): T | undefined; set(key: string, value: T): void } {
  let memo = memos.get(rules) as Map<string, T> | undefined;
  if (!memo) {
    memo = new Map<string, T>();
    memos.set(rules, memo);
  }
  const m = memo;
  return {
    get(key) {
      const hit = m.get(key);
      if (hit !== undefined) {
        m.delete(key);
        m.set(key, hit);
      }
      return hit;
    },
    set(key, value) {
      m.set(key, value);
      if (m.size > CAPACITY) m.delete(m.keys().next().value as string);
    },
  };
}
