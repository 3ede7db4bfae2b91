/**
 * Runs analyze() for the extension: small inputs inline (the analysis is synchronous), inputs above
 * LARGE_INPUT_CHARS in a worker thread so the extension host's main loop stays responsive. A run can be
 * cancelled: a queued inline run never starts, a worker run is terminated.
 */
import * as fs from 'fs';
import { Worker } from 'worker_threads';
import { createAnalyzer, type Analyzer } from '../review/analyze';
import type { AnalysisResult, AnalyzeInput, AnalyzeOptions } from '../core/types';
import type { WorkerReply, WorkerRequest } from './analysis-worker';
import { describeError, type Log } from './log';
import { createBlobReader } from '../cli/git';

/**
 * Measured warm on this project's machines: about 6 ms per KB of patch (64 KB ≈ 0.4 s, 1 MB ≈ 6 s). Above this the
 * main loop would stall noticeably, so the review moves to a worker (which pays ≈ 0.3 s to load tree-sitter).
 */
export const LARGE_INPUT_CHARS = 64 * 1024;

export interface WasmFiles {
  runtime: string;
  language: string;
  worker: string;
}

/** Cancelled by a newer edit of the same document, or by disposal. */
export class Cancellation {
  private cancelled = false;
  private readonly listeners: (() => void)[] = [];

  get isCancelled(): boolean {
    return this.cancelled;
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    for (const l of this.listeners.splice(0)) l();
  }

  onCancel(listener: () => void): void {
    if (this.cancelled) listener();
    else this.listeners.push(listener);
  }
}

/** Text or bytes in memory, or a file on disk that the worker reads itself (large files never pass through the host). */
export type EngineInput = AnalyzeInput | DiskInput;
export interface DiskInput {
  path: string;
  file: string;
}

export function isDiskInput(input: EngineInput): input is DiskInput {
  return 'file' in input;
}

export interface RunRequest {
  inputs: EngineInput[];
  options: Omit<AnalyzeOptions, 'readFile'>;
  /** Tree root for full-file context (read by the worker itself: a callback cannot cross threads). */
  treeRoot?: string;
  /** Inline runs only: reads tree files, preferring unsaved editor text. */
  readFile?: AnalyzeOptions['readFile'];
  /** The workspace's git repository: patches' pre-images by the blob ids of their `index` lines. */
  repoRoot?: string;
}

export class AnalysisEngine {
  private analyzer: Promise<Analyzer> | undefined;
  private wasm: WorkerRequest['wasm'] | undefined;
  private readonly workers = new Set<Worker>();

  constructor(private readonly files: WasmFiles, private readonly log: Log) {}

  /** Loads tree-sitter once; a failure is reported to the caller and retried on the next run. */
  private getAnalyzer(): Promise<Analyzer> {
    if (!this.analyzer) {
      const started = Date.now();
      this.analyzer = createAnalyzer(this.wasmBytes()).then(
        (a) => {
          this.log.info(`analyzer ready in ${Date.now() - started} ms`);
          return a;
        },
        (err: unknown) => {
          this.analyzer = undefined;
          throw err;
        },
      );
    }
    return this.analyzer;
  }

  private wasmBytes(): WorkerRequest['wasm'] {
    if (!this.wasm) this.wasm = { runtime: fs.readFileSync(this.files.runtime), language: fs.readFileSync(this.files.language) };
    return this.wasm;
  }

  /** The result, or undefined when cancelled. Throws only when the analyzer cannot be created or the worker dies. */
  async run(request: RunRequest, cancellation: Cancellation): Promise<AnalysisResult | undefined> {
    const inMemory = request.inputs.filter((i): i is AnalyzeInput => !isDiskInput(i));
    const size = inMemory.reduce((n, i) => n + (typeof i.content === 'string' ? i.content.length : i.content.byteLength), 0);
    if (inMemory.length < request.inputs.length || size > LARGE_INPUT_CHARS) return this.runInWorker(request, cancellation);
    const analyzer = await this.getAnalyzer();
    if (cancellation.isCancelled) return undefined;
    const readBlob = request.repoRoot ? createBlobReader(request.repoRoot)?.readBlob : undefined;
    return analyzer.analyze(inMemory, { ...request.options, readFile: request.readFile, readBlob });
  }

  private runInWorker(request: RunRequest, cancellation: Cancellation): Promise<AnalysisResult | undefined> {
    if (cancellation.isCancelled) return Promise.resolve(undefined);
    const data: WorkerRequest = { wasm: this.wasmBytes(), inputs: request.inputs, options: request.options, treeRoot: request.treeRoot, repoRoot: request.repoRoot };
    return new Promise((resolve, reject) => {
      const worker = new Worker(this.files.worker, { workerData: data });
      this.workers.add(worker);
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        this.workers.delete(worker);
        void worker.terminate();
        fn();
      };
      cancellation.onCancel(() => settle(() => resolve(undefined)));
      worker.once('message', (reply: WorkerReply) => settle(() => (reply.ok ? resolve(reply.result) : reject(new Error(reply.error)))));
      worker.once('error', (err) => settle(() => reject(new Error(`analysis worker failed: ${describeError(err)}`))));
      worker.once('exit', (code) => settle(() => reject(new Error(`analysis worker exited with code ${code}`))));
    });
  }

  dispose(): void {
    for (const w of this.workers) void w.terminate();
    this.workers.clear();
  }
}
