import * as assert from 'assert';
import * as vscode from 'vscode';
import { codeOf, extensionApi, hasCode, lacksCode, openInEditor, waitForDiagnostics, workspaceUri } from './helpers';

suite('quick fixes', () => {
  suiteSetup(async () => {
    await extensionApi();
  });

  test('"Add .driver_managed_dma = true" fixes the struct and the diagnostic goes away', async () => {
    // Work on a copy so the other suites keep their fixture.
    // The initializer is aligned with tabs, as kernel code often is: the inserted line must follow it.
    const original = Buffer.from(await vscode.workspace.fs.readFile(workspaceUri('c/acme_vfio_main.c')))
      .toString('utf8')
      .replace('\t.name = ', '\t.name\t\t\t= ')
      .replace('\t.id_table = ', '\t.id_table\t\t= ')
      .replace('\t.probe = ', '\t.probe\t\t\t= ')
      .replace('\t.remove = ', '\t.remove\t\t\t= ')
      .replace('\t.err_handler = ', '\t.err_handler\t\t= ');
    const copy = workspaceUri('c/acme_quickfix.c');
    await vscode.workspace.fs.writeFile(copy, Buffer.from(original));
    const editor = await openInEditor(copy);
    const ds = await waitForDiagnostics(copy, hasCode('OWN001'), 'OWN001 before the fix');
    const diagnostic = ds.find((d) => codeOf(d) === 'OWN001')!;

    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', copy, diagnostic.range, vscode.CodeActionKind.QuickFix.value);
    const titles = actions.map((a) => a.title);
    assert.ok(titles.includes('Show documentation for OWN001'), JSON.stringify(titles));
    const fix = actions.find((a) => /driver_managed_dma = true/.test(a.title) && a.edit);
    assert.ok(fix?.edit, `a quick fix with an edit: ${JSON.stringify(titles)}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));

    assert.match(editor.document.getText(), /\.err_handler\t\t= &vfio_pci_core_err_handlers,\n\t\.driver_managed_dma\t= true,\n\};/);
    await waitForDiagnostics(copy, lacksCode('OWN001'), 'OWN001 gone after the fix');
    const lens = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', copy, 10)).map((l) => l.command?.title);
    assert.ok(lens.includes('bind: driver-managed DMA (no DMA-API count)'), JSON.stringify(lens));
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  test('"Show documentation" opens the rule page shipped with the extension', async () => {
    const uri = await vscode.commands.executeCommand<vscode.Uri>('iommu-review.showDocumentation', 'OWN001');
    assert.ok(uri, 'a page was opened');
    assert.match(uri.toString(), /docs\/rules\/missing-driver-managed-dma\.md$/);
  });

  test('in a patch, a fix without an edit of the patch offers the suggested line for the clipboard', async () => {
    const editor = await openInEditor('patches/0001-vfio-pci-add-zeta-variant-driver.patch');
    const ds = await waitForDiagnostics(editor.document.uri, hasCode('OWN001'), 'OWN001 in the patch');
    const d = ds.find((x) => codeOf(x) === 'OWN001')!;
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', editor.document.uri, d.range, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((a) => /driver_managed_dma/.test(a.title));
    assert.ok(fix, JSON.stringify(actions.map((a) => a.title)));
    if (fix.edit) {
      assert.ok(fix.edit.get(editor.document.uri).length > 0, 'an edit of the patch itself');
    } else {
      assert.strictEqual(fix.command?.command, 'iommu-review.copySuggestion');
      await vscode.commands.executeCommand(fix.command.command, ...(fix.command.arguments ?? []));
      assert.match(await vscode.env.clipboard.readText(), /driver_managed_dma = true/);
    }
  });
});
