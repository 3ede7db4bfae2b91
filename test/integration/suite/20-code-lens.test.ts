import * as assert from 'assert';
import * as vscode from 'vscode';
import { extensionApi, openInEditor } from './helpers';

async function lensTitles(uri: vscode.Uri): Promise<{ line: number; title: string; lens: vscode.CodeLens }[]> {
  // The second argument asks VS Code to resolve the lenses (titles are filled in resolveCodeLens).
  const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100);
  return lenses.filter((l) => l.command?.command?.startsWith('iommu-review.')).map((l) => ({ line: l.range.start.line, title: l.command!.title, lens: l }));
}

suite('code lens', () => {
  suiteSetup(async () => {
    await extensionApi();
  });

  test('a DMA-API driver struct shows its mode and the verdict per topology', async () => {
    const editor = await openInEditor('c/quiet_dma_driver.c');
    const lenses = await lensTitles(editor.document.uri);
    const structLine = editor.document.getText().split('\n').findIndex((l) => l.startsWith('static struct pci_driver quiet_pci_driver'));
    assert.deepStrictEqual(
      lenses.map((l) => [l.line, l.title]),
      [
        [structLine, 'kernel DMA API — ownership taken at bind'],
        [structLine, lenses[1]?.title],
      ],
    );
    assert.match(lenses[1].title, /^singleton [✓✗].* · shared with DMA-API device [✓✗].* · user-owned group [✓✗]/);
  });

  test('a VFIO variant driver without the flag fails the user-owned verdict', async () => {
    const editor = await openInEditor('c/acme_vfio_main.c');
    const lenses = await lensTitles(editor.document.uri);
    const verdict = lenses.find((l) => l.title.startsWith('singleton'));
    assert.ok(verdict, JSON.stringify(lenses.map((l) => l.title)));
    assert.strictEqual(lenses[0].line, 60);
    assert.match(verdict.title, /user-owned group ✗/);
  });

  test('lenses also sit on the struct lines of a patch', async () => {
    const editor = await openInEditor('patches/0001-vfio-pci-add-zeta-variant-driver.patch');
    const lenses = await lensTitles(editor.document.uri);
    assert.ok(lenses.length >= 2, JSON.stringify(lenses.map((l) => l.title)));
    assert.match(editor.document.lineAt(lenses[0].line).text, /^\+static struct pci_driver zeta_vfio_pci_driver/);
  });

  test('clicking a lens opens the scenario traces as a read-only markdown document', async () => {
    const editor = await openInEditor('c/quiet_dma_driver.c');
    const [mode] = await lensTitles(editor.document.uri);
    const cmd = mode.lens.command!;
    const uri = await vscode.commands.executeCommand<vscode.Uri>(cmd.command, ...(cmd.arguments ?? []));
    assert.ok(uri, 'the command returns the trace document');
    assert.strictEqual(uri.scheme, 'iommu-review-trace');
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.strictEqual(doc.languageId, 'markdown');
    assert.match(doc.getText(), /^# quiet_pci_driver \(struct pci_driver\)/);
    assert.match(doc.getText(), /## singleton/);
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
