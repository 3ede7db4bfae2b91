/** Spreads independent inputs (C files of a directory scan) over worker threads, each with its own analyzer. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { AnalysisResult, AnalyzeInput } from '../core/types';
import type { WorkerReply, WorkerSetup, WorkerTask } from './worker';

export interface PoolOutcome {
  /** One result per input, in the order the inputs were added. */
  results: AnalysisResult[];
  refused: string[];
  /** How many worker threads ran at once. */
  workers: number;
  /** How many were replaced after a huge input (RECYCLE_AFTER_BYTES). */
  recycled: number;
}

/**
 * A worker that has just parsed an input this big is replaced by a fresh one: the parser's WebAssembly memory grows
 * to fit the largest tree it has built and never shrinks, so one huge file would otherwise keep its heap for the
 * rest of the scan.
 */
export const RECYCLE_AFTER_BYTES = 1024 * 1024;

/**
 * V8 limits for each worker: its heap holds one input's analysis at a time (results are posted back). A young
 * generation of 8 MB instead of 16 keeps the replay's short-lived state keys from inflating each worker's RSS
 * (6.12 drivers/ scan: 293 -> 273 MB peak, same CPU within noise).
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 512 };

export function workerScriptPath(): string | undefined {
  const candidate = path.join(__dirname, 'worker.js');
  return fs.existsSync(candidate) ? candidate : undefined;
}

/** A pool fed while the inputs are still being found (the directory scan's screen runs alongside the workers). */
export interface WorkerPool {
  /** Queues an input; its result is `results[k]` of the outcome, k counting the inputs added before it. */
  add(input: AnalyzeInput): void;
  /** No more inputs: resolves when every input has its result; rejects when a worker failed (none is retried). */
  close(): Promise<PoolOutcome>;
  /** Stops every worker now (the run ends early); close() then rejects. */
  stop(): void;
}

/**
 * Inputs waiting for a worker, biggest first (longest-processing-time order, size as the estimate: a big file
 * started last would leave the other workers idle while it finishes), then in the order they were added.
 */
class BiggestFirst {
  private readonly heap: number[] = [];
  constructor(private readonly size: (i: number) => number) {}
  get length(): number {
    return this.heap.length;
  }
  private before(a: number, b: number): boolean {
    const sa = this.size(a);
    const sb = this.size(b);
    return sa !== sb ? sa > sb : a < b;
  }
  push(i: number): void {
    const h = this.heap;
    h.push(i);
    for (let c = h.length - 1; c > 0;) {
      const parent = (c - 1) >> 1;
      if (!this.before(h[c], h[parent])) break;
      [h[c], h[parent]] = [h[parent], h[c]];
      c = parent;
    }
  }
  pop(): number | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      for (let c = 0; ;) {
        const l = 2 * c + 1;
        const r = l + 1;
        let m = c;
        if (l < h.length && this.before(h[l], h[m])) m = l;
        if (r < h.length && this.before(h[r], h[m])) m = r;
        if (m === c) break;
        [h[c], h[m]] = [h[m], h[c]];
        c = m;
      }
    }
    return top;
  }
}

