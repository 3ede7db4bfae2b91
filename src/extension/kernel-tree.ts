/**
 * Finding the kernel tree a patch applies to, and reading its files without ever leaving it.
 * No 'vscode' import (unit-tested in node). A patch names files; those names must not reach outside the tree
 * (`../`, absolute paths, symlinks pointing elsewhere).
 */
import * as fs from 'fs';
import * as path from 'path';

/** Largest tree file handed to the analysis (kernel sources are far below this). */
const MAX_TREE_FILE_BYTES = 8 * 1024 * 1024;

/** A kernel tree has at least drivers/ and include/linux/ at its root. */
export function looksLikeKernelTree(dir: string): boolean {
  try {
    return fs.statSync(path.join(dir, 'drivers')).isDirectory() && fs.statSync(path.join(dir, 'include', 'linux')).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The absolute path of `relative` inside `root`, or undefined when it would escape the tree
 * (lexically, or through a symlink) or names something odd (NUL, absolute, drive letters).
 */
export function resolveInsideTree(root: string, relative: string): string | undefined {
  if (!relative || relative.includes('\0') || path.isAbsolute(relative) || /^[a-zA-Z]:/.test(relative)) return undefined;
  const rootAbs = path.resolve(root);
  const candidate = path.resolve(rootAbs, relative);
  if (!isWithin(rootAbs, candidate)) return undefined;
  try {
    const realRoot = fs.realpathSync(rootAbs);
    const real = fs.realpathSync(candidate);
    if (!isWithin(realRoot, real)) return undefined;
    return real;
  } catch {
    return undefined; // absent
  }
}

function isWithin(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * The `readFile` callback analyze() takes: a tree-relative path → text, or undefined when absent, outside the
 * tree, not a regular file or too large. `overlay` supplies unsaved editor text first.
 */
export function makeTreeReader(root: string, overlay?: (absolutePath: string) => string | undefined): (relative: string) => string | undefined {
  return (relative: string) => {
    const file = resolveInsideTree(root, relative);
    if (!file) return undefined;
    const open = overlay?.(file);
    if (open !== undefined) return open;
    try {
      const stat = fs.statSync(file);
      if (!stat.isFile() || stat.size > MAX_TREE_FILE_BYTES) return undefined;
      return fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  };
}

/** The path a document is analysed under: tree-relative (so the core sees `drivers/...`), else the given fallback. */
export function inputPathFor(fsPath: string, treeRoot: string | undefined, fallback: string): string {
  if (treeRoot) {
    const rel = path.relative(path.resolve(treeRoot), fsPath);
    if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) return rel.split(path.sep).join('/');
  }
  return fallback;
}
