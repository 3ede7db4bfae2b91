/** The command palette commands and the internal commands that lenses and quick fixes invoke. */
import * as fs from 'fs';
import * as vscode from 'vscode';
import { KERNEL_TARGETS, type DriverVerdict, type Finding, type KernelTarget } from '../core/types';
import { findRule } from '../rules/index';
import { COPY_SUGGESTION, SHOW_DOCUMENTATION, SHOW_FINDING_TRACE } from './code-actions';
import { SHOW_DRIVER_TRACE } from './code-lens';
import type { GitDocuments } from './git-documents';
import { formatPatchArgs, repositoryRoot, runGit, stagedDiffArgs, validateRange } from './git';
import { guardCommand, type Log } from './log';
import { resultSummary } from './presentation';
import type { DocumentReview, ReviewController } from './review-controller';
import type { TraceView } from './trace-view';

export const ANALYZE_PATCH = 'iommu-review.analyzePatch';
export const SELECT_TARGET = 'iommu-review.selectTarget';
export const SHOW_LOG = 'iommu-review.showLog';
export const CANCEL_REVIEWS = 'iommu-review.cancelReviews';
/** Internal: what is running (tests use it for a command round-trip while a large review runs). */
export const STATUS = 'iommu-review.status';

/** What "Analyze Patch" returns (for tests and other extensions). */
export interface AnalyzeSummary {
  uri: string;
  summary: string;
  findings: number;
  problems: number;
}

/** Files that are not text are reviewed as bytes (the core reports them) instead of being opened in an editor. */
const BINARY_PROBE_BYTES = 8192;

export function registerCommands(context: vscode.ExtensionContext, controller: ReviewController, traces: TraceView, gitDocuments: GitDocuments, log: Log): void {
  const register = (id: string, what: string, fn: (...args: never[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, guardCommand(log, what, fn as (...args: unknown[]) => unknown)));

  register(ANALYZE_PATCH, 'Analyze Patch', (arg?: unknown) => analyzePatch(controller, gitDocuments, log, arg));
  register(SHOW_FINDING_TRACE, 'Show Simulation Trace', (finding?: Finding, target?: string) => showTrace(controller, traces, finding, target));
  register(SHOW_DRIVER_TRACE, 'Show Driver Trace', (verdict?: DriverVerdict, target?: string, uri?: string) => {
    if (!verdict) return undefined;
    const review = uri ? controller.reviewOf(vscode.Uri.parse(uri)) : undefined;
    return traces.showDriver(verdict, target ?? controller.settingsFor().target, review ? controller.locator(review) : undefined);
  });
  register(SELECT_TARGET, 'Select Kernel Target', (target?: string) => selectTarget(controller, target));
  register(SHOW_DOCUMENTATION, 'Show Rule Documentation', (code?: string, url?: string) => showDocumentation(context, code, url));
  register(COPY_SUGGESTION, 'Copy Suggested Fix', async (text?: string) => {
    if (!text) return;
    await vscode.env.clipboard.writeText(text);
    void vscode.window.showInformationMessage('iommu-review: the suggested line is on the clipboard; add it to the hunk.');
  });
  register(SHOW_LOG, 'Show Log', () => log.show());
  register(CANCEL_REVIEWS, 'Cancel Reviews', () => {
    const stopped = controller.cancelAll();
    if (stopped) log.info(`cancelled ${stopped} review(s)`);
    return stopped;
  });
  register(STATUS, 'Status', () => ({ running: controller.runningCount, largeRunning: controller.largeRunningCount }));
}

function summarize(review: DocumentReview | undefined, uri: vscode.Uri): AnalyzeSummary | undefined {
  if (!review) return undefined;
  return { uri: uri.toString(), summary: resultSummary(review.result), findings: review.result.findings.length, problems: review.result.problems.length };
}

/** Arguments for keybindings and scripts: `{ "staged": true }` or `{ "range": "v6.8..HEAD" }`. */
interface GitRequest {
  staged?: boolean;
  range?: string;
}

async function analyzePatch(controller: ReviewController, gitDocuments: GitDocuments, log: Log, arg: unknown): Promise<AnalyzeSummary | undefined> {
  if (arg instanceof vscode.Uri) return finish(await analyzeUri(controller, arg), arg);
  if (arg && typeof arg === 'object') {
    const request = arg as GitRequest;
    if (request.staged || typeof request.range === 'string') {
      const outcome = await fromGit(controller, gitDocuments, log, request.staged ? 'staged' : 'range', request.range);
      return outcome ? finish(outcome.review, outcome.uri) : undefined;
    }
  }
  const editor = vscode.window.activeTextEditor;
  if (editor && controller.isReviewable(editor.document)) return finish(await controller.reviewDocument(editor.document), editor.document.uri);

  type Choice = vscode.QuickPickItem & { run: () => Promise<{ review?: DocumentReview; uri: vscode.Uri } | undefined> };
  const choices: Choice[] = [{ label: '$(file) Pick a patch, mbox or C file…', run: () => pickFile(controller) }];
  if (vscode.workspace.isTrusted) {
    // Running git reads the repository's configuration: offered in trusted workspaces only.
    choices.push(
      { label: '$(git-commit) Staged changes', description: 'git diff --cached', run: () => fromGit(controller, gitDocuments, log, 'staged') },
      { label: '$(git-compare) Commit range…', description: 'git format-patch --stdout <range>', run: () => fromGit(controller, gitDocuments, log, 'range') },
    );
  }
  const choice = await vscode.window.showQuickPick(choices, { title: 'IOMMU: Analyze Patch', placeHolder: 'What should be reviewed?' });
  const outcome = await choice?.run();
  return outcome ? finish(outcome.review, outcome.uri) : undefined;

  function finish(review: DocumentReview | undefined, uri: vscode.Uri): AnalyzeSummary | undefined {
    const summary = summarize(review, uri);
    if (summary) showResult(summary, uri, log);
    return summary;
  }
}

/**
 * The result of an explicit "Analyze Patch", said where people look: with findings the Problems panel comes up and
 * a notification names the count (with "Show Problems"); a clean review says so in a notification.
 */
function showResult(summary: AnalyzeSummary, uri: vscode.Uri, log: Log): void {
  const name = uri.path.split('/').pop() ?? uri.toString();
  const text = `IOMMU review of ${name}: ${summary.summary}`;
  log.info(`analyze patch: ${text}`);
  lastResultMessage = text;
  if (summary.findings + summary.problems > 0) {
    void vscode.commands.executeCommand('workbench.actions.view.problems', { preserveFocus: true });
    void vscode.window.showInformationMessage(text, 'Show Problems').then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.actions.view.problems');
    });
  } else {
    void vscode.window.showInformationMessage(`${text}.`);
  }
}

