/**
 * Directory-scan prefilter: a cheap byte scan that tells, before any parse, that a C file cannot yield a finding.
 * A kernel tree's drivers/ holds ~31,500 files (1 GB); a few hundred name the ownership API at all, and parsing the
 * rest was nearly all of a scan's time and memory.
 *
 * What a file must contain for a rule to have anything to report is taken from the code that decides it, not
 * from a second list: the replay's simulated API, the VFIO/iommufd hand-off calls, the flag's spellings, the
 * removed notifier API and the stale names of the target. One rule needs no ownership name at all
 * (placeholder-driver-without-flag, a stub driver whose probe only parks the device); for it the prefilter looks
 * at the probe bodies of a file's bus driver structs and keeps the file unless every probe certainly calls some
 * function that is neither a parking call nor defined in the file, or some function of the file calls the DMA API or
 * maps registers (then no driver of it is idle). When unsure, it keeps the file.
 *
 * test/unit/prefilter.test.ts proves on the fixture corpus that findings are identical with and without it and
 * that every rule is accounted for here; `--no-prefilter` switches it off.
 */
import * as fs from 'node:fs';
import type { AnalysisResult, InputProblem, KernelTarget } from '../core/types';
import { DEVICE_CREATORS, DEVICE_DESTROYERS, simulatedApiNames, STATE_FREE_LOOKUPS } from '../core/sim/api-calls';
import { BUS_BY_TYPE, MANAGED_DMA_SPELLINGS } from '../core/c/structs';
import { DMA_API_CALL, MMIO_CALL } from '../core/c/call-names';
import { EMULATED_VFIO_CALLS, REMOVED_NOTIFIER_NAMES, USER_HANDOFF_CALLS, USER_OWNERSHIP_CALLS, VFIO_PCI_CORE_PREFIX } from '../core/sim/vocabulary';
import { staleNamesOn } from '../rules/stale-api-name';
import { PARKING_CALL } from '../rules/placeholder-driver-without-flag';
import { MAX_INPUT_BYTES } from './inputs';

/**
 * Which rules each part of the vocabulary serves (a new rule must be added here: the unit test checks every rule
 * code is named). Rules not listed under a name need one of the ownership names to have anything to look at.
 */
export const PREFILTER_COVERAGE: Readonly<Record<string, string>> = {
  OWN001: 'hand-off and claim calls, vfio_pci_core_*', OWN002: 'the flag', OWN003: 'the flag',
  OWN004: 'a bus driver whose probe may only park the device', OWN005: 'claim/release', OWN006: 'claim/release',
  OWN007: 'group claim', OWN008: 'claim/set owner', OWN009: 'use/unuse default domain', OWN010: 'use/unuse (bus hooks)',
  OWN011: 'the flag (bus hooks)', OWN012: 'attach', OWN013: 'attach', OWN014: 'attach/detach', OWN015: 'attach',
  OWN016: 'attach group', OWN017: 'stale names of the target', OWN018: 'removed notifier API', OWN019: 'PASID attach, SVA bind',
  OWN020: 'PASID attach/detach', OWN021: 'PASID attach, claim', OWN022: 'iommu_domain with a pasid member',
  OWN023: 'PASID attach', OWN024: 'use default domain', OWN025: 'claim/release', OWN026: 'claim/attach', OWN027: 'shared attach',
};

export interface PrefilterVocabulary {
  /** An identifier containing one of these keeps the file. */
  names: readonly string[];
  /** An identifier containing one of these keeps the file when the file's text also matches the pattern. */
  conditional: readonly { name: string; also: RegExp }[];
  /** Cheap first-stage needles: every name contains one (a file with none of them skips the name check). */
  anchors: readonly string[];
}

/**
 * Simulated calls that cannot make a finding on their own. A file that names only these would be parsed for nothing:
 *   - creating and unregistering a device of the driver's own (model.ts driver_created_device) gives it a group of
 *     its own in its default domain, which no rule reports unless an ownership call (attach, claim, ...) of the same
 *     file acts on it. They are in ~1,700 files of drivers/ (device_create/device_unregister), the rest of the
 *     vocabulary in ~130;
 *   - lookups that change no state (api-calls.ts STATE_FREE_LOOKUPS): drivers that only ask for their current domain
 *     (network and crypto drivers choosing between IOVA and physical addresses). In 6.12 drivers/ they were 24 of the
 *     135 files kept and 44 % of the replay (each replayed three times, once per default-domain kind), with no
 *     finding in 6.12 or 6.1.
 */
