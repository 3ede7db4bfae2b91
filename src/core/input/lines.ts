/**
 * Lines of text that remember where they came from in the user's input: after splitting an mbox, decoding a MIME
 * part or removing "> " quotes, every line still knows its input line and the column its text starts at.
 */
export interface SourceLines {
  texts: string[];
  /** 1-based input line of each text. */
  lines: number[];
  /** 1-based input column where each text starts. */
  columns: number[];
}

export function emptySourceLines(): SourceLines {
  return { texts: [], lines: [], columns: [] };
}

/** Splits decoded input text into lines (LF or CRLF; the \r is dropped so line numbers stay those of an editor). */
export function splitInputLines(text: string): string[] {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) lines[i] = line.slice(0, -1);
  }
  // A final newline does not start another line.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Input lines [from, to) as SourceLines, column 1. */
export function sliceInput(all: readonly string[], from: number, to: number): SourceLines {
  const n = Math.max(0, to - from);
  const out: SourceLines = { texts: new Array<string>(n), lines: new Array<number>(n), columns: new Array<number>(n) };
  for (let i = 0; i < n; i++) {
    out.texts[i] = all[from + i];
    out.lines[i] = from + i + 1;
    out.columns[i] = 1;
  }
  return out;
}

export function subLines(src: SourceLines, from: number, to: number): SourceLines {
  return { texts: src.texts.slice(from, to), lines: src.lines.slice(from, to), columns: src.columns.slice(from, to) };
}

export function pushLine(dst: SourceLines, text: string, line: number, column: number): void {
  dst.texts.push(text);
  dst.lines.push(line);
  dst.columns.push(column);
}

export function appendLines(dst: SourceLines, src: SourceLines): void {
  for (let i = 0; i < src.texts.length; i++) pushLine(dst, src.texts[i], src.lines[i], src.columns[i]);
}
