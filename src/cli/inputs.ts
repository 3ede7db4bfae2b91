/** Turns command-line paths into inputs: files as given, directories searched, '-' for standard input. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { InputProblem } from '../core/types';

export const REVIEWABLE_EXTENSIONS: readonly string[] = ['.patch', '.diff', '.mbox', '.mbx', '.eml', '.c', '.h'];
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git']);
/** Bigger files are refused rather than read. A thread archive can pass 100 MB: large mboxes are reviewed in chunks. */
export const MAX_INPUT_BYTES = 256 * 1024 * 1024;

export interface InputFile {
  /** The path as the user will read it in findings (the argument, or argument/relative/name for a directory). */
  path: string;
  /** Found by searching a directory (not named on the command line). */
  fromDirectory: boolean;
}

export interface ExpandedPaths {
  files: InputFile[];
  /** '-' seen: read standard input at that position. */
  stdinIndex: number;
  problems: InputProblem[];
  /** Entries of scanned directories that were not read (special files, links out of the directory): listed, not fatal. */
  notes: InputProblem[];
}

export function isCSourcePath(p: string): boolean {
  return /\.[ch]$/i.test(p);
}

function isReviewable(name: string): boolean {
  const lower = name.toLowerCase();
  return REVIEWABLE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** What a directory scan found besides its files: entries it would not read, named so nothing is skipped unseen. */
export interface ScanNotes {
  problems: InputProblem[];
}

function kindOf(stat: fs.Stats): string {
  if (stat.isFIFO()) return 'a named pipe (FIFO)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isDirectory()) return 'a directory';
  return 'not a regular file';
}

function inside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/**
 * Searches `dir` without recursion (a deep tree cannot exhaust the stack) and without opening anything: entries are
 * lstat'ed, symbolic links to directories are not followed, a link to a file is read only when it resolves inside
 * the directory (as --tree does), and FIFOs, sockets and devices are listed as problems, never opened. A
 * subdirectory that cannot be read is a problem of its own; the rest of the scan goes on.
 */
function walk(dir: string, out: InputFile[], notes: ScanNotes): void {
  const root = fs.realpathSync(dir);
  const pending: string[] = [dir];
  while (pending.length > 0) {
    const current = pending.pop() as string;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(current, { withFileTypes: true });
    } catch (e) {
      if (current === dir) throw e;
      notes.problems.push({ path: current, message: `directory not searched: ${describeFsError(e)}`, kind: 'skipped' });
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirectories: string[] = [];
    for (const entry of entries) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name)) subdirectories.push(full);
        continue;
      }
      if (!isReviewable(entry.name)) continue;
      if (entry.isFile()) {
        out.push({ path: full, fromDirectory: true });
        continue;
      }
      if (entry.isSymbolicLink()) {
        let real: string;
        try {
          real = fs.realpathSync(full);
        } catch (e) {
          notes.problems.push({ path: full, message: `not read: ${describeFsError(e)}`, kind: 'skipped' });
          continue;
        }
        if (!inside(root, real)) {
          notes.problems.push({ path: full, message: 'refused to read: the symbolic link leads out of the directory scanned', kind: 'skipped' });
          continue;
        }
        const stat = fs.statSync(real, { throwIfNoEntry: false });
        if (stat?.isFile()) out.push({ path: full, fromDirectory: true });
        else if (stat && !stat.isDirectory()) notes.problems.push({ path: full, message: `not read: ${kindOf(stat)}`, kind: 'skipped' });
        continue;
      }
      // FIFOs, sockets, devices: opening a FIFO blocks until someone writes to it.
      const stat = fs.lstatSync(full, { throwIfNoEntry: false });
      notes.problems.push({ path: full, message: `not read: ${stat ? kindOf(stat) : 'not a regular file'}`, kind: 'skipped' });
    }
    // Depth first, in name order: the stack takes the subdirectories in reverse.
    for (let k = subdirectories.length - 1; k >= 0; k--) pending.push(subdirectories[k]);
  }
}

