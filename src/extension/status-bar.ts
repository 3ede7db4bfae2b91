/** The status bar item: the review summary of the active editor; click to open the Problems panel. */
import * as vscode from 'vscode';
import { resultSummary } from './presentation';
import type { ReviewController } from './review-controller';

export class ReviewStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('iommu-review.status', vscode.StatusBarAlignment.Left, 50);
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly controller: ReviewController) {
    this.item.name = 'IOMMU review';
    this.item.command = 'workbench.actions.view.problems';
    this.subscriptions = [
      controller.onDidReview(() => this.update()),
      controller.onDidChangeRunning(() => this.update()),
      vscode.window.onDidChangeActiveTextEditor(() => this.update()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('iommu-review.target') && this.update()),
    ];
    this.update();
  }

  /** The text shown (tests read it). */
  get text(): string {
    return this.item.text;
  }

  update(): void {
    const doc = vscode.window.activeTextEditor?.document;
    if (!doc || !this.controller.isReviewable(doc)) {
      this.item.hide();
      return;
    }
    const target = this.controller.settingsFor(doc.uri).target;
    const review = this.controller.reviewOf(doc.uri);
    const running = this.controller.runningCount > 0;
    const summary = review ? resultSummary(review.result) : 'not reviewed yet';
    this.item.text = `${running ? '$(sync~spin)' : '$(shield)'} IOMMU ${target}: ${summary}`;
    this.item.tooltip = `iommu-review against ${target}${review?.treeRoot ? ` with the tree at ${review.treeRoot}` : ''} — click for the Problems panel`;
    this.item.show();
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
  }
}
