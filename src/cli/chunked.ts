/**
 * Reviews a very large input (a 100 MB thread archive) in bounded memory: the analysis keeps every patch's C images
 * and facts until the end of its input (series bookkeeping needs them), so peak memory grows with the input
 * (≈ 20× its size, measured). Above CHUNK_THRESHOLD the mbox is cut at message boundaries into chunks of about
 * CHUNK_BYTES — never inside a numbered series when a series start is near — each chunk is analysed on its own,
 * and the results are merged back into one input with line numbers and patch indices of the whole file.
 */
import type { Worker } from 'node:worker_threads';
import type { AnalysisResult, AnalyzeInput, AnalyzeOptions, DriverVerdict, Finding, UserLocation } from '../core/types';
import type { WorkerReply, WorkerSetup, WorkerTask } from './worker';

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

/** A diff file starts at `at`: `diff --git `, or `--- ` followed by a `+++ ` line. */
function startsFileDiff(bytes: Uint8Array, at: number): boolean {
  if (bytes[at] === 0x64 /* d */) return latin1.decode(bytes.subarray(at, Math.min(bytes.length, at + 11))) === 'diff --git ';
  if (bytes[at] !== 0x2d || bytes[at + 1] !== 0x2d || bytes[at + 2] !== 0x2d || bytes[at + 3] !== 0x20) return false;
  const head = latin1.decode(bytes.subarray(at, Math.min(bytes.length, at + 4096))).split('\n');
  return head.length > 1 && head[1].startsWith('+++ ');
}

/** Where the first message of an mbox starts (junk may come before it), or -1 when the input is not an mbox. */
function firstMessageStart(bytes: Uint8Array, limit: number): number {
  for (let at = 0; at < bytes.length && at < limit; ) {
    if (startsMessage(bytes, at)) return at;
    const next = bytes.indexOf(10, at);
    if (next < 0) break;
    at = next + 1;
  }
  return -1;
}

/**
 * Chunks of `bytes` cut at line starts, or a single chunk when the input is small. An mbox is cut at message starts
 * (junk before the first From_ line rides with the first chunk); anything else at diff file starts; and where no
 * such boundary comes within eight chunk sizes, at any line, so no input is ever analysed whole above the threshold
 * (a 200 MB file of short lines would otherwise become a hundred million line strings at once).
 */
