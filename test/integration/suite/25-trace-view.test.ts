/** The trace view: a rendered page beside the editor; a click on a step puts the cursor on that step's line. */
import * as assert from 'assert';
import * as vscode from 'vscode';
import { extensionApi, hasCode, nextEvent, openInEditor, uiAction, waitForDiagnostics } from './helpers';

suite('trace view', () => {
  test('phase, step and state as columns, the lifecycle picture, and a click on a step moves the cursor', async () => {
    const api = await extensionApi();
    const editor = await openInEditor('c/acme_vfio_main.c');
    const ds = await waitForDiagnostics(editor.document.uri, hasCode('OWN001'), 'OWN001');
    editor.selection = new vscode.Selection(ds[0].range.start, ds[0].range.start);
    await vscode.commands.executeCommand('iommu-review.showTrace');
    const view = api.traceView();
    assert.ok(view);
    const rows = view.page.sections[0].rows;
    // Readable state columns: owner, owner_cnt, domain, PASIDs after each step (no raw grp0{...} strings).
    assert.ok(rows.every((r) => !/\{cnt=/.test(r.step)), JSON.stringify(rows.map((r) => r.step)));
    assert.deepStrictEqual([rows[0].phase, rows[0].owner, rows[0].ownerCnt, rows[0].domain], ['bind', 'none', '1', 'default']);
    assert.strictEqual(rows[0].change, 'owner_cnt 0 → 1');

    // The rendered page: the picture and the step table are there.
    const picture = await uiAction({ action: 'click', selector: 'table.strip th.band' });
    assert.ok(picture.ok, picture.error);

    // Click the probe step's link in the webview: the editor's cursor goes to that line.
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    const target = rows.find((r) => r.location && r.phase === 'probe');
    assert.ok(target?.location, JSON.stringify(rows));
    const moved = nextEvent(vscode.window.onDidChangeTextEditorSelection, (e) => e.textEditor.document.uri.toString() === editor.document.uri.toString() && e.selections[0].active.line === target.location!.line - 1, 'the cursor on the step line');
    const click = await uiAction({ action: 'click', selector: `a.goto[data-section="0"][data-step="${target.index}"]` });
    assert.ok(click.ok, click.error);
    await moved;
    assert.strictEqual(vscode.window.activeTextEditor?.document.uri.toString(), editor.document.uri.toString());
    assert.strictEqual(vscode.window.activeTextEditor?.selection.active.line, target.location.line - 1);
  });

  test('related information lists only steps with a place, in short text', async () => {
    const editor = await openInEditor('c/acme_vfio_main.c');
    const ds = await waitForDiagnostics(editor.document.uri, hasCode('OWN001'), 'OWN001');
    const related = ds[0].relatedInformation ?? [];
    assert.ok(related.length >= 1);
    for (const r of related) {
      assert.ok(r.message.length <= 90, r.message);
      assert.doesNotMatch(r.message, /grp0\{/);
    }
    // Each points at its own line, not at the finding's line.
    assert.ok(related.every((r) => r.location.range.start.line !== ds[0].range.start.line || /probe|remove/.test(r.message)));
  });
});