const NEVER_ALONE = new Set<string>([...DEVICE_CREATORS, ...DEVICE_DESTROYERS, ...STATE_FREE_LOOKUPS]);

export function prefilterVocabulary(target: KernelTarget): PrefilterVocabulary {
  const names = [...new Set([
    ...simulatedApiNames().filter((n) => !NEVER_ALONE.has(n)),
    ...USER_HANDOFF_CALLS, ...USER_OWNERSHIP_CALLS, ...EMULATED_VFIO_CALLS, VFIO_PCI_CORE_PREFIX,
    ...MANAGED_DMA_SPELLINGS,
    ...REMOVED_NOTIFIER_NAMES,
    ...staleNamesOn(target),
  ])].sort();
  // pasid-stored-in-domain: a PASID-like member declared in struct iommu_domain (whole files count as added code):
  // the file opens the struct's definition (not a `struct iommu_domain x = {` initializer) and names a PASID after it.
  // IOMMU drivers that only use domains and PASIDs (arm-smmu-v3.c, 0.4 s of replay) have nothing for it.
  const conditional = [{ name: 'iommu_domain', also: /\b(?:struct|union)\s+iommu_domain\b[^;{}()=]*\{[\s\S]*pasid/i }];
  return { names, conditional, anchors: anchorsFor([...names, ...conditional.map((c) => c.name)]) };
}

/**
 * Identifier characters from rarest to most common in drivers/ (measured): Buffer#indexOf looks for a short needle
 * by its first byte (memchr), so a needle starting with a rare byte costs a fraction of one starting with 'i' or '_'.
 */
const RARITY = 'JjZzQ9qY765Wy84wkXK3VHbhB2vgUG1xmOpFNulPLMDofIRcSCATasdEnri0te_';

/** The part of `name` to search for: at most 6 characters (the memchr path) and at least 4, from its rarest byte. */
function needleOf(name: string): string {
  if (name.length <= 4) return name;
  let best = 0;
  for (let i = 1; i + 4 <= name.length; i++) {
    if (RARITY.indexOf(name[i]) < RARITY.indexOf(name[best])) best = i;
  }
  return name.slice(best, best + 6);
}

/**
 * Few needles, since each costs a pass over the file: names sharing a prefix of at least 4 characters share that
 * prefix ('iommu' for every iommu_* and iommufd_* name); each needle is then shortened to its rarest part.
 * Correctness does not depend on the choice: a hit only leads to the identifier around it, which is then checked.
 */
function anchorsFor(names: readonly string[]): string[] {
  let anchors = [...new Set(names)].sort();
  for (let merged = true; merged;) {
    merged = false;
    for (let i = 0; i + 1 < anchors.length && !merged; i++) {
      const a = anchors[i];
      const b = anchors[i + 1];
      let n = 0;
      while (n < a.length && n < b.length && a[n] === b[n]) n++;
      // A shared prefix shorter than 4 characters would match nearly every file.
      if (n >= 4) {
        anchors = [...new Set([...anchors.slice(0, i), a.slice(0, n), ...anchors.slice(i + 2)])].sort();
        merged = true;
      }
    }
  }
  return [...new Set(anchors.map(needleOf))].sort();
}

const IDENT_BYTE = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  IDENT_BYTE[c] = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f ? 1 : 0;
}

/** The identifier around byte `at` (latin1; C identifiers are ASCII). */
function identifierAt(bytes: Uint8Array, at: number, length: number): string {
  let from = at;
  while (from > 0 && IDENT_BYTE[bytes[from - 1]]) from--;
  let to = at + length;
  while (to < bytes.length && IDENT_BYTE[bytes[to]]) to++;
  return Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from).toString('latin1');
}

function asBuffer(content: Uint8Array | string): Buffer {
  if (typeof content === 'string') return Buffer.from(content, 'utf8');
  return Buffer.isBuffer(content) ? content : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
}

