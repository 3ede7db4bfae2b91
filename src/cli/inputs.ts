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
}

export function isCSourcePath(p: string): boolean {
  return /\.[ch]$/i.test(p);
}

function isReviewable(name: string): boolean {
  const lower = name.toLowerCase();
  return REVIEWABLE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

function walk(dir: string, out: InputFile[]): void {
  const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    // Symbolic links to directories are not followed: they can loop, and they lead out of the folder asked for.
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) walk(full, out);
    } else if ((entry.isFile() || entry.isSymbolicLink()) && isReviewable(entry.name)) {
      out.push({ path: full, fromDirectory: true });
    }
  }
}

/** Expands the positional arguments. Missing paths and empty directories become 'failed' problems. */
export function expandPaths(args: readonly string[]): ExpandedPaths {
  const files: InputFile[] = [];
  const problems: InputProblem[] = [];
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
      try {
        walk(arg, found);
      } catch (e) {
        problems.push({ path: arg, message: describeFsError(e), kind: 'failed' });
        continue;
      }
      if (found.length === 0) {
        problems.push({ path: arg, message: `no reviewable files (${REVIEWABLE_EXTENSIONS.join(' ')}) in this directory`, kind: 'failed' });
      }
      files.push(...found);
    } else {
      files.push({ path: arg, fromDirectory: false });
    }
  }
  return { files, stdinIndex, problems };
}

/** Reads one input file; a problem instead of bytes when it cannot be read. */
export function readInputFile(file: string): { content: Uint8Array } | { problem: InputProblem } {
  try {
    const stat = fs.statSync(file);
    // A pipe named on the command line (`iommu-review <(git diff)`) is read like standard input.
    if (stat.isFIFO()) return { content: fs.readFileSync(file) };
    if (!stat.isFile()) return { problem: { path: file, message: 'not a regular file', kind: 'failed' } };
    if (stat.size > MAX_INPUT_BYTES) {
      return { problem: { path: file, message: `too large to review (${stat.size} bytes; the limit is ${MAX_INPUT_BYTES})`, kind: 'failed' } };
    }
    return { content: fs.readFileSync(file) };
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
