import * as assert from 'assert';
import * as vscode from 'vscode';
import { codeOf, extensionApi, hasCode, openInEditor, waitForDiagnostics } from './helpers';

suite('diagnostics', () => {
  suiteSetup(async () => {
    await extensionApi();
  });

  test('a patch mail gets OWN001 on the driver struct line, with code link, range and trace', async () => {
    const editor = await openInEditor('patches/0001-vfio-pci-add-zeta-variant-driver.patch');
    const uri = editor.document.uri;
    assert.strictEqual(editor.document.languageId, 'patch-mail', 'the .patch file uses the extension grammar');
    const ds = await waitForDiagnostics(uri, hasCode('OWN001'), 'OWN001 in the patch');
    const d = ds.find((x) => codeOf(x) === 'OWN001')!;
    assert.strictEqual(d.source, 'iommu-review');
    assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Error);
    assert.ok(typeof d.code === 'object', 'code carries a link');
    assert.match((d.code as { target: vscode.Uri }).target.toString(), /docs\/rules\/missing-driver-managed-dma\.md$/);
    assert.strictEqual(editor.document.getText(d.range), 'zeta_vfio_pci_driver', 'the range is the struct name on its "+" line');
    assert.match(editor.document.lineAt(d.range.start.line).text, /^\+static struct pci_driver zeta_vfio_pci_driver = \{/);
    assert.match(d.message, /zeta_vfio_pci_driver/);

    const review = (await extensionApi()).reviewOf(uri);
    const finding = review?.result.findings.find((f) => f.code === 'OWN001');
    assert.ok(finding, 'the finding is kept for quick fixes and traces');
    assert.ok(finding.trace.length > 0, 'the finding has a simulated trace');
    // One related entry per step that has a place in the patch; steps outside the driver's code are in the trace view.
    const located = finding.trace.filter((t) => t.location).length;
    assert.ok(located > 0);
    assert.strictEqual(d.relatedInformation?.length, Math.min(located, 12), 'one related entry per located step');
    assert.match((d.code as { target: vscode.Uri }).target.scheme, /^(file|vscode-remote)$/, 'the bundled rule page');
    for (const info of d.relatedInformation ?? []) {
      assert.strictEqual(info.location.uri.toString(), uri.toString(), 'trace steps point into the patch');
      assert.ok(info.location.range.start.line < editor.document.lineCount);
    }
  });

  test('a C file gets OWN001 on the driver struct name', async () => {
    const editor = await openInEditor('c/acme_vfio_main.c');
    const ds = await waitForDiagnostics(editor.document.uri, hasCode('OWN001'), 'OWN001 in the C file');
    const d = ds.find((x) => codeOf(x) === 'OWN001')!;
    assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Error);
    assert.strictEqual(editor.document.getText(d.range), 'acme_vfio_pci_driver');
    assert.strictEqual(d.range.start.line, 60, 'line 61 of the file');
    assert.ok((d.relatedInformation?.length ?? 0) > 0, 'related information lists the trace');
    assert.match((d.code as { target: vscode.Uri }).target.toString(), /missing-driver-managed-dma/);
  });

  test('a driver that uses the DMA API correctly gets no diagnostic', async () => {
    const api = await extensionApi();
    const editor = await openInEditor('c/quiet_dma_driver.c');
    const review = await api.whenReviewed(editor.document.uri);
    assert.ok(review, 'the file was reviewed');
    assert.deepStrictEqual(review.result.findings.map((f) => f.code), []);
    assert.deepStrictEqual(vscode.languages.getDiagnostics(editor.document.uri).filter((d) => d.source === 'iommu-review'), []);
  });

  test('files outside the reviewed languages are left alone', async () => {
    const api = await extensionApi();
    const doc = await vscode.workspace.openTextDocument({ content: 'iommu_group_claim_dma_owner(group, NULL);\n', language: 'plaintext' });
    assert.strictEqual(await api.whenReviewed(doc.uri), undefined);
  });
});