/** True when some identifier of the file contains one of the vocabulary's names. */
export function namesVocabulary(content: Uint8Array | string, vocabulary: PrefilterVocabulary): boolean {
  const bytes = asBuffer(content);
  const hits = vocabularyHits(bytes, vocabulary);
  if (hits.named) return true;
  if (!hits.pending.size) return false;
  const text = bytes.toString('latin1');
  return [...hits.pending].some((re) => re.test(text));
}

/** Identifiers naming the vocabulary in `bytes`, and the conditional names' tests still to pass (over the whole file). */
function vocabularyHits(bytes: Buffer, vocabulary: PrefilterVocabulary): { named: boolean; pending: Set<RegExp> } {
  const pending = new Set<RegExp>();
  for (const anchor of vocabulary.anchors) {
    for (let at = bytes.indexOf(anchor); at >= 0; at = bytes.indexOf(anchor, at + anchor.length)) {
      const id = identifierAt(bytes, at, anchor.length);
      if (vocabulary.names.some((n) => id.includes(n))) return { named: true, pending };
      for (const c of vocabulary.conditional) if (id.includes(c.name)) pending.add(c.also);
    }
  }
  return { named: false, pending };
}

/** Reads up to `want` bytes of the file from `position` into the start of `buffer`; the number read (less at its end). */
function readAt(fd: number, buffer: Buffer, want: number, position: number): number {
  let length = 0;
  for (let n = 1; n > 0 && length < want; length += n) n = fs.readSync(fd, buffer, length, want - length, position + length);
  return length;
}

/**
 * Pieces of a file read one after the other into `buffer`, each overlapping the one before by CHUNK_OVERLAP bytes:
 * a name (or a match of a conditional's test) shorter than that lies whole in one piece, and an identifier cut at a
 * piece's edge is a part of the real one, so it names the vocabulary only if the real one does.
 */
const CHUNK_OVERLAP = 64 * 1024;
function forEachPiece(fd: number, size: number, buffer: Buffer, visit: (piece: Buffer) => boolean): boolean {
  for (let start = 0; start < size; start += buffer.length - CHUNK_OVERLAP) {
    const length = readAt(fd, buffer, Math.min(buffer.length, size - start), start);
    if (visit(buffer.subarray(0, length))) return true;
    if (start + length >= size) break;
  }
  return false;
}

/**
 * The screen of a C file bigger than the parser takes (generated register headers, up to ~24 MB in drivers/), read
 * in pieces through the shared buffer instead of whole: a buffer grown to fit one would stay for the rest of the
 * scan. Same answer as the whole-file screen: names of the vocabulary are found piece by piece (forEachPiece); a file
 * without them that has a `probe` anywhere is read whole for the placeholder-driver check, which needs its bodies.
 */
function screenLarge(fd: number, size: number, buffer: Buffer, vocabulary: PrefilterVocabulary): 'names' | 'nothing' | 'read whole' {
  const pending = new Set<RegExp>();
  let probe = false;
  const named = forEachPiece(fd, size, buffer, (piece) => {
    const hits = vocabularyHits(piece, vocabulary);
    for (const re of hits.pending) pending.add(re);
    probe ||= piece.indexOf('probe') >= 0;
    return hits.named;
  });
  if (named) return 'names';
  if (pending.size && forEachPiece(fd, size, buffer, (piece) => [...pending].some((re) => re.test(piece.toString('latin1'))))) return 'names';
  return probe ? 'read whole' : 'nothing';
}

// ───────────────────────────── placeholder drivers (OWN004) ─────────────────────────────

const BUS_DRIVER_TYPES = new RegExp(`\\bstruct\\s+(?:${Object.keys(BUS_BY_TYPE).join('|')})\\b`);
/** Words followed by '(' that are not calls (keywords, types, attributes). */
const NOT_CALLS = new Set([
  'if', 'for', 'while', 'do', 'switch', 'case', 'return', 'sizeof', 'typeof', '__typeof__', '__typeof', 'typeof_unqual',
  'defined', 'alignof', '_Alignof', '__alignof__', '_Generic', '_Static_assert', 'static_assert', '__attribute__', '__attribute',
  'asm', '__asm__', '__asm', 'volatile', '__volatile__', 'int', 'char', 'void', 'long', 'short', 'unsigned', 'signed',
  'float', 'double', 'bool', '_Bool', 'const', 'struct', 'union', 'enum', 'static', 'inline', 'else', 'goto',
]);