/** Starts `jobs` workers now; they analyse inputs as they are added. */
export function startWorkerPool(setup: WorkerSetup, jobs: number, script: string, onDone: (input: AnalyzeInput) => void): WorkerPool {
  const inputs: AnalyzeInput[] = [];
  const results: AnalysisResult[] = [];
  const refused: string[] = [];
  const queue = new BiggestFirst((i) => inputs[i].content.length);
  const workerCount = Math.max(1, jobs);
  /** Running workers, each with the function that lets it go (no longer watched for an unexpected exit). */
  const running = new Map<Worker, () => void>();
  /** Workers waiting for an input, with the function that hands them one. */
  const idle: (() => void)[] = [];
  let closed = false;
  let pending = 0;
  let failed: Error | undefined;
  let recycled = 0;
  let settle: { resolve: (o: PoolOutcome) => void; reject: (e: Error) => void } | undefined;

  const outcome = (): PoolOutcome => ({ results, refused, workers: workerCount, recycled });
  const checkDone = (): void => {
    if (!settle) return;
    if (failed) settle.reject(failed);
    else if (closed && pending === 0) {
      for (const leave of [...running.values()]) leave();
      settle.resolve(outcome());
    }
  };
  const fail = (error: Error): void => {
    if (failed) return;
    // One failure fails the pool (the caller falls back to one thread): stop the others' now-useless work.
    failed = error;
    for (const leave of [...running.values()]) leave();
    checkDone();
  };

  const runWorker = (): void => {
    // Loaded here, not at start-up: a review that uses no worker does not pay for node:worker_threads.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Worker: WorkerThread } = require('node:worker_threads') as typeof import('node:worker_threads');
    const worker = new WorkerThread(script, { workerData: setup, resourceLimits: WORKER_LIMITS });
    let current = -1;
    let gone = false;
    const leave = (): void => {
      gone = true;
      running.delete(worker);
      void worker.terminate();
    };
    running.set(worker, leave);
    const send = (): void => {
      if (gone || failed) return;
      const next = queue.pop();
      if (next === undefined) {
        current = -1;
        if (closed) leave();
        else idle.push(send);
        return;
      }
      current = next;
      const input = inputs[current];
      const content = typeof input.content === 'string' ? new TextEncoder().encode(input.content) : input.content;
      worker.postMessage({ type: 'analyze', id: current, path: input.path, content } satisfies WorkerTask);
    };
    const finished = (id: number, result: AnalysisResult): void => {
      results[id] = result;
      pending--;
      onDone(inputs[id]);
      if (inputs[id].content.length >= RECYCLE_AFTER_BYTES && !(closed && queue.length === 0) && !failed) {
        recycled++;
        leave();
        runWorker();
      } else send();
      checkDone();
    };
    worker.on('message', (reply: WorkerReply) => {
      switch (reply.type) {
        case 'ready':
          send();
          return;
        case 'init-failed':
          fail(new Error(`worker could not start the analyzer: ${reply.message}`));
          return;
        case 'result':
          refused.push(...reply.refused);
          finished(reply.id, reply.result);
          return;
        case 'error':
          finished(reply.id, {
            findings: [],
            problems: [{ path: inputs[reply.id].path, message: `analysis failed: ${reply.message}`, kind: 'failed' }],
            inputs: [],
            stats: { inputs: 1, reviewed: 0, skipped: 0, failed: 1, findings: 0, ms: 0 },
          });
          return;
      }
    });
    worker.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
    worker.on('exit', (code) => {
      if (!gone) fail(new Error(`worker stopped (exit ${code}) while reviewing ${current >= 0 ? inputs[current].path : 'nothing'}`));
    });
  };

  for (let i = 0; i < workerCount; i++) runWorker();
  return {
    add(input) {
      if (closed) throw new Error('worker pool: input added after close');
      inputs.push(input);
      pending++;
      queue.push(inputs.length - 1);
      idle.shift()?.();
    },
    close() {
      closed = true;
      // Idle workers learn there is nothing more to come.
      for (const wake of idle.splice(0)) wake();
      return new Promise<PoolOutcome>((resolve, reject) => {
        settle = { resolve, reject };
        checkDone();
      });
    },
    stop() {
      fail(new Error('worker pool stopped'));
    },
  };
}

/** All of `inputs` through a pool of `jobs` workers; results in the inputs' order. */
export function analyzeInWorkers(
  inputs: readonly AnalyzeInput[],
  setup: WorkerSetup,
  jobs: number,
  script: string,
  onDone: (input: AnalyzeInput) => void,
): Promise<PoolOutcome> {
  const pool = startWorkerPool(setup, Math.max(1, Math.min(jobs, inputs.length)), script, onDone);
  for (const input of inputs) pool.add(input);
  return pool.close();
}
