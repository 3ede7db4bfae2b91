/**
 * The simulated trace for people: a webview beside the editor with the group's state over the lifecycle as a picture
 * (owner, owner_cnt, domain, PASIDs per step, phases as bands) and a step table (phase, step, result, state).
 * Steps with a location are links: a click moves the editor's cursor to that line.
 */
import * as vscode from 'vscode';
import type { DriverVerdict, Finding } from '../core/types';
import type { Log } from './log';
import { modeLensTitle, TRACE_CSS, traceHtmlBody, traceViewRows, type TracePage, type TraceViewRow } from './presentation';

type Locate = (path: string, line: number) => vscode.Location;

/** What the view shows now (tests read it; the page is built from the same data). */
export interface TraceViewState {
  title: string;
  page: TracePage;
}

const TOPOLOGY_HEADINGS: Record<string, string> = {
  singleton: 'Alone in its group',
  'shared-dma-api': 'Sharing the group with a DMA-API device',
  'user-owned': 'Binding into a group user space owns',
  'no-iommu': 'No IOMMU',
  'co-owned': 'The same owner also claims another device of the group',
};

export class TraceView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private locate: Locate | undefined;
  private shown: TraceViewState | undefined;
  private readonly revealed = new vscode.EventEmitter<vscode.Location>();
  /** Fires after a click on a step moved the cursor (tests wait on it). */
  readonly onDidRevealStep = this.revealed.event;

  constructor(private readonly log: Log) {}

  get state(): TraceViewState | undefined {
    return this.shown;
  }

  async showFinding(finding: Finding, target: string, locate?: Locate): Promise<TraceViewState> {
    const where = finding.source ? `${finding.source.file}:${finding.source.line}` : `${finding.location.path}:${finding.location.line}`;
    const page: TracePage = {
      title: `${finding.code} ${finding.rule}`,
      subtitle: `${finding.severity} at ${where} — kernel target ${target}`,
      message: finding.message,
      sections: [{ heading: 'Simulated trace', rows: traceViewRows(finding.trace) }],
    };
    return this.show(`${finding.code} trace`, page, locate);
  }

  async showDriver(verdict: DriverVerdict, target: string, locate?: Locate): Promise<TraceViewState> {
    const page: TracePage = {
      title: `${verdict.driver} (struct ${verdict.structType})`,
      subtitle: `${modeLensTitle(verdict.mode)} — ${verdict.file}, kernel target ${target}`,
      sections: verdict.scenarios.map((s) => ({
        heading: `${TOPOLOGY_HEADINGS[s.topology] ?? s.topology}: ${s.ok ? 'no problem' : 'problem'}`,
        rows: traceViewRows(s.trace),
      })),
    };
    return this.show(`${verdict.driver} traces`, page, locate);
  }

  private show(title: string, page: TracePage, locate: Locate | undefined): TraceViewState {
    this.locate = locate;
    this.shown = { title, page };
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel('iommu-review.trace', title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
        enableScripts: true,
        localResourceRoots: [],
      });
      this.panel.onDidDispose(() => (this.panel = undefined));
      this.panel.webview.onDidReceiveMessage((m: unknown) => void this.onMessage(m));
    } else {
      this.panel.reveal(vscode.ViewColumn.Beside, true);
    }
    this.panel.title = title;
    this.panel.webview.html = this.html(page);
    return this.shown;
  }

  /** The webview asks to go to a step: `{ type: 'reveal', section, step }`. */
  private async onMessage(message: unknown): Promise<void> {
    const m = message as { type?: string; section?: number; step?: number };
    if (m?.type !== 'reveal' || typeof m.section !== 'number' || typeof m.step !== 'number') return;
    const row: TraceViewRow | undefined = this.shown?.page.sections[m.section]?.rows[m.step];
    if (!row?.location || !this.locate) return;
    await this.reveal(this.locate(row.location.path, row.location.line));
  }

  /** Puts the cursor on a step's line, in the editor that already shows the document when there is one. */
  async reveal(location: vscode.Location): Promise<void> {
    try {
      const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === location.uri.toString());
      const doc = visible?.document ?? (await vscode.workspace.openTextDocument(location.uri));
      const editor = await vscode.window.showTextDocument(doc, { viewColumn: visible?.viewColumn ?? vscode.ViewColumn.One, selection: location.range });
      editor.revealRange(location.range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      this.revealed.fire(location);
    } catch (err) {
      this.log.warn(`could not open the step's location: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private html(page: TracePage): string {
    const nonce = Array.from({ length: 24 }, () => Math.floor(Math.random() * 36).toString(36)).join('');
    return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}';">
<style>${TRACE_CSS}</style></head><body>
${traceHtmlBody(page)}
<script nonce="${nonce}">
const vscode = acquireVsCodeApi();
document.addEventListener('click', (e) => {
  const el = e.target.closest('[data-step]');
  if (!el) return;
  e.preventDefault();
  vscode.postMessage({ type: 'reveal', section: Number(el.dataset.section), step: Number(el.dataset.step) });
});
</script></body></html>`;
  }

  dispose(): void {
    this.panel?.dispose();
    this.revealed.dispose();
  }
}
