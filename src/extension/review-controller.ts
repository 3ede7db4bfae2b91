/**
 * Decides when documents are reviewed, runs the reviews through the AnalysisEngine, keeps the latest result per
 * document and publishes diagnostics. Every review of a document cancels the one before it.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { AnalysisResult, Finding } from '../core/types';
import { AnalysisEngine, Cancellation, isDiskInput, LARGE_INPUT_CHARS, type EngineInput } from './analysis-engine';
import { findingToDiagnostic, lineSourceOf, lineSourceOfText, problemToDiagnostic, type LineSource } from './diagnostics';
import { GIT_SCHEME } from './git-documents';
import { repositoryRoot } from './git';
import { inputPathFor, looksLikeKernelTree, makeTreeReader, resolveInsideTree } from './kernel-tree';
import { describeError, type Log } from './log';
import { resultSummary } from './presentation';
import { reviewKind } from './reviewable';
import { parseSettings, type AnalyzeTrigger, type ReviewSettings } from './settings';

const CHANGE_DEBOUNCE_MS = 300;
/** Files, unsaved buffers and git output; not other extensions' virtual documents (git's HEAD views, our traces). */
const REVIEWED_SCHEMES = new Set(['file', 'untitled', 'vscode-remote', GIT_SCHEME]);

/** What a review produced for one document, kept for lenses, quick fixes and the trace view. */
export interface DocumentReview {
  uri: vscode.Uri;
  inputPath: string;
  treeRoot?: string;
  target: ReviewSettings['target'];
  result: AnalysisResult;
  entries: { diagnostic: vscode.Diagnostic; finding: Finding }[];
}

interface Run {
  cancellation: Cancellation;
  timer?: ReturnType<typeof setTimeout>;
  done: Promise<void>;
  large: boolean;
}

