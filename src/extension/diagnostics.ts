/** Findings and input problems → vscode.Diagnostic (positions in the core are 1-based, end column exclusive). */
import * as vscode from 'vscode';
import type { Finding, InputProblem, Severity } from '../core/types';
import { findRule } from '../rules/index';
import { DOCS_BASE } from '../rules/types';
import { relatedSteps } from './presentation';

export const SOURCE = 'iommu-review';
export const INPUT_PROBLEM_CODE = 'input';
/** Related information is a list the user scrolls; a runaway trace would make it unreadable. */
const MAX_RELATED_STEPS = 12;

export function docsUrlFor(finding: Pick<Finding, 'rule' | 'code'>): string {
  return findRule(finding.code)?.meta.docsUrl ?? findRule(finding.rule)?.meta.docsUrl ?? `${DOCS_BASE}${finding.rule}.md`;
}

function toSeverity(s: Severity): vscode.DiagnosticSeverity {
  switch (s) {
    case 'error':
      return vscode.DiagnosticSeverity.Error;
    case 'warning':
      return vscode.DiagnosticSeverity.Warning;
    case 'info':
      return vscode.DiagnosticSeverity.Information;
  }
}

/** Line texts of the reviewed document, to clamp and widen ranges. */
export interface LineSource {
  lineCount: number;
  lineText(line: number): string;
}

export function lineSourceOf(doc: vscode.TextDocument): LineSource {
  return { lineCount: doc.lineCount, lineText: (l) => doc.lineAt(l).text };
}

export function lineSourceOfText(text: string): LineSource {
  const lines = text.split(/\r?\n/);
  return { lineCount: lines.length, lineText: (l) => lines[l] ?? '' };
}

/**
 * The range of a 1-based location. Without an end, it covers the identifier at the start (or the rest of the
 * line), so a diagnostic is never an invisible zero-width mark.
 */
export function rangeOf(loc: { line: number; column: number; endLine?: number; endColumn?: number }, lines: LineSource): vscode.Range {
  const last = Math.max(0, lines.lineCount - 1);
  const line = clamp(loc.line - 1, 0, last);
  const text = lines.lineText(line);
  const col = clamp(loc.column - 1, 0, text.length);
  if (loc.endLine !== undefined && loc.endColumn !== undefined) {
    const endLine = clamp(loc.endLine - 1, line, last);
    const endCol = clamp(loc.endColumn - 1, 0, lines.lineText(endLine).length);
    if (endLine > line || endCol > col) return new vscode.Range(line, col, endLine, endCol);
  }
  const word = /^[A-Za-z_]\w*/.exec(text.slice(col));
  const end = word ? col + word[0].length : text.length > col ? text.length : col;
  return new vscode.Range(line, col, line, end);
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(Math.max(Number.isFinite(n) ? n : lo, lo), hi);
}

export function findingToDiagnostic(finding: Finding, lines: LineSource, locate: (path: string, line: number) => vscode.Location): vscode.Diagnostic {
  const range = rangeOf(finding.location, lines);
  const d = new vscode.Diagnostic(range, finding.message, toSeverity(finding.severity));
  d.source = SOURCE;
  d.code = { value: finding.code, target: docsUriFor(finding) };
  // Only steps that are somewhere in the document: a row without a place would just repeat the finding's line.
  const related = relatedSteps(finding.trace).slice(0, MAX_RELATED_STEPS);
  if (related.length) {
    d.relatedInformation = related.map((r) => new vscode.DiagnosticRelatedInformation(locate(r.location.path, r.location.line), r.text));
  }
  return d;
}

/** Where rule pages live: the extension's own copy (set at activation), so the link opens the bundled page. */
let docsRoot: vscode.Uri | undefined;
export function setDocsRoot(extensionRoot: vscode.Uri): void {
  docsRoot = extensionRoot;
}

export function docsUriFor(finding: Pick<Finding, 'rule' | 'code'>): vscode.Uri {
  const name = findRule(finding.code)?.meta.name ?? findRule(finding.rule)?.meta.name ?? finding.rule;
  const page = `${DOCS_BASE}${name}.md`;
  return docsRoot ? vscode.Uri.joinPath(docsRoot, page) : vscode.Uri.file(page);
}

export function problemToDiagnostic(problem: InputProblem, lines: LineSource): vscode.Diagnostic {
  const line = clamp((problem.line ?? 1) - 1, 0, Math.max(0, lines.lineCount - 1));
  const what = problem.kind === 'skipped' ? 'Not reviewed' : 'Could not review';
  const d = new vscode.Diagnostic(new vscode.Range(line, 0, line, lines.lineText(line).length), `${what}: ${problem.message}`, vscode.DiagnosticSeverity.Information);
  d.source = SOURCE;
  d.code = INPUT_PROBLEM_CODE;
  return d;
}

/** Same diagnostic as published earlier (VS Code hands code-action providers copies, not the objects we set). */
export function sameDiagnostic(a: vscode.Diagnostic, b: vscode.Diagnostic): boolean {
  return codeValue(a) === codeValue(b) && a.message === b.message && a.range.isEqual(b.range);
}

export function codeValue(d: vscode.Diagnostic): string | undefined {
  const c = d.code;
  if (c === undefined) return undefined;
  return typeof c === 'object' ? String(c.value) : String(c);
}
