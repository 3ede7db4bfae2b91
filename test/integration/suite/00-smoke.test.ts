import * as assert from 'assert';
import * as vscode from 'vscode';

suite('harness', () => {
  test('runs inside a real VS Code with the extension loaded', async () => {
    const ext = vscode.extensions.getExtension('iommu-review.iommu-review');
    assert.ok(ext, 'extension iommu-review.iommu-review is loaded');
    await ext.activate();
    assert.ok(ext.isActive);
    console.log(`VS Code ${vscode.version} (${vscode.env.appName})`);
  });
});
