import * as assert from 'assert';
import * as vscode from 'vscode';
import { codeOf, extensionApi, waitForDiagnostics, workspaceUri } from './helpers';

interface AnalyzeSummary {
  uri: string;
  findings: number;
  problems: number;
}

/** Deterministic non-text bytes (NULs and high bytes), like an image saved with a .patch name. */
function binaryBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 37 + (i >> 7)) & 0xff;
  return bytes;
}

/** A 20 MB patch: the fixture's diff repeated for distinct files. */
async function writeHugePatch(uri: vscode.Uri, bytes: number): Promise<void> {
  const mail = Buffer.from(await vscode.workspace.fs.readFile(workspaceUri('patches/0001-vfio-pci-add-zeta-variant-driver.patch'))).toString('utf8');
  const start = mail.indexOf('diff --git');
  const end = mail.lastIndexOf('\n-- \n');
  const head = mail.slice(0, start);
  const diff = mail.slice(start, end > start ? end + 1 : mail.length);
  const parts = [head];
  let size = head.length;
  for (let n = 0; size < bytes; n++) {
    const copy = diff.split('zeta/main.c').join(`zeta${n}/main.c`);
    parts.push(copy);
    size += copy.length;
  }
  await vscode.workspace.fs.writeFile(uri, Buffer.from(parts.join(''), 'utf8'));
}

suite('robustness', () => {
  suiteSetup(async () => {
    await extensionApi();
  });

  test('a binary file is not a crash: one information diagnostic and a log line', async () => {
    const api = await extensionApi();
    const uri = workspaceUri('attachments/screenshot.patch');
    await vscode.workspace.fs.writeFile(uri, binaryBytes(16 * 1024));
    const summary = await vscode.commands.executeCommand<AnalyzeSummary>('iommu-review.analyzePatch', uri);
    assert.ok(summary, 'the command completed');
    assert.strictEqual(summary.findings, 0);
    assert.ok(summary.problems >= 1, 'the input is reported as a problem');
    const ds = await waitForDiagnostics(uri, (d) => d.length > 0, 'the input-problem diagnostic');
    assert.strictEqual(ds.length, 1);
    assert.strictEqual(codeOf(ds[0]), 'input');
    assert.strictEqual(ds[0].severity, vscode.DiagnosticSeverity.Information);
    assert.match(ds[0].message, /^(Could not review|Not reviewed): /);
    assert.ok(api.logLines().some((l) => l.includes('attachments/screenshot.patch') && /could not review|not reviewed/.test(l)), 'a log line names the file');
  });

  test('a patch over 64 KB is reviewed in a worker and its findings are published like any other', async () => {
    const api = await extensionApi();
    const uri = workspaceUri('attachments/medium-series.patch');
    await writeHugePatch(uri, 200 * 1024);
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const copies = editor.document.getText().split('\n').filter((l) => l.startsWith('+static struct pci_driver zeta_vfio_pci_driver')).length;
    assert.ok(copies > 50, `${copies} copies of the driver`);
    const ds = await waitForDiagnostics(uri, (d) => d.filter((x) => codeOf(x) === 'OWN001').length === copies, 'one OWN001 per copy');
    for (const d of ds) assert.strictEqual(editor.document.getText(d.range), 'zeta_vfio_pci_driver');
    assert.ok(api.logLines().some((l) => l.includes('attachments/medium-series.patch') && l.includes(', worker')), 'the review ran in the worker');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  test('a 20 MB patch is reviewed off the main loop: commands answer in under a second, and it can be cancelled', async () => {
    const api = await extensionApi();
    const huge = workspaceUri('attachments/huge-series.patch');
    await writeHugePatch(huge, 20 * 1024 * 1024);
    const blob = workspaceUri('attachments/blob.patch');
    await vscode.workspace.fs.writeFile(blob, binaryBytes(64 * 1024));
    const errorsBefore = api.logLines().filter((l) => l.startsWith('[error]')).length;

    const doc = await vscode.workspace.openTextDocument(huge); // the "open" trigger starts the review in a worker
    assert.ok(doc.getText().length >= 20 * 1024 * 1024);
    const binaryReview = vscode.commands.executeCommand<AnalyzeSummary>('iommu-review.analyzePatch', blob);

    const t0 = Date.now();
    const status = await vscode.commands.executeCommand<{ running: number; largeRunning: number }>('iommu-review.status');
    const roundTripMs = Date.now() - t0;
    assert.ok(status.largeRunning >= 1, `the 20 MB review runs while the command answers (${JSON.stringify(status)})`);
    assert.ok(roundTripMs < 1000, `command round-trip took ${roundTripMs} ms`);
    console.log(`command round-trip during the 20 MB review: ${roundTripMs} ms`);

    const binary = await binaryReview;
    assert.ok(binary && binary.problems >= 1, 'the binary file was handled while the large review ran');

    const stopped = await vscode.commands.executeCommand<number>('iommu-review.cancelReviews');
    assert.ok(stopped >= 1, 'the running review was cancelled');
    assert.strictEqual(await api.whenReviewed(huge), undefined, 'a cancelled review publishes nothing');
    const after = await vscode.commands.executeCommand<{ running: number }>('iommu-review.status');
    assert.strictEqual(after.running, 0);
    assert.strictEqual(api.logLines().filter((l) => l.startsWith('[error]')).length, errorsBefore, 'no error escaped into the log');
  });
});