/** The last result message shown (tests compare it with the notification in the workbench). */
export let lastResultMessage: string | undefined;

async function analyzeUri(controller: ReviewController, uri: vscode.Uri): Promise<DocumentReview | undefined> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open && controller.isReviewable(open)) return controller.reviewDocument(open);
  if (!(await looksBinary(uri))) {
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: true });
    if (controller.isReviewable(doc)) return controller.reviewDocument(doc);
  }
  return controller.reviewFile(uri);
}

/** A NUL in the first bytes: do not open it as text (the core explains why it cannot be reviewed). */
async function looksBinary(uri: vscode.Uri): Promise<boolean> {
  if (uri.scheme === 'file') {
    const handle = await fs.promises.open(uri.fsPath, 'r');
    try {
      const probe = Buffer.alloc(BINARY_PROBE_BYTES);
      const { bytesRead } = await handle.read(probe, 0, BINARY_PROBE_BYTES, 0);
      return probe.subarray(0, bytesRead).includes(0);
    } finally {
      await handle.close();
    }
  }
  return (await vscode.workspace.fs.readFile(uri)).subarray(0, BINARY_PROBE_BYTES).includes(0);
}

async function pickFile(controller: ReviewController) {
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel: 'Review',
    filters: { 'Patches and C sources': ['patch', 'diff', 'mbox', 'mbx', 'eml', 'c', 'h'], 'All files': ['*'] },
  });
  if (!picked?.[0]) return undefined;
  return { uri: picked[0], review: await analyzeUri(controller, picked[0]) };
}

async function fromGit(controller: ReviewController, gitDocuments: GitDocuments, log: Log, what: 'staged' | 'range', givenRange?: string) {
  if (!vscode.workspace.isTrusted) throw new Error('reviewing git changes needs a trusted workspace (git reads the repository configuration)');
  const folder = vscode.window.activeTextEditor ? vscode.workspace.getWorkspaceFolder(vscode.window.activeTextEditor.document.uri) : undefined;
  const dir = (folder ?? vscode.workspace.workspaceFolders?.[0])?.uri.fsPath;
  const root = dir ? await repositoryRoot(dir) : undefined;
  if (!root) {
    void vscode.window.showWarningMessage('iommu-review: no git repository in this workspace.');
    return undefined;
  }
  let text: string;
  let name = 'staged-changes.diff'; // the extension picks the language: .diff → diff, .patch → patch-mail
  if (what === 'staged') {
    text = await runGit(root, stagedDiffArgs());
    if (!text.trim()) {
      void vscode.window.showInformationMessage('iommu-review: nothing is staged.');
      return undefined;
    }
  } else {
    const input =
      givenRange ??
      (await vscode.window.showInputBox({
        title: 'IOMMU: Analyze commit range',
        prompt: 'Revision range for git format-patch',
        placeHolder: 'HEAD~3..HEAD',
        validateInput: (v) => (validateRange(v) ? undefined : 'A revision range such as v6.8..HEAD (no spaces, not starting with "-")'),
      }));
    const range = input && validateRange(input);
    if (!range) {
      if (givenRange !== undefined) throw new Error(`"${givenRange}" is not a revision range`);
      return undefined;
    }
    text = await runGit(root, formatPatchArgs(range));
    name = `${range}.patch`;
    if (!text.trim()) {
      void vscode.window.showInformationMessage(`iommu-review: ${range} has no commits.`);
      return undefined;
    }
  }
  log.info(`reviewing ${what === 'staged' ? 'staged changes' : 'a commit range'} of ${root}`);
  const doc = await gitDocuments.open(name, text);
  await vscode.window.showTextDocument(doc, { preview: false });
  return { uri: doc.uri, review: await controller.reviewDocument(doc) };
}

