/** Positions and line visibility of one view. */
import type { Node } from 'web-tree-sitter';
import type { CView, ImageSpan } from '../types';

export function spanOf(node: Node): ImageSpan {
  const start = node.startPosition;
  const end = node.endPosition;
  return { line: start.row + 1, column: start.column + 1, endLine: end.row + 1, endColumn: end.column + 1 };
}

export function startLine(node: Node): number {
  return node.startPosition.row + 1;
}

export function endLine(node: Node): number {
  return node.endPosition.row + 1;
}

/** Whitespace-free text, for lvalues and callee names compared across spellings (`priv -> dom` = `priv->dom`). */
export function compact(text: string): string {
  return text.replace(/\s+/g, '');
}

export class LineInfo {
  readonly lineCount: number;
  private readonly visible: Uint8Array;
  private readonly changed: Set<number>;
  readonly wholeFile: boolean;
  /** True when no line is unseen: gap detection has nothing to find. */
  readonly everyLineVisible: boolean;
  /** Set once the tree is parsed: lets per-node hasError checks be skipped on clean trees. */
  treeHasError = true;

  constructor(view: CView, text: string) {
    let count = 1;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) count++;
    this.lineCount = count;
    this.wholeFile = view.image === 'file';
    this.changed = new Set(view.changedLines);
    this.visible = new Uint8Array(count + 2);
    if (this.wholeFile || view.visibleLines.length === 0) {
      this.visible.fill(1);
    } else {
      for (const range of view.visibleLines) {
        for (let line = Math.max(1, range.from); line <= Math.min(count, range.to); line++) this.visible[line] = 1;
      }
    }
    this.everyLineVisible = this.visible.indexOf(0, 1) < 0 || this.visible.indexOf(0, 1) > count;
  }

  isVisible(line: number): boolean {
    return this.visible[line] === 1;
  }

  /** First and last unseen line in [from, to], or null when every line there is visible. */
  unseenWithin(from: number, to: number): { from: number; to: number } | null {
    let first = -1;
    let last = -1;
    for (let line = Math.max(1, from); line <= Math.min(this.lineCount, to); line++) {
      if (this.visible[line] !== 1) {
        if (first < 0) first = line;
        last = line;
      }
    }
    return first < 0 ? null : { from: first, to: last };
  }

  allVisible(from: number, to: number): boolean {
    return this.unseenWithin(from, to) === null;
  }

  /** True for a line the patch added (every line of a whole file). */
  isAdded(line: number): boolean {
    return this.wholeFile || this.changed.has(line);
  }

  addedWithin(from: number, to: number): number[] {
    if (this.wholeFile) return [];
    const lines: number[] = [];
    for (const line of this.changed) if (line >= from && line <= to) lines.push(line);
    return lines.sort((a, b) => a - b);
  }
}
