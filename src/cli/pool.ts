/** Spreads independent inputs (C files of a directory scan) over worker threads, each with its own analyzer. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { AnalysisResult, AnalyzeInput } from '../core/types';
import type { WorkerReply, WorkerSetup, WorkerTask } from './worker';

export interface PoolOutcome {
  /** One result per input, in the inputs' order. */
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

export async function analyzeInWorkers(
  inputs: readonly AnalyzeInput[],
  setup: WorkerSetup,
  jobs: number,
  script: string,
  onDone: (input: AnalyzeInput) => void,
): Promise<PoolOutcome> {
  const results: AnalysisResult[] = new Array(inputs.length);
  const refused: string[] = [];
  // Biggest first (longest-processing-time order, size as the estimate): a big file started last would leave the
  // other workers idle while it finishes. Results still come back by index, in the inputs' order.
  const order = inputs.map((_, i) => i).sort((a, b) => inputs[b].content.length - inputs[a].content.length);
  let next = 0;
  const workerCount = Math.max(1, Math.min(jobs, inputs.length));
  const running: Worker[] = [];
  let failed = false;
  let recycled = 0;

  const runWorker = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      // Loaded here, not at start-up: a review that uses no worker does not pay for node:worker_threads.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { Worker: WorkerThread } = require('node:worker_threads') as typeof import('node:worker_threads');
      const worker = new WorkerThread(script, { workerData: setup, resourceLimits: WORKER_LIMITS });
      running.push(worker);
      let current = -1;
      let settled = false;
      const finish = (error?: Error) => {
        if (settled) return;
        settled = true;
        void worker.terminate();
        if (error) {
          // One failure fails the pool (the caller falls back to one thread): stop the others' now-useless work.
          failed = true;
          for (const w of running) void w.terminate();
          reject(error);
        } else resolve();
      };
      const send = () => {
        if (failed || next >= inputs.length) return finish();
        current = order[next++];
        const input = inputs[current];
        const content = typeof input.content === 'string' ? new TextEncoder().encode(input.content) : input.content;
        worker.postMessage({ type: 'analyze', id: current, path: input.path, content } satisfies WorkerTask);
      };
      worker.on('message', (reply: WorkerReply) => {
        switch (reply.type) {
          case 'ready':
            send();
            return;
          case 'init-failed':
            finish(new Error(`worker could not start the analyzer: ${reply.message}`));
            return;
          case 'result':
            results[reply.id] = reply.result;
            refused.push(...reply.refused);
            onDone(inputs[reply.id]);
            if (inputs[reply.id].content.length >= RECYCLE_AFTER_BYTES && next < inputs.length && !failed) {
              settled = true;
              recycled++;
              void worker.terminate();
              runWorker().then(resolve, reject);
              return;
            }
            send();
            return;
          case 'error':
            results[reply.id] = {
              findings: [],
              problems: [{ path: inputs[reply.id].path, message: `analysis failed: ${reply.message}`, kind: 'failed' }],
              inputs: [],
              stats: { inputs: 1, reviewed: 0, skipped: 0, failed: 1, findings: 0, ms: 0 },
            };
            onDone(inputs[reply.id]);
            send();
            return;
        }
      });
      worker.on('error', (e) => finish(e instanceof Error ? e : new Error(String(e))));
      worker.on('exit', (code) => {
        if (!settled) finish(new Error(`worker stopped (exit ${code}) while reviewing ${current >= 0 ? inputs[current].path : 'nothing'}`));
      });
    });

  await Promise.all(Array.from({ length: workerCount }, runWorker));
  return { results, refused, workers: workerCount, recycled };
}
