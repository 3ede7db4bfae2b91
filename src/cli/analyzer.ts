/** Creates an analyzer from the wasm files that the build puts beside the bundled scripts (dist/). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createAnalyzer, type Analyzer } from '../review/analyze';
import { loadWasmForNode } from '../core/c/node-wasm';

function wasmBesideScript(): { runtime: Uint8Array; language: Uint8Array } | undefined {
  const runtime = path.join(__dirname, 'tree-sitter.wasm');
  const language = path.join(__dirname, 'tree-sitter-c.wasm');
  if (!fs.existsSync(runtime) || !fs.existsSync(language)) return undefined;
  return { runtime: fs.readFileSync(runtime), language: fs.readFileSync(language) };
}

let created: Promise<Analyzer> | undefined;

/** One analyzer per thread: the parser is initialised once (a server answers many runs with it). */
export function createNodeAnalyzer(): Promise<Analyzer> {
  // Unbundled runs (compiled tests) find the wasm in node_modules through the core's node loader.
  created ??= createAnalyzer(wasmBesideScript() ?? loadWasmForNode());
  return created;
}
