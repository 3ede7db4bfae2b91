/**
 * Code lenses above driver structs: the DMA ownership mode and the simulated bind verdicts per topology.
 * provideCodeLenses gives ranges only; resolveCodeLens adds titles, so only visible lenses are formatted.
 */
import * as vscode from 'vscode';
import type { DriverVerdict } from '../core/types';
import { lineSourceOf, rangeOf } from './diagnostics';
import { guard, type Log } from './log';
import { driverLenses } from './presentation';
import type { ReviewController } from './review-controller';

export const SHOW_DRIVER_TRACE = 'iommu-review.showDriverTrace';

class DriverLens extends vscode.CodeLens {
  constructor(range: vscode.Range, readonly verdict: DriverVerdict, readonly part: number, readonly target: string, readonly uri: string) {
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
        const count = verdict.scenarios.length ? driverLenses(verdict).length : 1;
        for (let part = 0; part < count; part++) lenses.push(new DriverLens(range, verdict, part, review.target, doc.uri.toString()));
      }
    }
    return lenses;
  }

  private resolve(lens: vscode.CodeLens): vscode.CodeLens {
    if (!(lens instanceof DriverLens)) return lens;
    const text = driverLenses(lens.verdict)[lens.part] ?? driverLenses(lens.verdict)[0];
    lens.command = {
      title: text.title,
      command: SHOW_DRIVER_TRACE,
      arguments: [lens.verdict, lens.target, lens.uri],
      tooltip: `${text.tooltip}\n(kernel target ${lens.target})`,
    };
    return lens;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }
}
