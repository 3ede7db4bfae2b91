/**
 * Extension entry (bundled to dist/extension.js): wires the review controller, providers and commands.
 * The only layer that imports 'vscode'; the analysis itself is the pure core's analyze().
 */
import * as vscode from 'vscode';
import { AnalysisEngine } from './analysis-engine';
import { DriverCodeLensProvider } from './code-lens';
import { setDocsRoot } from './diagnostics';
import { ReviewCodeActionProvider } from './code-actions';
import { registerCommands } from './commands';
import { GitDocuments } from './git-documents';
import { ApiHoverProvider } from './hover';
import { describeError, guard, Log } from './log';
import { ReviewController, type DocumentReview } from './review-controller';
import { ReviewStatusBar } from './status-bar';
import { TraceView, type TraceViewState } from './trace-view';

/** What activate() returns: lets tests (and other extensions) wait for reviews instead of sleeping. */
export interface IommuReviewApi {
  readonly onDidReview: vscode.Event<DocumentReview>;
  whenReviewed(uri: vscode.Uri): Promise<DocumentReview | undefined>;
  reviewOf(uri: vscode.Uri): DocumentReview | undefined;
  logLines(): readonly string[];
  statusBarText(): string;
  /** What the trace view shows now, and when a click on one of its steps moved the cursor. */
  traceView(): TraceViewState | undefined;
  readonly onDidRevealStep: vscode.Event<vscode.Location>;
}

const SELECTOR: vscode.DocumentSelector = [
  { language: 'diff' },
  { language: 'patch-mail' },
  { language: 'c' },
  { language: 'cpp', pattern: '**/*.h' },
];

export function activate(context: vscode.ExtensionContext): IommuReviewApi {
  const log = new Log();
  context.subscriptions.push(log);
  try {
    return wire(context, log);
  } catch (err) {
    // VS Code does not tell the user when an extension fails to activate.
    log.error('activation failed', err);
    void vscode.window.showErrorMessage(`iommu-review failed to start: ${describeError(err)}`);
    throw err;
  }
}

function wire(context: vscode.ExtensionContext, log: Log): IommuReviewApi {
  setDocsRoot(context.extensionUri);
  const engine = new AnalysisEngine(
    {
      runtime: context.asAbsolutePath('dist/tree-sitter.wasm'),
      language: context.asAbsolutePath('dist/tree-sitter-c.wasm'),
      worker: context.asAbsolutePath('dist/analysis-worker.js'),
    },
    log,
  );
  context.subscriptions.push({ dispose: () => engine.dispose() });
  const controller = new ReviewController(engine, log);
  const traces = new TraceView(log);
  const gitDocuments = new GitDocuments();
  const lenses = new DriverCodeLensProvider(controller, log);
  const statusBar = new ReviewStatusBar(controller);
  context.subscriptions.push(
    controller,
    traces,
    gitDocuments,
    lenses,
    statusBar,
    vscode.languages.registerCodeLensProvider(SELECTOR, lenses),
    vscode.languages.registerCodeActionsProvider(SELECTOR, new ReviewCodeActionProvider(controller, log), ReviewCodeActionProvider.metadata),
    vscode.languages.registerHoverProvider(SELECTOR, new ApiHoverProvider(controller, log)),
  );
  registerCommands(context, controller, traces, gitDocuments, log);

  const on = <T>(what: string, fn: (e: T) => void) => guard(log, what, undefined, fn);
  context.subscriptions.push(
    vscode.workspace.onDidOpenTextDocument(on('open', (doc: vscode.TextDocument) => controller.schedule(doc, 'open'))),
    vscode.workspace.onDidSaveTextDocument(on('save', (doc: vscode.TextDocument) => controller.schedule(doc, 'save'))),
    vscode.workspace.onDidChangeTextDocument(
      on('change', (e: vscode.TextDocumentChangeEvent) => {
        if (e.contentChanges.length) controller.schedule(e.document, 'change');
      }),
    ),
    vscode.workspace.onDidCloseTextDocument(on('close', (doc: vscode.TextDocument) => controller.forget(doc.uri))),
    vscode.workspace.onDidChangeConfiguration(
      on('settings', (e: vscode.ConfigurationChangeEvent) => {
        const affects = ['target', 'rules', 'treePath'].some((k) => e.affectsConfiguration(`iommu-review.${k}`));
        if (affects) controller.reviewAllOpen();
      }),
    ),
  );
  for (const doc of vscode.workspace.textDocuments) controller.schedule(doc, 'open');
  log.info(`activated (VS Code ${vscode.version}, ${vscode.workspace.isTrusted ? 'trusted' : 'untrusted'} workspace)`);

  return {
    onDidReview: controller.onDidReview,
    whenReviewed: (uri) => controller.whenReviewed(uri),
    reviewOf: (uri) => controller.reviewOf(uri),
    logLines: () => log.recent,
    statusBarText: () => statusBar.text,
    traceView: () => traces.state,
    onDidRevealStep: traces.onDidRevealStep,
  };
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}
