/**
 * Code lenses above driver structs: the DMA ownership mode and the simulated bind verdicts per topology.
 * provideCodeLenses gives ranges only; resolveCodeLens adds titles, so only visible lenses are formatted.
 */
import * as vscode from 'vscode';
import type { DriverVerdict } from '../core/types';
import { lineSourceOf, rangeOf } from './diagnostics';
import { guard, type Log } from './log';
import { modeLensTitle, verdictLensTitle } from './presentation';
import type { ReviewController } from './review-controller';

export const SHOW_DRIVER_TRACE = 'iommu-review.showDriverTrace';

class DriverLens extends vscode.CodeLens {
  constructor(range: vscode.Range, readonly verdict: DriverVerdict, readonly part: 'mode' | 'verdicts', readonly target: string) {
    super(range);
  }
}

export class DriverCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];
  readonly provideCodeLenses: (doc: vscode.TextDocument, token: vscode.CancellationToken) => Promise<vscode.CodeLens[]>;
  readonly resolveCodeLens: (lens: vscode.CodeLens) => Promise<vscode.CodeLens>;

  constructor(private readonly controller: ReviewController, log: Log) {
    this.subscriptions = [
      controller.onDidReview(() => this.changed.fire()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('iommu-review.codeLens.enabled')) this.changed.fire();
      }),
    ];
    this.provideCodeLenses = guard(log, 'code lens', [], (doc, token) => this.lenses(doc, token));
    this.resolveCodeLens = guard(log, 'code lens title', new vscode.CodeLens(new vscode.Range(0, 0, 0, 0)), (lens: vscode.CodeLens) => this.resolve(lens));
  }

  private async lenses(doc: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.CodeLens[]> {
    if (!this.controller.settingsFor(doc.uri).codeLensEnabled || !this.controller.isReviewable(doc)) return [];
    const review = await this.controller.whenReviewed(doc.uri);
    if (!review || token.isCancellationRequested) return [];
    const lines = lineSourceOf(doc);
    const lenses: vscode.CodeLens[] = [];
    for (const input of review.result.inputs) {
      for (const verdict of input.drivers) {
        if (verdict.location.path !== review.inputPath && verdict.location.path !== input.path) continue;
        const range = rangeOf(verdict.location, lines);
        lenses.push(new DriverLens(range, verdict, 'mode', review.target));
        if (verdict.scenarios.length) lenses.push(new DriverLens(range, verdict, 'verdicts', review.target));
      }
    }
    return lenses;
  }

  private resolve(lens: vscode.CodeLens): vscode.CodeLens {
    if (!(lens instanceof DriverLens)) return lens;
    const title = lens.part === 'mode' ? modeLensTitle(lens.verdict.mode) : verdictLensTitle(lens.verdict);
    lens.command = {
      title,
      command: SHOW_DRIVER_TRACE,
      arguments: [lens.verdict, lens.target],
      tooltip: `Simulated bind → probe → remove → unbind of ${lens.verdict.driver} on ${lens.target}: open the traces`,
    };
    return lens;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }
}