/** Expands the positional arguments. Missing paths and empty directories become 'failed' problems. */
export function expandPaths(args: readonly string[]): ExpandedPaths {
  const files: InputFile[] = [];
  const problems: InputProblem[] = [];
  const notes: InputProblem[] = [];
  let stdinIndex = -1;
  for (const arg of args) {
    if (arg === '-') {
      stdinIndex = files.length;
      continue;
    }
    let stat: fs.Stats;
    try {
      stat = fs.statSync(arg);
    } catch (e) {
      problems.push({ path: arg, message: describeFsError(e), kind: 'failed' });
      continue;
    }
    if (stat.isDirectory()) {
      const found: InputFile[] = [];
      const scanNotes: ScanNotes = { problems: [] };
      try {
        walk(arg, found, scanNotes);
      } catch (e) {
        problems.push({ path: arg, message: describeFsError(e), kind: 'failed' });
        continue;
      }
      for (const p of scanNotes.problems) notes.push(p);
      if (found.length === 0) {
        problems.push({ path: arg, message: `no reviewable files (${REVIEWABLE_EXTENSIONS.join(' ')}) in this directory`, kind: 'failed' });
      }
      for (const f of found) files.push(f);
    } else {
      files.push({ path: arg, fromDirectory: false });
    }
  }
  return { files, stdinIndex, problems, notes };
}

/** A pipe the shell opened for us (`iommu-review <(git diff)`): already connected, so reading it cannot wait forever. */
function isProcessSubstitution(file: string): boolean {
  return /^\/(?:dev|proc\/self)\/fd\/\d+$/.test(file);
}

/** Reads at most `limit + 1` bytes from an open descriptor (a pipe has no size to check first). */
export function readCapped(fd: number, limit: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.min(1024 * 1024, limit + 1 - total));
    let n: number;
    try {
      n = fs.readSync(fd, chunk, 0, chunk.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      if ((e as NodeJS.ErrnoException).code === 'EOF') break;
      throw e;
    }
    if (n === 0) break;
    chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    total += n;
    if (total > limit) break;
  }
  return Buffer.concat(chunks, total);
}

export function tooLargeProblem(file: string, size: string): InputProblem {
  return { path: file, message: `too large to review (${size}; the limit is ${MAX_INPUT_BYTES} bytes)`, kind: 'failed' };
}

/**
 * Reads one input file; a problem instead of bytes when it cannot be read. Only regular files are opened (stat
 * first): a FIFO would block the run until someone writes to it, a device may never end. The one exception is a
 * pipe the shell already connected (`<(git diff)`), read with the same size limit as a file.
 */
export function readInputFile(file: string): { content: Uint8Array } | { problem: InputProblem } {
  try {
    const stat = fs.statSync(file);
    if (stat.isFIFO() && isProcessSubstitution(file)) {
      const fd = fs.openSync(file, 'r');
      try {
        const content = readCapped(fd, MAX_INPUT_BYTES);
        if (content.length > MAX_INPUT_BYTES) return { problem: tooLargeProblem(file, `more than ${MAX_INPUT_BYTES} bytes`) };
        return { content };
      } finally {
        fs.closeSync(fd);
      }
    }
    if (!stat.isFile()) return { problem: { path: file, message: `not read: ${kindOf(stat)}; only regular files are reviewed (pipe it to standard input instead)`, kind: 'failed' } };
    if (stat.size > MAX_INPUT_BYTES) return { problem: tooLargeProblem(file, `${stat.size} bytes`) };
    // O_NONBLOCK: should the file have been swapped for a FIFO since the stat, opening it still does not wait.
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      const opened = fs.fstatSync(fd);
      if (!opened.isFile()) return { problem: { path: file, message: 'not read: not a regular file', kind: 'failed' } };
      if (opened.size > MAX_INPUT_BYTES) return { problem: tooLargeProblem(file, `${opened.size} bytes`) };
      // Into one buffer of the stated size (no chunk list to concatenate: a 200 MB file is held once).
      const content = Buffer.allocUnsafe(opened.size);
      let filled = 0;
      while (filled < content.length) {
        const n = fs.readSync(fd, content, filled, content.length - filled, null);
        if (n === 0) break;
        filled += n;
      }
      return { content: content.subarray(0, filled) };
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    return { problem: { path: file, message: describeFsError(e), kind: 'failed' } };
  }
}

export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT': return 'no such file or directory';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a directory';
    case 'ENOTDIR': return 'a part of the path is not a directory';
    case 'ELOOP': return 'too many symbolic links';
    default: return e instanceof Error ? e.message : String(e);
  }
}