/** Comments, strings and character literals blanked (same length), so '(' in them is not taken for a call. */
function codeOnly(text: string): string {
  return text.replace(/\/\*[\s\S]*?(?:\*\/|$)|\/\/[^\n]*|"(?:\\[\s\S]|[^"\\\n])*"|'(?:\\[\s\S]|[^'\\\n])*'/g, (m) => m.replace(/[^\n]/g, ' '));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** True when `at` lies inside a comment (a block comment open before it, or a line comment on its line). */
function inComment(text: string, at: number): boolean {
  if (text.lastIndexOf('/*', at) > text.lastIndexOf('*/', at)) return true;
  return text.lastIndexOf('//', at) > text.lastIndexOf('\n', at);
}

/** Index just past the brace closing the block opened at `open`, skipping comments, strings and characters; -1 if none. */
function blockEnd(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '{') depth++;
    else if (c === '}') {
      if (--depth === 0) return i + 1;
    } else if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      if (close < 0) return -1;
      i = close + 1;
    } else if (c === '/' && text[i + 1] === '/') {
      const nl = text.indexOf('\n', i);
      if (nl < 0) return -1;
      i = nl;
    } else if (c === '"' || c === "'") {
      for (i++; i < text.length && text[i] !== c && text[i] !== '\n'; i++) if (text[i] === '\\') i++;
    }
  }
  return -1;
}

/** A file's function definitions by name: where each name and its body's `{` are. */
type Definitions = Map<string, { nameAt: number; brace: number }[]>;

/**
 * The file's function definitions by name, found once: for each `{` that follows a `)` (spaces, tabs and line ends
 * between), the `(` matching that `)` (no `;`, `{` or `}` between) and the identifier before it. These are exactly
 * the definitions a forward search for `name(` would find (the same shape read backwards: the name, the balanced
 * parameter list, then the body's `{`), without searching the whole file once per name.
 */