export function mboxChunks(bytes: Uint8Array, chunkBytes = CHUNK_BYTES, threshold = CHUNK_THRESHOLD): Chunk[] {
  const whole = [{ start: 0, end: bytes.length, linesBefore: 0 }];
  if (bytes.length <= threshold) return whole;
  const mbox = firstMessageStart(bytes, Math.max(chunkBytes, 64 * 1024)) >= 0;
  const chunks: Chunk[] = [];
  let current = { at: 0, line: 0 };
  let line = 0;
  for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) {
    line++;
    const at = i + 1;
    if (at >= bytes.length) break;
    const size = at - current.at;
    // Cheap tests first: this loop runs over every line of a 200 MB input.
    if (size < chunkBytes) continue;
    let cut = size >= 8 * chunkBytes;
    if (!cut && mbox) {
      // Keep a numbered series together unless the chunk would grow past twice its size.
      cut = bytes[at] === 0x46 && startsMessage(bytes, at) && (size >= 2 * chunkBytes || !continuesSeries(bytes, at));
    } else if (!cut) cut = (bytes[at] === 0x64 || bytes[at] === 0x2d) && startsFileDiff(bytes, at);
    if (!cut) continue;
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
 * Folds the chunks' results, in input order, into one result for the whole input (see analyzeChunked); with `emit`,
 * findings and problems go out as each chunk arrives and only the counts are kept.
 */
class ChunkMerger {
  readonly merged: AnalysisResult;
  private reviewed = false;
  private failed = false;
  private patches = 0;
  private findings = 0;
  constructor(
    private readonly path: string,
    private readonly emit?: (part: Pick<AnalysisResult, 'findings' | 'problems'>) => void,
  ) {
    this.merged = {
      findings: [],
      problems: [],
      inputs: [{ path, kind: 'mbox', patches: [], drivers: [] }],
      stats: { inputs: 1, reviewed: 0, skipped: 0, failed: 0, findings: 0, ms: 0 },
    };
  }
  add(raw: AnalysisResult, chunk: Chunk): void {
    const merged = this.merged;
    const r = shiftResult(raw, this.path, chunk.linesBefore, this.patches);
    this.findings += r.findings.length;
    if (this.emit) this.emit(r);
    else {
      for (const f of r.findings) merged.findings.push(f);
      for (const p of r.problems) merged.problems.push(p);
    }
    for (const i of r.inputs) {
      this.patches += i.patches.length;
      if (this.emit) continue;
      for (const p of i.patches) merged.inputs[0].patches.push(p);
      // Verdicts without their traces: an archive holds thousands of drivers, no output format prints these traces,
      // and kept whole they were the largest part of the retained results (100 MB archive: peak RSS 938 MB).
      for (const d of i.drivers) merged.inputs[0].drivers.push(withoutTraces(d));
    }
    this.reviewed ||= r.stats.reviewed > 0;
    this.failed ||= r.stats.failed > 0;
    if (r.stats.context) {
      const c = (merged.stats.context ??= { fullFile: 0, tree: 0, hunksOnly: 0 });
      c.fullFile += r.stats.context.fullFile;
      c.tree += r.stats.context.tree;
      c.hunksOnly += r.stats.context.hunksOnly;
    }
  }
  finish(started: number): AnalysisResult {
    const merged = this.merged;
    if (this.reviewed) merged.stats.reviewed = 1;
    else if (this.failed) merged.stats.failed = 1;
    else merged.stats.skipped = 1;
    merged.stats.findings = this.findings;
    merged.stats.ms = Date.now() - started;
    return merged;
  }
}

function withoutTraces(d: DriverVerdict): DriverVerdict {
  return { ...d, scenarios: d.scenarios.map((sc) => ({ ...sc, trace: [] })) };
}

function inputBytes(input: AnalyzeInput): Uint8Array {
  return typeof input.content === 'string' ? new TextEncoder().encode(input.content) : input.content;
}

/**
 * How long the review of one chunked input may run before the chunks not yet started are listed as not reviewed:
 * `seconds` from --time-budget (0: no limit), else a quarter of a second per MB, at least 5 s — a 30 MB archive gets
 * 7.5 s, a 200 MB one 50 s, so a b4 hook or a CI job gets an answer in bounded time and is told what was left out.
 */
export function chunkTimeBudgetMs(bytes: number, seconds: number | undefined): number {
  if (seconds !== undefined) return seconds === 0 ? Infinity : seconds * 1000;
  return Math.max(5000, (bytes / (1024 * 1024)) * 250);
}

/** A chunk the time budget left out: one problem naming its lines, the budget and how to lift it. */
function notReviewed(path: string, bytes: Uint8Array, chunk: Chunk, budgetMs: number): AnalysisResult {
  let lines = 0;
  for (let at = bytes.indexOf(0x0a, chunk.start); at >= 0 && at < chunk.end; at = bytes.indexOf(0x0a, at + 1)) lines++;
  const last = Math.max(1, lines);
  return {
    findings: [],
    problems: [{
      path,
      line: 1,
      message: `not reviewed: lines ${chunk.linesBefore + 1}-${chunk.linesBefore + last} — the review of this input ran past its time budget (${(budgetMs / 1000).toFixed(1)} s; --time-budget SECONDS sets it, 0 reviews everything)`,
      kind: 'skipped',
    }],
    inputs: [],
    stats: { inputs: 1, reviewed: 0, skipped: 1, failed: 0, findings: 0, ms: 0 },
  };
}

/**
 * analyze() for one input, chunked when it is large. The merged result counts one input: reviewed when any chunk
 * was reviewed, else failed when any failed, else skipped. With `emit`, each chunk's findings and problems go to
 * `emit` as soon as the chunk is done (in input order) and the returned result carries only the counts, so
 * memory stays that of one chunk whatever the number of findings.
 */
export function analyzeChunked(
  analyze: (inputs: AnalyzeInput[], options: AnalyzeOptions) => AnalysisResult,
  input: AnalyzeInput,
  options: AnalyzeOptions,
  sizes: { chunkBytes: number; threshold: number } = { chunkBytes: CHUNK_BYTES, threshold: CHUNK_THRESHOLD },
  emit?: (part: Pick<AnalysisResult, 'findings' | 'problems'>) => void,
  budgetMs = Infinity,
): AnalysisResult {
  const bytes = inputBytes(input);
  const chunks = mboxChunks(bytes, sizes.chunkBytes, sizes.threshold);
  if (chunks.length <= 1) {
    const r = analyze([input], options);
    if (!emit) return r;
    emit(r);
    return { ...r, findings: [], problems: [], inputs: [] };
  }
  const started = Date.now();
  const merger = new ChunkMerger(input.path, emit);
  // Streamed, the chunks' driver verdicts are dropped unread: not computing them saves a tenth of the time.
  const chunkOptions = emit ? { ...options, verdicts: false } : options;
  for (const chunk of chunks) {
    if (Date.now() - started > budgetMs) {
      merger.add(notReviewed(input.path, bytes, chunk, budgetMs), chunk);
      continue;
    }
    merger.add(analyze([{ path: input.path, content: bytes.subarray(chunk.start, chunk.end) }], chunkOptions), chunk);
  }
  return merger.finish(started);
}

/**
 * V8 limits of a chunk worker: one 2 MB chunk's analysis at a time, each file's facts let go once it is reviewed
 * (analyze.ts, verdicts off), so its live heap stays near 60 MB. The young generation is the main thread's (48 MB
 * = 16 MB semi-spaces; with 16 MB the worker spent 10-15 % more CPU in scavenges). The old generation is capped so
 * a runaway chunk ends its worker (the rest is then reviewed on the main thread) instead of growing the process.
 */
const CHUNK_WORKER_LIMITS = { maxYoungGenerationSizeMb: 48, maxOldGenerationSizeMb: 192 };

export interface ChunkWorkers {
  /** dist/worker.js (the directory scan's worker: one analyze() per message). */
  script: string;
  setup: WorkerSetup;
  jobs: number;
}

/**
 * analyzeChunked() with the chunks spread over worker threads. The result and the order of `emit` calls are those of
 * analyzeChunked() on one thread (each chunk is one analyze() call either way; results are put back in input order);
 * at most a few finished chunks wait for an earlier one, so memory stays bounded. When a worker cannot run (no
 * threads in a sandbox, resource limits), the chunks not yet out are analysed here with `analyze`.
 */
export async function analyzeChunkedInWorkers(
  analyze: () => Promise<(inputs: AnalyzeInput[], options: AnalyzeOptions) => AnalysisResult>,
  input: AnalyzeInput,
  options: AnalyzeOptions,
  workers: ChunkWorkers,
  emit?: (part: Pick<AnalysisResult, 'findings' | 'problems'>) => void,
  sizes: { chunkBytes: number; threshold: number } = { chunkBytes: CHUNK_BYTES, threshold: CHUNK_THRESHOLD },
  budgetMs = Infinity,
): Promise<{ result: AnalysisResult; refused: string[]; workers: number }> {
  const bytes = inputBytes(input);
  const chunks = mboxChunks(bytes, sizes.chunkBytes, sizes.threshold);
  const count = Math.min(workers.jobs, chunks.length);
  if (chunks.length <= 1 || count < 2) {
    return { result: analyzeChunked(await analyze(), input, options, sizes, emit, budgetMs), refused: [], workers: 0 };
  }
  const started = Date.now();
  const merger = new ChunkMerger(input.path, emit);
  const done: (AnalysisResult | undefined)[] = new Array(chunks.length);
  const refused: string[] = [];
  let nextOut = 0;
  let nextIn = 0;
  // How far ahead of the oldest missing chunk the workers may run: their finished results wait here.
  const ahead = 2 * count;
  const drain = (): void => {
    while (nextOut < chunks.length && done[nextOut]) {
      const r = done[nextOut]!;
      done[nextOut] = undefined;
      merger.add(r, chunks[nextOut]);
      nextOut++;
    }
  };
  const threads: Worker[] = [];
  const idle: Worker[] = [];
  let broken = false;
  await new Promise<void>((resolve) => {
    const dispatch = (): void => {
      while (!broken && idle.length > 0 && nextIn < chunks.length && nextIn < nextOut + ahead) {
        const c = chunks[nextIn];
        if (Date.now() - started > budgetMs) {
          // Past the budget: the chunks not started are listed, not reviewed (those running finish).
          done[nextIn++] = notReviewed(input.path, bytes, c, budgetMs);
          drain();
          if (nextOut >= chunks.length) return resolve();
          continue;
        }
        // A copy of just the chunk, handed over (transferred, not cloned again). Never a view: posting a view of a
        // Buffer clones its whole backing store, and Buffer#slice is a view — every 2 MB chunk of a 200 MB archive
        // carried the whole archive into the worker (1.4 GB peak RSS, a quarter of the CPU in copies).
        const content = Uint8Array.prototype.slice.call(bytes, c.start, c.end);
        idle.pop()!.postMessage({ type: 'analyze', id: nextIn++, path: input.path, content, slim: emit !== undefined } satisfies WorkerTask, [content.buffer]);
      }
    };
    const fail = (): void => {
      if (broken) return;
      broken = true;
      resolve();
    };
    // Loaded here, not at start-up: a review that uses no worker does not pay for node:worker_threads.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Worker: WorkerThread } = require('node:worker_threads') as typeof import('node:worker_threads');
    for (let k = 0; k < count; k++) {
      const w = new WorkerThread(workers.script, { workerData: workers.setup, resourceLimits: CHUNK_WORKER_LIMITS });
      threads.push(w);
      w.on('message', (reply: WorkerReply) => {
        if (broken) return;
          if (reply.type === 'init-failed') return fail();
        if (reply.type === 'error') return fail(); // the same chunk analysed here throws the same way: one behaviour
        if (reply.type === 'result') {
          done[reply.id] = reply.result;
          for (const r of reply.refused) refused.push(r);
          drain();
          if (nextOut >= chunks.length) return resolve();
        }
        idle.push(w);
        dispatch();
      });
      w.on('error', fail);
      w.on('exit', () => {
        if (nextOut < chunks.length) fail();
      });
    }
  });
  for (const t of threads) void t.terminate();
  if (nextOut < chunks.length) {
    // Workers failed: what is not out yet is reviewed here, results already back included in their place.
    const local = await analyze();
    for (; nextOut < chunks.length; nextOut++) {
      const c = chunks[nextOut];
      const r = done[nextOut]
        ?? (Date.now() - started > budgetMs
          ? notReviewed(input.path, bytes, c, budgetMs)
          : local([{ path: input.path, content: bytes.subarray(c.start, c.end) }], emit ? { ...options, verdicts: false } : options));
      done[nextOut] = undefined;
      merger.add(r, c);
    }
  }
  return { result: merger.finish(started), refused, workers: count };
}