export class ReviewController implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('iommu-review');
  private readonly reviews = new Map<string, DocumentReview>();
  private readonly runs = new Map<string, Run>();
  private readonly reviewedEmitter = new vscode.EventEmitter<DocumentReview>();
  /** Fired after each completed review (lenses refresh, the status bar updates, tests wait on it). */
  readonly onDidReview = this.reviewedEmitter.event;
  private readonly runningEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeRunning = this.runningEmitter.event;
  private failureShown = false;
  private warnedTreePath: string | undefined;

  constructor(private readonly engine: AnalysisEngine, private readonly log: Log) {}

  settingsFor(uri?: vscode.Uri): ReviewSettings {
    const config = vscode.workspace.getConfiguration('iommu-review', uri);
    return parseSettings((key) => config.get(key));
  }

  get runningCount(): number {
    return this.runs.size;
  }

  get largeRunningCount(): number {
    return [...this.runs.values()].filter((r) => r.large).length;
  }

  /** Every review held now (to find the one a finding came from). */
  allReviews(): DocumentReview[] {
    return [...this.reviews.values()];
  }

  reviewOf(uri: vscode.Uri): DocumentReview | undefined {
    return this.reviews.get(uri.toString());
  }

  isReviewable(doc: vscode.TextDocument): boolean {
    return REVIEWED_SCHEMES.has(doc.uri.scheme) && reviewKind(doc.languageId, doc.fileName) !== undefined;
  }

  /** Schedules a review if the trigger is enabled for the document; change events are debounced. */
  schedule(doc: vscode.TextDocument, trigger: AnalyzeTrigger): void {
    if (!this.isReviewable(doc)) return;
    if (!this.settingsFor(doc.uri).analyzeOn.has(trigger)) return;
    void this.start(doc.uri, () => this.documentInput(doc), trigger === 'change' ? CHANGE_DEBOUNCE_MS : 0);
  }

  /** Reviews a document now (commands). */
  reviewDocument(doc: vscode.TextDocument): Promise<DocumentReview | undefined> {
    return this.start(doc.uri, () => this.documentInput(doc), 0);
  }

  /**
   * Reviews a file that is not (or cannot be) open as a text document: a file from the picker, a binary file.
   * A large local file is read by the worker; its diagnostics keep the analysis' columns (no text to clamp to).
   */
  async reviewFile(uri: vscode.Uri): Promise<DocumentReview | undefined> {
    const large = uri.scheme === 'file' && fs.statSync(uri.fsPath).size > LARGE_INPUT_CHARS;
    const bytes = large ? undefined : await vscode.workspace.fs.readFile(uri);
    return this.start(uri, () => {
      const settings = this.settingsFor(uri);
      const treeRoot = this.treeRootFor(uri, settings);
      const path = this.inputPathOf(uri, treeRoot);
      const input: EngineInput = bytes ? { path, content: bytes } : { path, file: uri.fsPath };
      return { settings, treeRoot, input, lines: () => (bytes ? lineSourceOfText(Buffer.from(bytes).toString('latin1')) : UNKNOWN_LINES) };
    }, 0);
  }

  /** Waits for the pending review of a document (if any) and returns the latest result. */
  async whenReviewed(uri: vscode.Uri): Promise<DocumentReview | undefined> {
    const key = uri.toString();
    for (let run = this.runs.get(key); run; run = this.runs.get(key)) await run.done;
    return this.reviews.get(key);
  }

  /** After a settings change: every open reviewable document again, now. */
  reviewAllOpen(): void {
    for (const doc of vscode.workspace.textDocuments) if (this.isReviewable(doc)) void this.start(doc.uri, () => this.documentInput(doc), 0);
  }

  /** Stops every pending and running review (a worker is terminated); returns how many were stopped. */
  cancelAll(): number {
    const runs = [...this.runs.values()];
    for (const run of runs) run.cancellation.cancel();
    return runs.length;
  }

  forget(uri: vscode.Uri): void {
    const key = uri.toString();
    this.runs.get(key)?.cancellation.cancel();
    this.reviews.delete(key);
    this.collection.delete(uri);
  }

  private documentInput(doc: vscode.TextDocument) {
    const settings = this.settingsFor(doc.uri);
    const treeRoot = this.treeRootFor(doc.uri, settings);
    const path = this.inputPathOf(doc.uri, treeRoot);
    // A large saved file is read by the worker from disk: its text never crosses the extension host's main loop.
    const onDisk = doc.uri.scheme === 'file' && !doc.isDirty && fileSize(doc.uri.fsPath) > LARGE_INPUT_CHARS;
    const input: EngineInput = onDisk ? { path, file: doc.uri.fsPath } : { path, content: doc.getText() };
    return { settings, treeRoot, input, lines: () => lineSourceOf(doc) };
  }

  /** The tree for full-file context: iommu-review.treePath, else the workspace folder when it is a kernel tree. */
  treeRootFor(uri: vscode.Uri, settings: ReviewSettings): string | undefined {
    const folder = vscode.workspace.getWorkspaceFolder(uri) ?? vscode.workspace.workspaceFolders?.[0];
    if (settings.treePath) {
      const base = folder?.uri.fsPath ?? process.cwd();
      const root = path.resolve(base, settings.treePath);
      if (looksLikeKernelTree(root)) return root;
      if (this.warnedTreePath === root) return undefined; // once per value, not on every keystroke
      this.warnedTreePath = root;
      this.log.warn(`iommu-review.treePath "${settings.treePath}" is not a kernel tree (no drivers/ and include/linux/): reviewing without full context`);
      return undefined;
    }
    if (folder && folder.uri.scheme === 'file' && looksLikeKernelTree(folder.uri.fsPath)) return folder.uri.fsPath;
    return undefined;
  }

  private readonly repositories = new Map<string, Promise<string | undefined>>();

  /**
   * The workspace's git repository, whose blobs are a patch's pre-images (the `index` line's ids), as the CLI uses
   * the working directory's. Trusted workspaces only: git runs (read-only cat-file, no hooks) only there.
   */
  private repositoryOf(uri: vscode.Uri): Promise<string | undefined> {
    if (!vscode.workspace.isTrusted) return Promise.resolve(undefined);
    const folder = vscode.workspace.getWorkspaceFolder(uri) ?? vscode.workspace.workspaceFolders?.[0];
    if (!folder || folder.uri.scheme !== 'file') return Promise.resolve(undefined);
    const dir = folder.uri.fsPath;
    let found = this.repositories.get(dir);
    if (!found) {
      found = repositoryRoot(dir);
      this.repositories.set(dir, found);
    }
    return found;
  }

  private inputPathOf(uri: vscode.Uri, treeRoot: string | undefined): string {
    if (uri.scheme !== 'file') return uri.path.split('/').pop() || 'untitled.patch';
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    const fallback = folder ? path.relative(folder.uri.fsPath, uri.fsPath).split(path.sep).join('/') : uri.fsPath;
    return inputPathFor(uri.fsPath, treeRoot, fallback);
  }

  /** Where a path named in a finding or trace step is: the reviewed document, or a file of the tree. */
  /** Maps a location of the analysis (input path or tree path, 1-based line) to a place in the editor. */
  locator(review: { uri: vscode.Uri; inputPath: string; treeRoot?: string }) {
    return (p: string, line: number): vscode.Location => {
      let uri = review.uri;
      if (p !== review.inputPath && review.treeRoot) {
        const file = resolveInsideTree(review.treeRoot, p);
        if (file) uri = vscode.Uri.file(file);
      }
      const l = Math.max(0, line - 1);
      return new vscode.Location(uri, new vscode.Range(l, 0, l, 0));
    };
  }

  private start(
    uri: vscode.Uri,
    prepare: () => { settings: ReviewSettings; treeRoot?: string; input: EngineInput; lines: () => LineSource },
    delayMs: number,
  ): Promise<DocumentReview | undefined> {
    const key = uri.toString();
    this.runs.get(key)?.cancellation.cancel();
    const cancellation = new Cancellation();
    let finish!: () => void;
    const run: Run = { cancellation, done: new Promise<void>((r) => (finish = r)), large: false };
    this.runs.set(key, run);
    this.runningEmitter.fire();
    const cleanup = () => {
      if (this.runs.get(key) === run) {
        this.runs.delete(key);
        this.runningEmitter.fire();
      }
      finish();
    };
    return new Promise<DocumentReview | undefined>((resolve) => {
      let started = false;
      cancellation.onCancel(() => {
        if (started) return; // a running review ends through the engine (worker terminated) or finishes and is discarded
        if (run.timer) clearTimeout(run.timer);
        resolve(undefined);
        cleanup();
      });
      const go = async () => {
        if (cancellation.isCancelled) return;
        started = true;
        try {
          const job = prepare();
          const input = job.input;
          run.large = isDiskInput(input) || (typeof input.content === 'string' ? input.content.length : input.content.byteLength) > LARGE_INPUT_CHARS;
          const startedAt = Date.now();
          const readFile = job.treeRoot ? makeTreeReader(job.treeRoot, openDocumentText) : undefined;
          const repoRoot = await this.repositoryOf(uri);
          if (cancellation.isCancelled) return resolve(undefined);
          const result = await this.engine.run(
            { inputs: [job.input], options: { target: job.settings.target, rules: job.settings.rules, includeTraces: true }, treeRoot: job.treeRoot, readFile, repoRoot },
            cancellation,
          );
          if (!result || cancellation.isCancelled) return resolve(undefined);
          const review = this.publish(uri, job.input.path, job.treeRoot, job.settings, result, job.lines());
          this.log.info(`${job.input.path}: ${resultSummary(result)} (${Date.now() - startedAt} ms, target ${job.settings.target}${job.treeRoot ? ', full tree context' : ''}${run.large ? ', worker' : ''})`);
          resolve(review);
        } catch (err) {
          this.reportFailure(uri, err);
          resolve(undefined);
        } finally {
          cleanup();
        }
      };
      if (delayMs > 0) run.timer = setTimeout(() => void go(), delayMs);
      else void go();
    });
  }

  private publish(uri: vscode.Uri, inputPath: string, treeRoot: string | undefined, settings: ReviewSettings, result: AnalysisResult, lines: LineSource): DocumentReview {
    const base = { uri, inputPath, treeRoot };
    const locate = this.locator(base);
    const entries = result.findings.map((finding) => ({ finding, diagnostic: findingToDiagnostic(finding, lines, locate) }));
    const problems = result.problems.map((p) => problemToDiagnostic(p, lines));
    for (const p of result.problems) this.log.warn(`${p.path}${p.line ? `:${p.line}` : ''}: ${p.kind === 'skipped' ? 'not reviewed' : 'could not review'}: ${p.message}`);
    this.collection.set(uri, [...entries.map((e) => e.diagnostic), ...problems]);
    const review: DocumentReview = { ...base, target: settings.target, result, entries };
    this.reviews.set(uri.toString(), review);
    this.reviewedEmitter.fire(review);
    return review;
  }

  private reportFailure(uri: vscode.Uri, err: unknown): void {
    this.log.error(`review of ${uri.fsPath || uri.toString()} failed`, err);
    if (!this.failureShown) {
      this.failureShown = true; // once per session: a broken analyzer must not flood the user
      void vscode.window.showErrorMessage(`iommu-review could not review ${path.basename(uri.path)}: ${describeError(err)}. See "IOMMU: Show Log".`);
    }
  }

  dispose(): void {
    for (const run of this.runs.values()) run.cancellation.cancel();
    this.runs.clear();
    this.collection.dispose();
    this.reviewedEmitter.dispose();
    this.runningEmitter.dispose();
  }
}

/** Lines of a file that is not open: ranges keep the analysis' columns. */
const UNKNOWN_LINES: LineSource = { lineCount: Number.MAX_SAFE_INTEGER, lineText: () => ' '.repeat(4096) };

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** Unsaved editor text wins over the file on disk when the analysis reads tree files. */
function openDocumentText(absolutePath: string): string | undefined {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === absolutePath);
  return doc?.isDirty ? doc.getText() : undefined;
}