async function showTrace(controller: ReviewController, traces: TraceView, finding: Finding | undefined, target: string | undefined) {
  const editor = vscode.window.activeTextEditor;
  if (finding && typeof finding === 'object' && Array.isArray(finding.trace)) {
    // The review the finding came from gives the step locations their document.
    const owner = controller.allReviews().find((r) => r.result.findings.includes(finding)) ?? (editor ? controller.reviewOf(editor.document.uri) : undefined);
    return traces.showFinding(finding, target ?? controller.settingsFor().target, owner ? controller.locator(owner) : undefined);
  }
  const review = editor && (await controller.whenReviewed(editor.document.uri));
  const withTrace = review?.entries.filter((e) => e.finding.trace.length) ?? [];
  if (!editor || !review || !withTrace.length) {
    void vscode.window.showInformationMessage('iommu-review: no finding with a simulated trace in the active editor.');
    return undefined;
  }
  const atCursor = withTrace.find((e) => e.diagnostic.range.contains(editor.selection.active));
  const entry =
    atCursor ??
    (withTrace.length === 1
      ? withTrace[0]
      : (
          await vscode.window.showQuickPick(
            withTrace.map((e) => ({ label: `${e.finding.code} ${e.finding.rule}`, description: `line ${e.finding.location.line}`, detail: e.finding.message, entry: e })),
            { title: 'IOMMU: Show Simulation Trace', matchOnDetail: true },
          )
        )?.entry);
  return entry ? traces.showFinding(entry.finding, review.target, controller.locator(review)) : undefined;
}

/** The target picker's rows: the current target first and marked, then the others in their order. */
export function targetPickItems(current: KernelTarget): (vscode.QuickPickItem & { target: KernelTarget })[] {
  const describe = (t: KernelTarget) => (t.startsWith('series-') ? 'API of that posting of the ownership series' : 'released kernel');
  const rows = KERNEL_TARGETS.map((t) => ({
    target: t,
    label: t === current ? `$(check) ${t}` : `$(blank) ${t}`,
    description: t === current ? `current target · ${describe(t)}` : describe(t),
  }));
  return [...rows.filter((r) => r.target === current), ...rows.filter((r) => r.target !== current)];
}

async function selectTarget(controller: ReviewController, requested: string | undefined): Promise<KernelTarget | undefined> {
  let target = KERNEL_TARGETS.find((t) => t === requested);
  if (!target) {
    const current = controller.settingsFor(vscode.window.activeTextEditor?.document.uri).target;
    const picked = await vscode.window.showQuickPick(targetPickItems(current), { title: 'IOMMU: Select Kernel Target', placeHolder: `Reviewing against ${current}` });
    target = picked?.target;
  }
  if (!target) return undefined;
  const scope = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration('iommu-review').update('target', target, scope);
  return target;
}

/** The rule's page shipped with the extension (works offline), else its URL. */
async function showDocumentation(context: vscode.ExtensionContext, code: string | undefined, url: string | undefined): Promise<vscode.Uri | undefined> {
  const rule = code ? findRule(code) : undefined;
  if (rule) {
    const file = context.asAbsolutePath(`docs/rules/${rule.meta.name}.md`);
    if (fs.existsSync(file)) {
      const uri = vscode.Uri.file(file);
      await vscode.commands.executeCommand('markdown.showPreview', uri);
      return uri;
    }
  }
  const target = url ?? rule?.meta.docsUrl;
  // Only a real address leaves the editor (rule pages ship with the extension; there is no web copy).
  if (!target || !/^https?:/.test(target)) {
    void vscode.window.showInformationMessage(`iommu-review: no documentation page for ${code ?? 'this rule'} in this installation.`);
    return undefined;
  }
  const uri = vscode.Uri.parse(target);
  await vscode.env.openExternal(uri);
  return uri;
}
