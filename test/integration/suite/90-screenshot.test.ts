/**
 * With SCREENSHOT=<folder> (docs/images) the runner takes the README's pictures of the workbench: this suite lays out
 * an editor with a diagnostic and the code lenses and the Problems panel, then the trace view, and asks for each.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import { extensionApi, hasCode, openInEditor, uiAction, waitForDiagnostics, workspaceUri } from './helpers';

suite('screenshot', function () {
  const target = process.env.SCREENSHOT;
  if (!target) return;

  test('workbench with a diagnostic and the code lenses; the trace view', async () => {
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
    const editorShot = await uiAction({ action: 'screenshot', name: 'screenshot.png', waitFor: '.contentWidgets .codelens-decoration >> text=bind:' });
    assert.ok(editorShot.ok, editorShot.error);

    editor.selection = new vscode.Selection(ds[0].range.start, ds[0].range.start);
    await vscode.commands.executeCommand('workbench.action.closePanel');
    await vscode.commands.executeCommand('workbench.action.closeSidebar'); // room for the trace view beside the code
    await vscode.commands.executeCommand('iommu-review.showTrace');
    const traceShot = await uiAction({ action: 'screenshot', name: 'trace-view.png', waitFor: 'table.strip' });
    assert.ok(traceShot.ok, traceShot.error);
  });
});
