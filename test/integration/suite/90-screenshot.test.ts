/**
 * With SCREENSHOT=<file> the runner takes a picture of the workbench for the README: this suite lays out an
 * editor with a diagnostic and a code lens, opens the Problems panel, asks for the picture and waits for the file.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { extensionApi, hasCode, openInEditor, waitForDiagnostics, workspaceUri } from './helpers';

function waitForFile(file: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const dir = path.dirname(file);
    fs.mkdirSync(dir, { recursive: true });
    const watcher = fs.watch(dir, () => {
      if (fs.existsSync(file)) finish();
    });
    const timer = setTimeout(() => {
      watcher.close();
      reject(new Error(`no screenshot at ${file}`));
    }, timeoutMs);
    function finish() {
      clearTimeout(timer);
      watcher.close();
      resolve();
    }
    if (fs.existsSync(file)) finish();
  });
}

suite('screenshot', function () {
  const target = process.env.SCREENSHOT;
  if (!target) return;

  test('workbench with a diagnostic and a code lens', async () => {
    await extensionApi();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('notifications.clearAll'); // e.g. the refused git ranges of the git suite
    // Files the other suites made: the picture shows the fixture workspace as a user would have it.
    for (const made of ['c/acme_quickfix.c', 'c/acme_typing.c', 'c/acme_on_save.c', 'attachments', 'staged', '.git', '.vscode']) {
      await vscode.workspace.fs.delete(workspaceUri(made), { recursive: true, useTrash: false }).then(undefined, () => undefined);
    }
    const editor = await openInEditor('c/acme_vfio_main.c');
    const ds = await waitForDiagnostics(editor.document.uri, hasCode('OWN001'), 'OWN001 for the screenshot');
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri, 10);
    assert.ok(lenses.length > 0);
    const top = Math.max(0, ds[0].range.start.line - 8);
    editor.revealRange(new vscode.Range(top, 0, top, 0), vscode.TextEditorRevealType.AtTop);
    editor.selection = new vscode.Selection(ds[0].range.start, ds[0].range.start);
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
    const file = path.resolve(__dirname, '../../../..', target);
    if (fs.existsSync(file)) fs.unlinkSync(file);
    console.log('SCREENSHOT-READY');
    await waitForFile(file, 30000);
  });
});
