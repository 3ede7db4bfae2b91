/**
 * Worker-thread entry (bundled to dist/worker.js): one analyzer per worker, one input per message.
 * Protocol: worker → {type:'ready'} once, then per task {type:'result', id, result} or {type:'error', id, message}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { AnalysisResult, AnalyzeOptions } from '../core/types';
import { createNodeAnalyzer } from './analyzer';
import { createTreeReader } from './tree';
import { createBlobReader } from './git';
import { mayYieldFindings, prefilterVocabulary } from './prefilter';

export interface WorkerSetup {
  options: Omit<AnalyzeOptions, 'readFile'>;
  treeDir?: string;
  /** The reviewer's repository (patch context from blobs), as the main thread has it. */
  repoDir?: string;
  /** Screen C images with the prefilter (AnalyzeOptions.screen), as the main thread does for huge inputs. */
  screen?: boolean;
}

/** slim: a chunk of a large mbox whose findings are streamed (src/cli/chunked.ts): no driver verdicts. */
export type WorkerTask = { type: 'analyze'; id: number; path: string; content: Uint8Array; slim?: boolean };
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'init-failed'; message: string }
  | { type: 'result'; id: number; result: AnalysisResult; refused: string[] }
  | { type: 'error'; id: number; message: string };

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const setup = workerData as WorkerSetup;
  try {
    const analyzer = await createNodeAnalyzer();
    const tree = setup.treeDir !== undefined ? createTreeReader(setup.treeDir) : undefined;
    const blobs = setup.repoDir !== undefined ? createBlobReader(setup.repoDir) : undefined;
    const vocabulary = setup.screen ? prefilterVocabulary(setup.options.target ?? 'latest') : undefined;
    const options: AnalyzeOptions = {
      ...setup.options,
      readFile: tree?.readFile,
      readBlob: blobs?.readBlob,
      ...(vocabulary ? { screen: (text: string) => mayYieldFindings(text, vocabulary) } : {}),
    };
    port.on('message', (task: WorkerTask) => {
      try {
        const before = tree?.refused.length ?? 0;
        const result = analyzer.analyze([{ path: task.path, content: task.content }], task.slim ? { ...options, verdicts: false } : options);
        const reply: WorkerReply = { type: 'result', id: task.id, result, refused: tree ? tree.refused.slice(before) : [] };
        port.postMessage(reply);
      } catch (e) {
        port.postMessage({ type: 'error', id: task.id, message: e instanceof Error ? e.message : String(e) } satisfies WorkerReply);
      }
    });
    port.postMessage({ type: 'ready' } satisfies WorkerReply);
  } catch (e) {
    port.postMessage({ type: 'init-failed', message: e instanceof Error ? e.message : String(e) } satisfies WorkerReply);
  }
}

void main();
