/**
 * Reviews a very large mbox (a 100 MB thread archive) in bounded memory: the analysis keeps every patch's C images
 * and facts until the end of its input (series bookkeeping needs them), so peak memory grows with the input
 * (≈ 20× its size, measured). Above CHUNK_THRESHOLD the mbox is cut at message boundaries into chunks of about
 * CHUNK_BYTES — never inside a numbered series when a series start is near — each chunk is analysed on its own,
 * and the results are merged back into one input with line numbers and patch indices of the whole file.
 */
import type { AnalysisResult, AnalyzeInput, AnalyzeOptions, Finding, UserLocation } from '../core/types';

export const CHUNK_THRESHOLD = 16 * 1024 * 1024;
export const CHUNK_BYTES = 2 * 1024 * 1024;

export interface Chunk {
  start: number;
  end: number;
  /** Lines before the chunk (its first line is line firstLine + 1 of the whole input). */
  linesBefore: number;
}

const latin1 = new TextDecoder('latin1');
const WEEKDAY_DATE = /^From \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) /;
const HEADER = /^[A-Za-z][\w-]*:/;

/** A message starts at `at` (a line start): a From_ line followed by a header, as the input layer's splitter sees it. */
function startsMessage(bytes: Uint8Array, at: number): boolean {
  if (bytes[at] !== 0x46 /* F */ || bytes[at + 1] !== 0x72 || bytes[at + 2] !== 0x6f || bytes[at + 3] !== 0x6d || bytes[at + 4] !== 0x20) return false;
  const head = latin1.decode(bytes.subarray(at, Math.min(bytes.length, at + 400))).split(/\r?\n/);
  if (head.length < 2 || !HEADER.test(head[1])) return false;
  const blankBefore = at === 0 || (bytes[at - 2] === 10 || (bytes[at - 2] === 13 && bytes[at - 3] === 10));
  return WEEKDAY_DATE.test(head[0]) || blankBefore;
}

/** True when the message starting at `at` continues a numbered series ([PATCH 3/14]): not a good place to cut. */
function continuesSeries(bytes: Uint8Array, at: number): boolean {
  const head = latin1.decode(bytes.subarray(at, Math.min(bytes.length, at + 2048)));
  const subject = /^Subject:(.*)$/m.exec(head.split(/\r?\n\r?\n/)[0] ?? '');
  const m = subject ? /\[[^\]]*?\b0*(\d+)\s*\/\s*\d+\s*\]/.exec(subject[1]) : null;
  return m !== null && Number(m[1]) >= 2;
}

/** Message-aligned chunks of `bytes`, or a single chunk when the input is small or not an mbox. */
export function mboxChunks(bytes: Uint8Array, chunkBytes = CHUNK_BYTES, threshold = CHUNK_THRESHOLD): Chunk[] {
  const whole = [{ start: 0, end: bytes.length, linesBefore: 0 }];
  if (bytes.length <= threshold || !startsMessage(bytes, 0)) return whole;
  const chunks: Chunk[] = [];
  let current = { at: 0, line: 0 };
  let line = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 10) continue;
    line++;
    const at = i + 1;
    // Cheap tests first: this loop runs over every byte of a 100 MB input.
    if (at - current.at < chunkBytes || bytes[at] !== 0x46 || !startsMessage(bytes, at)) continue;
    // Keep a numbered series together unless the chunk would grow past twice its size.
    if (at - current.at < 2 * chunkBytes && continuesSeries(bytes, at)) continue;
    chunks.push({ start: current.at, end: at, linesBefore: current.line });
    current = { at, line };
  }
  chunks.push({ start: current.at, end: bytes.length, linesBefore: current.line });
  return chunks;
}

function shiftLocation<T extends { line: number; endLine?: number }>(loc: T, lines: number): T {
  return { ...loc, line: loc.line + lines, ...(loc.endLine !== undefined ? { endLine: loc.endLine + lines } : {}) };
}

function shiftTrace(trace: Finding['trace'], path: string, lines: number): Finding['trace'] {
  return trace.map((step) => (step.location && step.location.path === path ? { ...step, location: shiftLocation(step.location, lines) } : step));
}

