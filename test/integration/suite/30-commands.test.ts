import * as assert from 'assert';
import * as vscode from 'vscode';
import { extensionApi, hasCode, openInEditor, uiAction, waitForDiagnostics } from './helpers';

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

  test('IOMMU: Analyze Patch reviews the active editor and shows its result: a notification and the Problems panel', async () => {
    const api = await extensionApi();
    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('workbench.action.closePanel');
    const editor = await openInEditor('patches/0001-vfio-pci-add-zeta-variant-driver.patch');
    const summary = await vscode.commands.executeCommand<AnalyzeSummary>('iommu-review.analyzePatch');
    assert.ok(summary, 'the command returns a summary');
    assert.strictEqual(summary.uri, editor.document.uri.toString());
    assert.ok(summary.findings >= 1);
    assert.match(summary.summary, /\d+ errors?/);
    await waitForDiagnostics(editor.document.uri, hasCode('OWN001'), 'OWN001 after the command');
    assert.match(api.statusBarText(), /IOMMU latest: .*error/);
    const toast = await uiAction({ action: 'text', selector: '.notifications-toasts .notification-toast' });
    assert.ok(toast.texts?.some((t) => t.includes(`IOMMU review of 0001-vfio-pci-add-zeta-variant-driver.patch: ${summary.summary}`) && t.includes('Show Problems')), JSON.stringify(toast.texts));
    const problems = await uiAction({ action: 'text', selector: '.markers-panel .monaco-list-row' });
    assert.ok(problems.texts?.some((t) => t.includes('zeta_vfio_pci_driver')), `the Problems panel is open with the finding: ${JSON.stringify(problems.texts)}`);
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  test('IOMMU: Show Simulation Trace opens the finding under the cursor in the trace view', async () => {
    const api = await extensionApi();
    const editor = await openInEditor('c/acme_vfio_main.c');
    const ds = await waitForDiagnostics(editor.document.uri, hasCode('OWN001'), 'OWN001');
    editor.selection = new vscode.Selection(ds[0].range.start, ds[0].range.start);
    await vscode.commands.executeCommand('iommu-review.showTrace');
    const view = api.traceView();
    assert.ok(view);
    assert.strictEqual(view.page.title, 'OWN001 missing-driver-managed-dma');
    const rows = view.page.sections[0].rows;
    const review = api.reviewOf(editor.document.uri)!;
    assert.strictEqual(rows.length, review.result.findings.find((f) => f.code === 'OWN001')!.trace.length);
    assert.deepStrictEqual([rows[0].phase, rows[0].ownerCnt], ['bind', '1']);
    assert.ok(rows.some((r) => r.phase === 'user' && r.violation));
  });

  test('the target picker marks the current target', async () => {
    const picking = vscode.commands.executeCommand('iommu-review.selectTarget');
    const rows = await uiAction({ action: 'text', selector: '.quick-input-widget .monaco-list-row' });
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await picking;
    assert.ok(rows.ok, rows.error);
    assert.match(rows.texts?.[0] ?? '', /latest[\s\S]*current target/);
    assert.ok(!rows.texts?.slice(1).some((t) => /current target/.test(t)), JSON.stringify(rows.texts));
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
