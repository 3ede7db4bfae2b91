/**
 * C facts: kernel C text (a whole file or a line-aligned hunk view) → CFacts, via web-tree-sitter.
 * The host supplies the wasm bytes to initC (see node-wasm.ts for node); everything else is pure.
 */
export { initC, isCReady } from './runtime';
export { extractFacts } from './extract';
export { blankAnnotations } from './annotations';
