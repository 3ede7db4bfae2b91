import * as assert from 'assert';
import * as vscode from 'vscode';
import { codeOf, extensionApi, hasCode, lacksCode, openInEditor, setSetting, waitForDiagnostics, workspaceUri } from './helpers';

suite('settings', () => {
  suiteSetup(async () => {
    await extensionApi();
  });

  test('a rule turned off in iommu-review.rules disappears; severity overrides apply', async () => {
    const editor = await openInEditor('c/acme_vfio_main.c');
    const uri = editor.document.uri;
    await waitForDiagnostics(uri, hasCode('OWN001'), 'OWN001 with default settings');
    try {
      await setSetting('rules', { 'missing-driver-managed-dma': 'warning' });
      await waitForDiagnostics(uri, (ds) => ds.some((d) => codeOf(d) === 'OWN001' && d.severity === vscode.DiagnosticSeverity.Warning), 'OWN001 lowered to a warning by name');
      await setSetting('rules', { OWN001: 'off' });
      await waitForDiagnostics(uri, lacksCode('OWN001'), 'OWN001 off by code');
    } finally {
      await setSetting('rules', undefined);
    }
    await waitForDiagnostics(uri, hasCode('OWN001'), 'OWN001 back after the reset');
  });

  test('the target changes the verdict on a series-era API name', async () => {
    const editor = await openInEditor('c/gadget_shared_attach.c');
    const uri = editor.document.uri;
    const attachLine = editor.document.getText().split('\n').findIndex((l) => l.includes('iommu_attach_device_shared('));
    const latest = await waitForDiagnostics(uri, hasCode('OWN017'), 'OWN017 stale-api-name on latest');
    const stale = latest.find((d) => codeOf(d) === 'OWN017' && d.range.start.line === attachLine);
    assert.ok(stale, 'OWN017 on the iommu_attach_device_shared call');
    assert.strictEqual(editor.document.getText(stale.range), 'iommu_attach_device_shared');
    try {
      await setSetting('target', 'series-v3');
      const v3 = await waitForDiagnostics(uri, lacksCode('OWN017'), 'no OWN017 on series-v3, where the name exists');
      // On series-v3 the _shared call is current API; attach-shared-single-device may point at it instead.
      for (const d of v3.filter((x) => codeOf(x) === 'OWN027')) assert.strictEqual(d.range.start.line, attachLine);
      assert.match((await extensionApi()).statusBarText(), /IOMMU series-v3/);
    } finally {
      await setSetting('target', undefined);
    }
    await waitForDiagnostics(uri, hasCode('OWN017'), 'OWN017 back on latest');
  });

  test('iommu-review.treePath gives a patch its full-file context', async () => {
    const api = await extensionApi();
    const editor = await openInEditor('patches/0002-vfio-pci-omega-register-the-vfio-device.patch');
    const uri = editor.document.uri;
    // The patch registers a VFIO device in probe; the driver struct is outside its hunks.
    const hunkOnly = await waitForDiagnostics(uri, hasCode('OWN001'), 'OWN001 from the hunks alone');
    assert.strictEqual(hunkOnly.find((d) => codeOf(d) === 'OWN001')!.severity, vscode.DiagnosticSeverity.Information, 'unseen struct: info');
    try {
      await setSetting('treePath', 'tree');
      const full = await waitForDiagnostics(
        uri,
        (ds) => ds.some((d) => codeOf(d) === 'OWN001' && d.severity === vscode.DiagnosticSeverity.Error),
        'OWN001 as an error once the tree shows the struct',
      );
      assert.match(full.find((d) => codeOf(d) === 'OWN001')!.message, /omega_vfio_pci_driver/);
      assert.ok(api.reviewOf(uri)?.treeRoot?.endsWith('tree'), 'the review used the tree');
    } finally {
      await setSetting('treePath', undefined);
    }
    await waitForDiagnostics(uri, (ds) => ds.some((d) => codeOf(d) === 'OWN001' && d.severity === vscode.DiagnosticSeverity.Information), 'back to hunk-only');
  });

  test('iommu-review.analyzeOn = ["save"] reviews on save only', async () => {
    const api = await extensionApi();
    const uri = workspaceUri('c/acme_on_save.c');
    await vscode.workspace.fs.writeFile(uri, await vscode.workspace.fs.readFile(workspaceUri('c/acme_vfio_main.c')));
    const reviews: string[] = [];
    const sub = api.onDidReview((r) => {
      if (r.uri.toString() === uri.toString()) reviews.push(r.result.findings.map((f) => f.code).join(','));
    });
    try {
      await setSetting('analyzeOn', ['save']);
      const editor = await openInEditor(uri);
      await editor.edit((e) => e.insert(new vscode.Position(0, 0), '// edited\n'));
      assert.ok(await editor.document.save());
      await waitForDiagnostics(uri, hasCode('OWN001'), 'OWN001 after the save');
      assert.deepStrictEqual(reviews, ['OWN001'], 'one review: on save, none on open or on the edit');
    } finally {
      sub.dispose();
      await setSetting('analyzeOn', undefined);
    }
  });
});
