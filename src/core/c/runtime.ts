/** The one web-tree-sitter Parser of the process, created by initC from wasm bytes the host supplies. */
import { Language, Parser } from 'web-tree-sitter';
import type { Tree } from 'web-tree-sitter';
import type { IncludedRange } from './skipped-bodies';

let parser: Parser | null = null;
let pending: Promise<void> | null = null;

export async function initC(wasm: { runtime?: Uint8Array; language: Uint8Array }): Promise<void> {
  if (parser) return;
  if (!pending) {
    pending = (async () => {
      // Passing the bytes keeps the core free of file-system access; without them Emscripten locates the file itself.
      const moduleOptions = wasm.runtime ? { wasmBinary: wasm.runtime } : undefined;
      await Parser.init(moduleOptions as Parameters<typeof Parser.init>[0]);
      const language = await Language.load(wasm.language);
      const created = new Parser();
      created.setLanguage(language);
      parser = created;
    })();
    pending.catch(() => {
      pending = null; // let a later call retry with other bytes
    });
  }
  await pending;
}

export function isCReady(): boolean {
  return parser !== null;
}

/**
 * Parses `text` (only the `included` ranges of it, when given), giving up after `timeoutMs`; null when it timed out.
 * The caller must delete() the tree.
 */
export function parseWithTimeout(text: string, timeoutMs: number, included?: IncludedRange[]): Tree | null {
  if (!parser) throw new Error('iommu-review: initC() must complete before extractFacts()');
  const deadline = Date.now() + timeoutMs;
  const tree = parser.parse(text, null, {
    ...(included ? { includedRanges: included } : {}),
    // Returning true cancels the parse (web-tree-sitter 0.25 progress callback).
    progressCallback: (() => Date.now() > deadline) as unknown as (state: unknown) => void,
  });
  if (!tree) parser.reset(); // a cancelled parse would otherwise resume on the next document
  return tree;
}
