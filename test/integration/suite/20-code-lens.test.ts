import * as assert from 'assert';
import * as vscode from 'vscode';
import { extensionApi, openInEditor, uiAction } from './helpers';

async function lensTitles(uri: vscode.Uri): Promise<{ line: number; title: string; lens: vscode.CodeLens }[]> {
  // The second argument asks VS Code to resolve the lenses (titles are filled in resolveCodeLens).
  const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100);
  return lenses.filter((l) => l.command?.command?.startsWith('iommu-review.')).map((l) => ({ line: l.range.start.line, title: l.command!.title, lens: l }));
}

suite('code lens', () => {
  suiteSetup(async () => {
    await extensionApi();
  });

  test('a DMA-API driver struct says what happens at bind and at unbind, in words', async () => {
    const editor = await openInEditor('c/quiet_dma_driver.c');
    const lenses = await lensTitles(editor.document.uri);
    const structLine = editor.document.getText().split('\n').findIndex((l) => l.startsWith('static struct pci_driver quiet_pci_driver'));
    assert.deepStrictEqual(
      lenses.map((l) => [l.line, l.title]),
      [
        [structLine, 'bind: kernel DMA-API user (owner_cnt +1)'],
        [structLine, 'unbind: ✓ group as found'],
      ],
    );
  });

  test('a VFIO variant driver without the flag: the VFIO/iommufd claim is refused while bound; no injected errno is a verdict', async () => {
    const editor = await openInEditor('c/acme_vfio_main.c');
    const lenses = await lensTitles(editor.document.uri);
    const titles = lenses.map((l) => l.title);
    assert.strictEqual(lenses[0].line, 60);
    assert.deepStrictEqual(titles, ['bind: kernel DMA-API user (owner_cnt +1)', 'VFIO/iommufd claim: ✗ claim refused while bound', 'unbind: ✓ group as found']);
    for (const t of titles) {
      assert.doesNotMatch(t, /-E[A-Z]+/);
      assert.ok(t.length <= 60, t);
    }
    assert.match(String(lenses[1].lens.command?.tooltip), /Click for the step-by-step traces/);
    // What the editor shows above the struct (the rendered lens row), read from the workbench.
    editor.revealRange(new vscode.Range(55, 0, 70, 0), vscode.TextEditorRevealType.InCenter);
    const shown = await uiAction({ action: 'text', selector: '.contentWidgets .codelens-decoration' });
    assert.ok(shown.ok, shown.error);
    assert.ok(shown.texts?.some((t) => t.includes('VFIO/iommufd claim: ✗ claim refused while bound')), JSON.stringify(shown.texts));
  });

  test('lenses also sit on the struct lines of a patch', async () => {
    const editor = await openInEditor('patches/0001-vfio-pci-add-zeta-variant-driver.patch');
    const lenses = await lensTitles(editor.document.uri);
    assert.ok(lenses.length >= 2, JSON.stringify(lenses.map((l) => l.title)));
    assert.match(editor.document.lineAt(lenses[0].line).text, /^\+static struct pci_driver zeta_vfio_pci_driver/);
  });

  test('clicking a lens opens the scenario traces in the trace view', async () => {
    const api = await extensionApi();
    const editor = await openInEditor('c/quiet_dma_driver.c');
    const [mode] = await lensTitles(editor.document.uri);
    const cmd = mode.lens.command!;
    await vscode.commands.executeCommand(cmd.command, ...(cmd.arguments ?? []));
    const view = api.traceView();
    assert.ok(view, 'the trace view is open');
    assert.strictEqual(view.page.title, 'quiet_pci_driver (struct pci_driver)');
    assert.deepStrictEqual(view.page.sections.map((s) => s.heading.split(':')[0]), ['Alone in its group', 'Sharing the group with a DMA-API device', 'Binding into a group user space owns']);
  });

  test('iommu-review.codeLens.enabled = false removes them', async () => {
    const editor = await openInEditor('c/quiet_dma_driver.c');
    await vscode.workspace.getConfiguration('iommu-review').update('codeLens.enabled', false, vscode.ConfigurationTarget.Global);
    try {
      assert.deepStrictEqual(await lensTitles(editor.document.uri), []);
    } finally {
      await vscode.workspace.getConfiguration('iommu-review').update('codeLens.enabled', undefined, vscode.ConfigurationTarget.Global);
    }
    assert.ok((await lensTitles(editor.document.uri)).length > 0);
  });
});
