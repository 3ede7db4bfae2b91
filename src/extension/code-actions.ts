/**
 * Quick fixes from Finding.fixes (add the ownership flag, rename a stale API, insert a release/detach), a copy of
 * the suggested line where a fix cannot be an edit of this document, the trace, and "Show documentation" on
 * every diagnostic of ours.
 */
import * as vscode from 'vscode';
import type { Finding, Fix } from '../core/types';
import { codeValue, lineSourceOf, rangeOf, sameDiagnostic, SOURCE } from './diagnostics';
import { alignInitializerLine } from './presentation';
import { resolveInsideTree } from './kernel-tree';
import { guard, type Log } from './log';
import type { DocumentReview, ReviewController } from './review-controller';

export const SHOW_DOCUMENTATION = 'iommu-review.showDocumentation';
export const COPY_SUGGESTION = 'iommu-review.copySuggestion';
export const SHOW_FINDING_TRACE = 'iommu-review.showTrace';

export class ReviewCodeActionProvider implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };
  readonly provideCodeActions: (doc: vscode.TextDocument, range: vscode.Range, context: vscode.CodeActionContext) => Promise<vscode.CodeAction[]>;

  constructor(private readonly controller: ReviewController, log: Log) {
    this.provideCodeActions = guard(log, 'quick fixes', [], (doc, _range, context) => this.actions(doc, context));
  }

  private actions(doc: vscode.TextDocument, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const ours = context.diagnostics.filter((d) => d.source === SOURCE && codeValue(d)?.startsWith('OWN'));
    if (!ours.length) return [];
    const review = this.controller.reviewOf(doc.uri);
    const actions: vscode.CodeAction[] = [];
    for (const diagnostic of ours) {
      const finding = review?.entries.find((e) => sameDiagnostic(e.diagnostic, diagnostic))?.finding;
      if (finding && review) {
        finding.fixes.forEach((fix, i) => {
          const action = this.fixAction(doc, review, finding, fix, i === 0);
          if (action) {
            action.diagnostics = [diagnostic];
            actions.push(action);
          }
        });
        if (finding.trace.length) {
          const trace = new vscode.CodeAction(`Show simulation trace for ${finding.code}`, vscode.CodeActionKind.QuickFix);
          trace.command = { title: trace.title, command: SHOW_FINDING_TRACE, arguments: [finding, review.target] };
          trace.diagnostics = [diagnostic];
          actions.push(trace);
        }
      }
      const code = codeValue(diagnostic) ?? '';
      const docs = new vscode.CodeAction(`Show documentation for ${code}`, vscode.CodeActionKind.QuickFix);
      docs.command = { title: docs.title, command: SHOW_DOCUMENTATION, arguments: [code] };
      docs.diagnostics = [diagnostic];
      actions.push(docs);
    }
    return actions;
  }

  /** An edit when every edit lands in this document or a file of the tree; else a copy of the suggestion. */
  private fixAction(doc: vscode.TextDocument, review: DocumentReview, finding: Finding, fix: Fix, preferred: boolean): vscode.CodeAction | undefined {
    if (fix.edits.length) {
      const edit = new vscode.WorkspaceEdit();
      let applicable = true;
      for (const e of fix.edits) {
        const target = this.uriOf(e.path, review);
        if (!target) {
          applicable = false;
          break;
        }
        const inDoc = target.toString() === doc.uri.toString();
        const range = inDoc ? editRange(e.span, doc) : spanToRange(e.span);
        edit.replace(target, range, inDoc ? alignToNeighbours(e.newText, doc, range.start.line) : e.newText);
      }
      if (applicable) {
        const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
        action.edit = edit;
        action.isPreferred = preferred;
        return action;
      }
    }
    const text = fix.suggestion ?? fix.edits.map((e) => e.newText).join('');
    if (!text.trim()) return undefined;
    const copy = new vscode.CodeAction(`${fix.title} (copy the suggested line)`, vscode.CodeActionKind.QuickFix);
    copy.command = { title: copy.title, command: COPY_SUGGESTION, arguments: [text, finding.code] };
    return copy;
  }

  private uriOf(p: string, review: DocumentReview): vscode.Uri | undefined {
    if (p === review.inputPath) return review.uri;
    if (review.treeRoot) {
      const file = resolveInsideTree(review.treeRoot, p);
      if (file) return vscode.Uri.file(file);
    }
    return undefined;
  }
}

/** An inserted initializer line follows the alignment of the lines above it (tabs before '=' in kernel style). */
function alignToNeighbours(newText: string, doc: vscode.TextDocument, line: number): string {
  if (!/^\s*\.[\w.]+\s*=.*\n?$/.test(newText) || newText.trimEnd().includes('\n')) return newText;
  const neighbours: string[] = [];
  const isC = doc.languageId === 'c' || doc.languageId === 'cpp';
  for (let l = Math.max(0, line - 12); l < Math.min(doc.lineCount, line + 4); l++) {
    const text = doc.lineAt(l).text;
    neighbours.push(isC ? text : text.replace(/^[-+ ]/, ''));
  }
  // In a patch, the document's lines carry a diff marker; the new text carries it too when it is a hunk line.
  const marker = /^[+]/.exec(newText)?.[0] ?? '';
  return marker + alignInitializerLine(newText.slice(marker.length), neighbours);
}

function spanToRange(span: { line: number; column: number; endLine: number; endColumn: number }): vscode.Range {
  return new vscode.Range(Math.max(0, span.line - 1), Math.max(0, span.column - 1), Math.max(0, span.endLine - 1), Math.max(0, span.endColumn - 1));
}

/** In the open document: clamp to its lines (an insertion past the last line appends). */
function editRange(span: { line: number; column: number; endLine: number; endColumn: number }, doc: vscode.TextDocument): vscode.Range {
  if (span.line > doc.lineCount) {
    const end = doc.lineAt(doc.lineCount - 1).range.end;
    return new vscode.Range(end, end);
  }
  const start = rangeOf({ line: span.line, column: span.column, endLine: span.line, endColumn: span.column }, lineSourceOf(doc)).start;
  const end = span.endLine === span.line && span.endColumn === span.column ? start : doc.validatePosition(new vscode.Position(span.endLine - 1, span.endColumn - 1));
  return new vscode.Range(start, end);
}
