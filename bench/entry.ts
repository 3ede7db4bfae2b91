// What the bench needs from the project, bundled by esbuild into bench/work/core.cjs (the same code dist/ runs).
export { createNodeAnalyzer } from '../src/cli/analyzer';
export { parseInput } from '../src/core/input';
export { loadWasmForNode } from '../src/core/c/node-wasm';
export { clearFactsCache } from '../src/core/c';
