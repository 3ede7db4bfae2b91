import * as assert from 'assert';
import * as vscode from 'vscode';
import { codeOf, extensionApi, hasCode, lacksCode, openInEditor, waitForDiagnostics, workspaceUri } from './helpers';

suite('editing', () => {
  test('a burst of edits is debounced, and the last review sees the final text', async () => {
    const api = await extensionApi();
    const uri = workspaceUri('c/acme_typing.c');
    await vscode.workspace.fs.writeFile(uri, await vscode.workspace.fs.readFile(workspaceUri('c/acme_vfio_main.c')));
    const editor = await openInEditor(uri);
    await waitForDiagnostics(uri, hasCode('OWN001'), 'OWN001 after open');

    const reviewed: number[] = [];
    const sub = api.onDidReview((r) => {
      if (r.uri.toString() === uri.toString()) reviewed.push(r.result.findings.filter((f) => f.code === 'OWN001').length);
    });
    try {
      // Type the flag in five keystroke-sized edits; only the last state has the complete line.
      const closing = editor.document.getText().split('\n').findIndex((l, i, all) => l === '};' && all[i - 1]?.includes('err_handler'));
      let cursor = new vscode.Position(closing, 0);
      for (const piece of ['\t.driver', '_managed', '_dma', ' = true', ',\n']) {
        const at = cursor;
        assert.ok(await editor.edit((e) => e.insert(at, piece)));
        cursor = at.translate(0, piece.length);
      }
      assert.match(editor.document.lineAt(closing).text, /^\t\.driver_managed_dma = true,$/);
      const ds = await waitForDiagnostics(uri, lacksCode('OWN001'), 'OWN001 gone once the flag is typed');
      assert.ok(!ds.some((d) => codeOf(d) === 'OWN001'));
      assert.ok(reviewed.length >= 1 && reviewed.length < 5, `reviews during the burst: ${reviewed.length}`);
      assert.strictEqual(reviewed[reviewed.length - 1], 0, 'the last review saw the final text');
    } finally {
      sub.dispose();
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
  });
});
