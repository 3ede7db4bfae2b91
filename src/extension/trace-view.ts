/**
 * Read-only markdown documents showing simulated traces, served by a TextDocumentContentProvider
 * (`iommu-review-trace:` URIs are read-only by construction).
 */
import * as vscode from 'vscode';
import type { DriverVerdict, Finding } from '../core/types';
import { renderTrace } from '../core/sim/index';
import { docsUrlFor } from './diagnostics';
import type { Log } from './log';
import { driverTraceMarkdown, findingTraceMarkdown, traceTable, type TraceRow } from './presentation';

export const TRACE_SCHEME = 'iommu-review-trace';
/** Old traces are dropped so the provider's memory stays bounded in a long session. */
const MAX_DOCUMENTS = 100;

export class TraceView implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly contents = new Map<string, string>();
  private next = 1;
  private readonly registration: vscode.Disposable;

  constructor(private readonly log: Log) {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(TRACE_SCHEME, this);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.path) ?? '# Trace no longer available\n\nRun the review again and reopen the trace.\n';
  }

  /** The step table: the simulation's renderer when it takes these steps, else our own. */
  renderSteps = (steps: readonly TraceRow[]): string => {
    try {
      const asTraceSteps = steps.map((s) => ({ step: s.step, result: s.result, at: s.location ? { file: s.location.path, line: s.location.line, column: 1 } : undefined }));
      const md = renderTrace(asTraceSteps, 'markdown');
      if (typeof md === 'string' && md.trim()) return md;
    } catch (err) {
      this.log.warn(`trace renderer failed, using the plain table: ${err instanceof Error ? err.message : String(err)}`);
    }
    return traceTable(steps);
  };

  async showFinding(finding: Finding, target: string): Promise<vscode.Uri> {
    const md = findingTraceMarkdown(finding, this.renderSteps(finding.trace), docsUrlFor(finding), target);
    return this.open(`${finding.code}-${finding.rule}`, md);
  }

  async showDriver(verdict: DriverVerdict, target: string): Promise<vscode.Uri> {
    return this.open(`${verdict.driver}-scenarios`, driverTraceMarkdown(verdict, this.renderSteps, target));
  }

  private async open(name: string, markdown: string): Promise<vscode.Uri> {
    const id = this.next++;
    const docPath = `/${id}/${name.replace(/[^\w.-]+/g, '_')}.md`;
    this.contents.set(docPath, markdown);
    if (this.contents.size > MAX_DOCUMENTS) this.contents.delete(this.contents.keys().next().value as string);
    const uri = vscode.Uri.from({ scheme: TRACE_SCHEME, path: docPath });
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
    return uri;
  }

  dispose(): void {
    this.registration.dispose();
    this.contents.clear();
  }
}
