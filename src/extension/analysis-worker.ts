/**
 * worker_threads entry (bundled to dist/analysis-worker.js): reviews one large input off the extension host's
 * main loop. It gets everything in workerData, posts one message back and ends; the host terminates it to cancel.
 */
import * as fs from 'fs';
import { parentPort, workerData } from 'worker_threads';
import { createAnalyzer } from '../review/analyze';
import type { AnalysisResult, AnalyzeInput, AnalyzeOptions } from '../core/types';
import { makeTreeReader } from './kernel-tree';
import { createBlobReader } from '../cli/git';

export interface WorkerRequest {
  wasm: { runtime: Uint8Array; language: Uint8Array };
  /** `file`: read here, so a large file never passes through the extension host. */
  inputs: (AnalyzeInput | { path: string; file: string })[];
  options: Omit<AnalyzeOptions, 'readFile'>;
  treeRoot?: string;
  /** The workspace's git repository (pre-images by blob id). */
  repoRoot?: string;
}

export type WorkerReply = { ok: true; result: AnalysisResult } | { ok: false; error: string };

async function main(request: WorkerRequest): Promise<WorkerReply> {
  try {
    const analyzer = await createAnalyzer(request.wasm);
    const readFile = request.treeRoot ? makeTreeReader(request.treeRoot) : undefined;
    const inputs: AnalyzeInput[] = request.inputs.map((i) => ('file' in i ? { path: i.path, content: fs.readFileSync(i.file) } : i));
    const readBlob = request.repoRoot ? createBlobReader(request.repoRoot)?.readBlob : undefined;
    return { ok: true, result: analyzer.analyze(inputs, { ...request.options, readFile, readBlob }) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

if (parentPort) {
  const port = parentPort;
  void main(workerData as WorkerRequest).then((reply) => port.postMessage(reply));
}
