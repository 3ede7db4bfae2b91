/**
 * C facts: kernel C text (a whole file or a line-aligned hunk view) → CFacts, via web-tree-sitter.
 * The host supplies the wasm bytes to initC (node hosts: node-wasm.ts); everything else is pure.
 *
 * Conventions the consumers rely on:
 * - Code whose function header is not visible (a hunk starting mid-body) becomes a FunctionFact named ''
 *   (its calls have no inFunction), complete: false, whose program starts with a gap.
 * - Programs are built for functions that mention DMA/IOMMU/driver tokens, driver and bus callbacks, and what
 *   those call or pass as callbacks; any other function keeps empty calls/program (nothing there concerns ownership).
 * - A goto to a label that is not visible lands on a synthetic label + gap + unknown return.
 */
export { initC, isCReady } from './runtime';
export { extractFacts, clearFactsCache } from './facts-cache';
export { blankAnnotations } from './annotations';
