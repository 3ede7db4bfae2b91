/** Node hosts and tests: read the two wasm files (the only core file allowed to touch the file system). */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function loadWasmForNode(): { runtime: Uint8Array; language: Uint8Array } {
  return { runtime: readFirst('tree-sitter.wasm', 'web-tree-sitter'), language: readFirst('tree-sitter-c.wasm', 'tree-sitter-c') };
}

function readFirst(file: string, packageName: string): Uint8Array {
  // Bundled: dist/ holds the wasm beside the script. Unbundled: src/core/c or out/src/core/c → repo root.
  const candidates = [path.join(__dirname, file), path.join(__dirname, '..', 'dist', file)];
  for (const up of ['../../..', '../../../..']) {
    candidates.push(path.resolve(__dirname, up, 'node_modules', packageName, file));
  }
  for (const candidate of candidates) {
    if (fs.existsSync(candidate)) return fs.readFileSync(candidate);
  }
  throw new Error(`iommu-review: cannot find ${file} (looked in ${candidates.join(', ')})`);
}
