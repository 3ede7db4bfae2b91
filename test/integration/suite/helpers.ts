/** Shared helpers of the in-VS-Code suite: waits on VS Code events (with a failure deadline), never on sleeps. */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { IommuReviewApi } from '../../../src/extension/main';

export const EXTENSION_ID = 'iommu-review.iommu-review';

export async function extensionApi(): Promise<IommuReviewApi> {
  const ext = vscode.extensions.getExtension<IommuReviewApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is installed in the development host`);
  return ext.activate();
}

export function workspaceUri(relative: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the fixture workspace is open');
  return vscode.Uri.joinPath(folder.uri, relative);
}

export async function openInEditor(relative: string | vscode.Uri): Promise<vscode.TextEditor> {
  const uri = typeof relative === 'string' ? workspaceUri(relative) : relative;
  const doc = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(doc, { preview: false });
}

export function ours(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'iommu-review');
}

export function codeOf(d: vscode.Diagnostic): string {
  return typeof d.code === 'object' ? String(d.code.value) : String(d.code);
}

function describe(ds: readonly vscode.Diagnostic[]): string {
  return JSON.stringify(ds.map((d) => [codeOf(d), d.range.start.line + 1, d.message.slice(0, 60)]));
}

/**
 * Resolves when the extension's diagnostics for `uri` satisfy `predicate` (checked now and on every
 * onDidChangeDiagnostics for the URI); rejects after `timeoutMs` with what it saw.
 */
export function waitForDiagnostics(uri: vscode.Uri, predicate: (ds: vscode.Diagnostic[]) => boolean, what: string, timeoutMs = 45000): Promise<vscode.Diagnostic[]> {
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === uri.toString())) check();
    });
    const done = () => {
      sub.dispose();
      if (timer) clearTimeout(timer);
    };
    function check(): boolean {
      const ds = ours(uri);
      if (!predicate(ds)) return false;
      done();
      resolve(ds);
      return true;
    }
    if (check()) return;
    timer = setTimeout(() => {
      done();
      reject(new Error(`timed out waiting for ${what}; diagnostics now: ${describe(ours(uri))}`));
    }, timeoutMs);
  });
}

export const hasCode = (code: string) => (ds: vscode.Diagnostic[]) => ds.some((d) => codeOf(d) === code);
export const lacksCode = (code: string) => (ds: vscode.Diagnostic[]) => !ds.some((d) => codeOf(d) === code);

/** Resolves on the next configuration change touching `section` after `update` resolves the write. */
export async function setSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('iommu-review').update(key, value, vscode.ConfigurationTarget.Global);
}

/** The runner's answer to a UI-ACTION request. */
export interface UiAnswer {
  ok: boolean;
  error?: string;
  texts?: string[];
  skipped?: boolean;
}

let uiRequests = 0;

/**
 * Asks the runner (test/integration/run.js, which drives the page) to click, read the workbench DOM or take a
 * screenshot; resolves with its answer, read from a file it writes (watched, not polled).
 */
export function uiAction(request: { action: 'click' | 'text' | 'screenshot'; selector?: string; name?: string; waitFor?: string }, timeoutMs = 40000): Promise<UiAnswer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-review-ui-'));
  const out = path.join(dir, `answer-${++uiRequests}.json`);
  return new Promise((resolve, reject) => {
    const watcher = fs.watch(dir, () => {
      if (fs.existsSync(out)) finish();
    });
    const timer = setTimeout(() => {
      watcher.close();
      reject(new Error(`the runner did not answer ${JSON.stringify(request)}`));
    }, timeoutMs);
    function finish() {
      clearTimeout(timer);
      watcher.close();
      const answer = JSON.parse(fs.readFileSync(out, 'utf8')) as UiAnswer;
      fs.rmSync(dir, { recursive: true, force: true });
      resolve(answer);
    }
    console.log(`UI-ACTION: ${JSON.stringify({ ...request, out })}`);
  });
}

/** Resolves with the next value of `event` that satisfies `predicate`; rejects after `timeoutMs`. */
export function nextEvent<T>(event: vscode.Event<T>, predicate: (value: T) => boolean, what: string, timeoutMs = 30000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    const sub = event((value) => {
      if (!predicate(value)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(value);
    });
  });
}
