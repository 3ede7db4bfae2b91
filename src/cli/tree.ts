/**
 * `--tree DIR`: the readFile callback the analysis uses to see whole post-image files.
 * Paths come from patch headers, which anyone can write: a path that is absolute, climbs with `..`,
 * or resolves (through a symbolic link) outside DIR is refused and recorded, never read.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TreeReader {
  root: string;
  readFile(relativePath: string): string | undefined;
  /** Paths refused because they would leave the tree (reported to the user as problems). */
  refused: string[];
}

/** Throws a plain Error with a readable message when DIR is not a usable directory. */
export function createTreeReader(dir: string): TreeReader {
  let root: string;
  try {
    root = fs.realpathSync(dir);
  } catch {
    throw new Error(`--tree ${dir}: no such directory`);
  }
  if (!fs.statSync(root).isDirectory()) throw new Error(`--tree ${dir}: not a directory`);
  const cache = new Map<string, string | undefined>();
  const refused: string[] = [];

  function inside(candidate: string): boolean {
    return candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
  }

  function read(relativePath: string): string | undefined {
    if (isEscaping(relativePath)) {
      if (!refused.includes(relativePath)) refused.push(relativePath);
      return undefined;
    }
    const resolved = path.resolve(root, relativePath);
    if (!inside(resolved)) {
      if (!refused.includes(relativePath)) refused.push(relativePath);
      return undefined;
    }
    let real: string;
    try {
      real = fs.realpathSync(resolved);
    } catch {
      return undefined; // not in the tree: the analysis falls back to the hunks
    }
    if (!inside(real)) {
      if (!refused.includes(relativePath)) refused.push(relativePath);
      return undefined;
    }
    try {
      const stat = fs.statSync(real);
      if (!stat.isFile() || stat.size > 16 * 1024 * 1024) return undefined;
      return fs.readFileSync(real, 'utf8');
    } catch {
      return undefined;
    }
  }

  return {
    root,
    refused,
    readFile(relativePath: string): string | undefined {
      if (!cache.has(relativePath)) cache.set(relativePath, read(relativePath));
      return cache.get(relativePath);
    },
  };
}

/** Syntactic refusal before touching the file system: empty, NUL, absolute (POSIX or Windows), or any `..` segment. */
export function isEscaping(relativePath: string): boolean {
  if (relativePath === '' || relativePath.includes('\0')) return true;
  if (relativePath.startsWith('/') || relativePath.startsWith('\\') || /^[A-Za-z]:/.test(relativePath)) return true;
  return relativePath.split(/[\\/]+/).some((segment) => segment === '..');
}

/**
 * The kernel tree a reviewer works in, found the way checkpatch finds its tree: the git top level (or else the
 * working directory) when it holds MAINTAINERS and drivers/iommu/.
 */
export function findKernelTree(candidates: readonly (string | undefined)[]): string | undefined {
  for (const dir of candidates) {
    if (!dir) continue;
    try {
      if (fs.statSync(path.join(dir, 'MAINTAINERS')).isFile() && fs.statSync(path.join(dir, 'drivers', 'iommu')).isDirectory()) return dir;
    } catch {
      // not this one
    }
  }
  return undefined;
}