function definitionsIn(text: string): Definitions {
  const byName: Definitions = new Map();
  for (let brace = text.indexOf('{'); brace >= 0; brace = text.indexOf('{', brace + 1)) {
    let i = brace - 1;
    while (i >= 0 && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i--;
    if (text[i] !== ')') continue;
    let depth = 0;
    for (; i >= 0; i--) {
      const c = text[i];
      if (c === ')') depth++;
      else if (c === '(' && --depth === 0) break;
      else if (c === ';' || c === '{' || c === '}') break;
    }
    if (i < 0 || text[i] !== '(') continue;
    i--;
    while (i >= 0 && /\s/.test(text[i])) i--;
    const end = i + 1;
    while (i >= 0 && /\w/.test(text[i])) i--;
    if (end === i + 1) continue;
    const name = text.slice(i + 1, end);
    const list = byName.get(name);
    const at = { nameAt: i + 1, brace };
    if (list) list.push(at);
    else byName.set(name, [at]);
  }
  return byName;
}

/** Bodies (code only, between the braces) of the definitions of `name`; undefined when one cannot be delimited. */
function bodiesOf(text: string, definitions: Definitions, name: string): string[] | undefined {
  const bodies: string[] = [];
  for (const { nameAt, brace } of definitions.get(name) ?? []) {
    if (inComment(text, nameAt)) continue;
    const end = blockEnd(text, brace);
    if (end < 0) return undefined;
    bodies.push(codeOnly(text.slice(brace + 1, end - 1)));
  }
  return bodies;
}

/**
 * Some call reachable from one of `bodies` certainly is work: not a keyword, not a parking call, and not defined in
 * the file (a function defined here is followed into). Undefined when a body cannot be delimited.
 */
function reachesWork(text: string, bodies: readonly string[], seen: Set<string>, definitions: Definitions): boolean | undefined {
  for (const body of bodies) {
    for (const m of body.matchAll(/([A-Za-z_]\w*)\s*\(/g)) {
      const callee = m[1];
      if (NOT_CALLS.has(callee) || PARKING_CALL.test(callee) || seen.has(callee)) continue;
      seen.add(callee);
      const own = bodiesOf(text, definitions, callee);
      if (own === undefined) return undefined;
      if (own.length === 0) return true;
      const inner = reachesWork(text, own, seen, definitions);
      if (inner !== false) return inner;
    }
  }
  return false;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/**
 * The functions named by `.probe =` designators, read from the bytes (no string made of the file): an empty list when
 * there is none, undefined when one is not a plain name (`.probe = FOO(x)`), which this scan cannot follow.
 */
function probeFields(bytes: Buffer): string[] | undefined {
  const names: string[] = [];
  for (let at = bytes.indexOf('probe'); at >= 0; at = bytes.indexOf('probe', at + 5)) {
    let before = at - 1;
    while (before >= 0 && isSpace(bytes[before])) before--;
    if (before < 0 || bytes[before] !== 0x2e /* . */ || IDENT_BYTE[bytes[at + 5]]) continue;
    let i = at + 5;
    while (i < bytes.length && isSpace(bytes[i])) i++;
    if (bytes[i] !== 0x3d /* = */ || bytes[i + 1] === 0x3d) continue;
    for (i++; i < bytes.length && (isSpace(bytes[i]) || bytes[i] === 0x26 /* & */); i++);
    const start = i;
    if (!IDENT_BYTE[bytes[i]] || (bytes[i] >= 0x30 && bytes[i] <= 0x39)) return undefined;
    while (i < bytes.length && IDENT_BYTE[bytes[i]]) i++;
    if (!(isSpace(bytes[i]) || bytes[i] === 0x2c /* , */ || bytes[i] === 0x7d /* } */)) return undefined;
    names.push(bytes.toString('latin1', start, i));
  }
  return names;
}

/** A DMA-API or MMIO call as the C facts name one (call-names.ts): the plain name, then its argument list. */
const DEVICE_WORK_CALL = new RegExp(`(?<![\\w.>])(?:${DMA_API_CALL.source.slice(1, -1)}|${MMIO_CALL.source.slice(1, -1)})\\s*\\(`, 'g');

/**
 * Some function body of the file makes a DMA-API or MMIO call. The replay calls a driver idle only when its file
 * makes neither anywhere (replay.ts doesNoDeviceWork: facts.dmaApi and facts.mmio empty), so such a file has no
 * placeholder driver for OWN004 to report. A call counts only inside a function body and outside the preprocessor's
 * lines (a macro's text is not a function the facts build).
 */
function callsDeviceWork(text: string, definitions: Definitions): boolean {
  const code = codeOnly(text);
  let bodies: { from: number; to: number }[] | undefined;
  for (const m of code.matchAll(DEVICE_WORK_CALL)) {
    const lineStart = code.lastIndexOf('\n', m.index) + 1;
    const previousLine = code.slice(code.lastIndexOf('\n', lineStart - 2) + 1, Math.max(0, lineStart - 1));
    if (/^\s*#/.test(code.slice(lineStart, m.index)) || /\\\s*$/.test(previousLine)) continue; // a directive, or its continuation
    bodies ??= [...definitions.values()].flat().map(({ brace }) => ({ from: brace, to: blockEnd(code, brace) }));
    if (bodies.some((b) => b.from < m.index && m.index < b.to)) return true;
  }
  return false;
}

/** False only when no bus driver of the file can be a placeholder whose probe merely parks the device. */
export function mayBePlaceholderDriver(content: Uint8Array | string): boolean {
  const bytes = asBuffer(content);
  const probes = probeFields(bytes);
  if (probes?.length === 0 || bytes.indexOf('_driver') < 0) return false;
  const text = bytes.toString('latin1');
  if (!BUS_DRIVER_TYPES.test(text)) return false;
  const definitions = definitionsIn(text);
  // A .probe initializer this scan cannot read: any bus driver of the file may park.
  const mayPark = probes === undefined || [...new Set(probes)].some((probe) => {
    const bodies = bodiesOf(text, definitions, probe);
    if (bodies === undefined) return true;
    // Not defined here: the rule needs the probe's body (unless the name is used like a function some other way).
    if (bodies.length === 0) return new RegExp(`\\b${escapeRegExp(probe)}\\s*\\(`).test(text);
    return reachesWork(text, bodies, new Set([probe]), definitions) !== true;
  });
  return mayPark && !callsDeviceWork(text, definitions);
}

/** True unless the file certainly gives no rule anything to report. */
export function mayYieldFindings(content: Uint8Array | string, vocabulary: PrefilterVocabulary): boolean {
  return namesVocabulary(content, vocabulary) || mayBePlaceholderDriver(content);
}

// ───────────────────────────── the directory scan's screen ─────────────────────────────

/**
 * A C file found by a directory scan and bigger than this is not parsed (a problem names it): in drivers/ only
 * generated register headers come near it, and one such parse grows the parser's WebAssembly heap for good.
 * Files named on the command line are reviewed whatever their size.
 */
export const MAX_SCANNED_C_BYTES = 4 * 1024 * 1024;

function decidedResult(path: string, problem?: InputProblem): AnalysisResult {
  return {
    findings: [],
    problems: problem ? [problem] : [],
    inputs: problem ? [] : [{ path, kind: 'c-source', patches: [], drivers: [] }],
    stats: { inputs: 1, reviewed: problem ? 0 : 1, skipped: problem ? 1 : 0, failed: 0, findings: 0, ms: 0 },
  };
}

export interface DirectoryScreen {
  /**
   * The result of a C file found by a directory scan, decided without parsing it (nothing to find, or too big), or
   * undefined when it must be analysed. Inputs named on the command line and non-C files always are.
   */
  decide(file: { path: string; fromDirectory: boolean }, content: Uint8Array): AnalysisResult | undefined;
  /**
   * Reads a directory scan's C file into one buffer reused from file to file (a scan reads ~1 GB and keeps a few MB:
   * a fresh buffer per file left hundreds of MB of garbage), and decides it. Undefined for other inputs and on any
   * error: the caller's reader then reads (or reports) the file as usual.
   */
  read(file: { path: string; fromDirectory: boolean }): { content: Uint8Array } | { decided: AnalysisResult } | undefined;
}

function tooBig(path: string, bytes: number): AnalysisResult {
  return decidedResult(path, {
    path,
    message: `not parsed: ${bytes} bytes is over the directory scan's limit of ${MAX_SCANNED_C_BYTES} for one C file (name the file to review it)`,
    kind: 'skipped',
  });
}

export function directoryScreen(options: { prefilter: boolean; target: KernelTarget }): DirectoryScreen {
  const vocabulary = options.prefilter ? prefilterVocabulary(options.target) : undefined;
  let shared = Buffer.allocUnsafe(1 << 20);
  const isScannedC = (file: { path: string; fromDirectory: boolean }) => file.fromDirectory && /\.[ch]$/i.test(file.path);
  const decide: DirectoryScreen['decide'] = (file, content) => {
    if (!isScannedC(file)) return undefined;
    if (vocabulary && !mayYieldFindings(content, vocabulary)) return decidedResult(file.path);
    if (content.length > MAX_SCANNED_C_BYTES) return tooBig(file.path, content.length);
    return undefined;
  };
  const read: DirectoryScreen['read'] = (file) => {
    if (!isScannedC(file)) return undefined;
    let fd: number | undefined;
    try {
      // O_NONBLOCK: a FIFO in the tree must not hang the scan here (the caller's reader decides what to do with it).
      fd = fs.openSync(file.path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      const stat = fs.fstatSync(fd);
      if (!stat.isFile() || stat.size > MAX_INPUT_BYTES) return undefined;
      if (stat.size > MAX_SCANNED_C_BYTES) {
        // Never parsed: what the screen would decide, from pieces (a problem names it if it may yield findings).
        if (shared.length < MAX_SCANNED_C_BYTES) shared = Buffer.allocUnsafe(MAX_SCANNED_C_BYTES);
        const screened = vocabulary ? screenLarge(fd, stat.size, shared, vocabulary) : 'names';
        if (screened === 'nothing') return { decided: decidedResult(file.path) };
        if (screened === 'names') return { decided: tooBig(file.path, stat.size) };
        const whole = Buffer.allocUnsafe(stat.size); // a `probe` but no name: the placeholder check reads bodies
        const content = whole.subarray(0, readAt(fd, whole, stat.size, 0));
        const decided = decide(file, content);
        return decided ? { decided } : { content };
      }
      if (stat.size > shared.length) shared = Buffer.allocUnsafe(stat.size);
      const view = shared.subarray(0, readAt(fd, shared, stat.size, 0));
      const decided = decide(file, view);
      return decided ? { decided } : { content: Buffer.from(view) };
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  };
  return { decide, read };
}
