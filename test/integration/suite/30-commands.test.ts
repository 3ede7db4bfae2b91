import * as assert from 'assert';
import * as vscode from 'vscode';
import { extensionApi, hasCode, openInEditor, waitForDiagnostics } from './helpers';

interface AnalyzeSummary {
  uri: string;
  summary: string;
  findings: number;
  problems: number;
}

suite('commands', () => {
  suiteSetup(async () => {
    await extensionApi();
  });

  test('the commands are contributed', async () => {
    const all = await vscode.commands.getCommands(true);
    for (const id of ['iommu-review.analyzePatch', 'iommu-review.showTrace', 'iommu-review.selectTarget']) assert.ok(all.includes(id), id);
  });

  test('IOMMU: Analyze Patch reviews the active editor and updates the status bar', async () => {
    const api = await extensionApi();
    const editor = await openInEditor('patches/0001-vfio-pci-add-zeta-variant-driver.patch');
    const summary = await vscode.commands.executeCommand<AnalyzeSummary>('iommu-review.analyzePatch');
    assert.ok(summary, 'the command returns a summary');
    assert.strictEqual(summary.uri, editor.document.uri.toString());
    assert.ok(summary.findings >= 1);
    assert.match(summary.summary, /\d+ errors?/);
    await waitForDiagnostics(editor.document.uri, hasCode('OWN001'), 'OWN001 after the command');
    assert.match(api.statusBarText(), /IOMMU latest: .*error/);
  });

  test('IOMMU: Show Simulation Trace opens the finding under the cursor as markdown', async () => {
    const api = await extensionApi();
    const editor = await openInEditor('c/acme_vfio_main.c');
    const ds = await waitForDiagnostics(editor.document.uri, hasCode('OWN001'), 'OWN001');
    editor.selection = new vscode.Selection(ds[0].range.start, ds[0].range.start);
    const uri = await vscode.commands.executeCommand<vscode.Uri>('iommu-review.showTrace');
    assert.ok(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.match(doc.getText(), /^# OWN001 missing-driver-managed-dma/);
    assert.match(doc.getText(), /## Simulated trace/);
    const review = api.reviewOf(editor.document.uri)!;
    const firstStep = review.result.findings[0].trace[0];
    assert.ok(firstStep && doc.getText().includes(firstStep.step.replace(/\|/g, '\\|')), 'the table lists the steps');
  });

  test('IOMMU: Select Kernel Target updates the setting', async () => {
    try {
      const chosen = await vscode.commands.executeCommand<string>('iommu-review.selectTarget', '6.2');
      assert.strictEqual(chosen, '6.2');
      assert.strictEqual(vscode.workspace.getConfiguration('iommu-review').get('target'), '6.2');
    } finally {
      await vscode.workspace.getConfiguration('iommu-review').update('target', undefined, vscode.ConfigurationTarget.Workspace);
    }
    assert.strictEqual(vscode.workspace.getConfiguration('iommu-review').get('target'), 'latest');
  });

  test('hover on an ownership API name shows its signature and return codes on the target', async () => {
    const editor = await openInEditor('c/gadget_shared_attach.c');
    const line = editor.document.getText().split('\n').findIndex((l) => l.includes('iommu_paging_domain_alloc('));
    const col = editor.document.lineAt(line).text.indexOf('iommu_paging_domain_alloc') + 3;
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, new vscode.Position(line, col));
    const text = hovers
      .flatMap((h) => h.contents)
      .map((c) => (typeof c === 'string' ? c : c.value))
      .join('\n');
    assert.match(text, /```c\n.*iommu_paging_domain_alloc/);
    assert.match(text, /latest/);
  });
});
