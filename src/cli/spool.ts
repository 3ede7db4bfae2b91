/**
 * Keeps the JSON report's per-finding details (written after every finding) in a temporary file once there are
 * many, so a run with a million findings holds the memory of a few thousand. Falls back to memory when no
 * temporary file can be made.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DetailStore } from '../format/json';

const IN_MEMORY = 4096;
/** Never inside serialised JSON (JSON.stringify escapes U+0000), so it separates the stored texts. */
const SEPARATOR = '\u0000';

export function spooledDetailStore(): DetailStore & { dispose(): void } {
  let memory: string[] = [];
  let dir: string | undefined;
  let fd: number | undefined;
  const toFile = (): boolean => {
    try {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-review-'));
      fd = fs.openSync(path.join(dir, 'details'), 'w+', 0o600);
    } catch {
      dir = undefined;
      fd = undefined;
    }
    return fd !== undefined;
  };
  const dispose = (): void => {
    if (fd !== undefined) fs.closeSync(fd);
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
    fd = undefined;
    dir = undefined;
    memory = [];
  };
  return {
    add(text) {
      memory.push(text);
      if (memory.length < IN_MEMORY) return;
      if (fd === undefined && !toFile()) return;
      fs.writeSync(fd as number, memory.join(SEPARATOR) + SEPARATOR);
      memory = [];
    },
    drain(each) {
      if (fd !== undefined) {
        // Read back in pieces; a text may straddle two pieces.
        const buffer = Buffer.alloc(1024 * 1024);
        const decoder = new TextDecoder();
        let carry = '';
        let position = 0;
        for (;;) {
          const n = fs.readSync(fd, buffer, 0, buffer.length, position);
          if (n === 0) break;
          position += n;
          const texts = (carry + decoder.decode(buffer.subarray(0, n), { stream: true })).split(SEPARATOR);
          carry = texts.pop() ?? '';
          for (const t of texts) each(t);
        }
      }
      for (const t of memory) each(t);
      dispose();
    },
    dispose,
  };
}