/** Moves a chunk's result to the whole input's coordinates. */
function shiftResult(r: AnalysisResult, path: string, lines: number, patchesBefore: number): AnalysisResult {
  const mine = (loc: UserLocation): UserLocation => (loc.path === path ? shiftLocation(loc, lines) : loc);
  return {
    ...r,
    findings: r.findings.map((f) => ({
      ...f,
      location: mine(f.location),
      trace: shiftTrace(f.trace, path, lines),
      source: f.source && f.source.patchIndex !== undefined ? { ...f.source, patchIndex: f.source.patchIndex + patchesBefore } : f.source,
      fixes: f.fixes.map((fix) => ({
        ...fix,
        edits: fix.edits.map((e) => (e.path === path ? { ...e, span: shiftLocation(e.span, lines) } : e)),
      })),
    })),
    problems: r.problems.map((p) => (p.path === path && p.line !== undefined ? { ...p, line: p.line + lines } : p)),
    inputs: r.inputs.map((input) => ({
      ...input,
      patches: input.patches.map((p) => ({ ...p, index: p.index + patchesBefore })),
      drivers: input.drivers.map((d) => ({
        ...d,
        location: mine(d.location),
        scenarios: d.scenarios.map((s) => ({ ...s, trace: shiftTrace(s.trace, path, lines) })),
      })),
    })),
  };
}

/**
 * analyze() for one input, chunked when it is a large mbox. The merged result counts one input: reviewed when
 * any chunk was reviewed, else failed when any failed, else skipped.
 */
export function analyzeChunked(
  analyze: (inputs: AnalyzeInput[], options: AnalyzeOptions) => AnalysisResult,
  input: AnalyzeInput,
  options: AnalyzeOptions,
  sizes: { chunkBytes: number; threshold: number } = { chunkBytes: CHUNK_BYTES, threshold: CHUNK_THRESHOLD },
): AnalysisResult {
  const bytes = typeof input.content === 'string' ? undefined : input.content;
  const chunks = bytes ? mboxChunks(bytes, sizes.chunkBytes, sizes.threshold) : [];
  if (!bytes || chunks.length <= 1) return analyze([input], options);
  const started = Date.now();
  const merged: AnalysisResult = {
    findings: [],
    problems: [],
    inputs: [{ path: input.path, kind: 'mbox', patches: [], drivers: [] }],
    stats: { inputs: 1, reviewed: 0, skipped: 0, failed: 0, findings: 0, ms: 0 },
  };
  let reviewed = false;
  let failed = false;
  for (const chunk of chunks) {
    const raw = analyze([{ path: input.path, content: bytes.subarray(chunk.start, chunk.end) }], options);
    const r = shiftResult(raw, input.path, chunk.linesBefore, merged.inputs[0].patches.length);
    merged.findings.push(...r.findings);
    merged.problems.push(...r.problems);
    for (const i of r.inputs) {
      merged.inputs[0].patches.push(...i.patches);
      // Verdicts without their traces: an archive holds thousands of drivers, no output format prints these traces,
      // and kept whole they were the largest part of the retained results (100 MB archive: peak RSS 938 MB).
      merged.inputs[0].drivers.push(...i.drivers.map((d) => ({ ...d, scenarios: d.scenarios.map((sc) => ({ ...sc, trace: [] })) })));
    }
    reviewed ||= r.stats.reviewed > 0;
    failed ||= r.stats.failed > 0;
    if (r.stats.context) {
      const c = (merged.stats.context ??= { fullFile: 0, tree: 0, hunksOnly: 0 });
      c.fullFile += r.stats.context.fullFile;
      c.tree += r.stats.context.tree;
      c.hunksOnly += r.stats.context.hunksOnly;
    }
  }
  if (reviewed) merged.stats.reviewed = 1;
  else if (failed) merged.stats.failed = 1;
  else merged.stats.skipped = 1;
  merged.stats.findings = merged.findings.length;
  merged.stats.ms = Date.now() - started;
  return merged;
}
