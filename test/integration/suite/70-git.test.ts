import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { codeOf, extensionApi, workspaceUri } from './helpers';

interface AnalyzeSummary {
  uri: string;
  findings: number;
  problems: number;
}

/** The test's own git calls (fixture set-up), with an identity and no user configuration. */
function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Fixture', '-c', 'user.email=fixture@example.org', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
  });
}

suite('git sources', () => {
  let root: string;

  suiteSetup(async () => {
    await extensionApi();
    root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    git(root, 'init', '-q');
    git(root, 'commit', '-q', '--allow-empty', '-m', 'base');
  });

  function reviewedDocument(summary: AnalyzeSummary): vscode.TextDocument {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === summary.uri);
    assert.ok(doc, 'the reviewed text is open in an editor');
    return doc;
  }

  async function close(doc: vscode.TextDocument): Promise<void> {
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  }

  test('Analyze Patch on the staged changes (git diff --cached) reviews them in a diff document', async () => {
    const file = path.join(root, 'staged', 'acme_copy.c');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.copyFileSync(workspaceUri('c/acme_vfio_main.c').fsPath, file);
    git(root, 'add', 'staged/acme_copy.c');
    const summary = await vscode.commands.executeCommand<AnalyzeSummary>('iommu-review.analyzePatch', { staged: true });
    assert.ok(summary, 'the command produced a review');
    const doc = reviewedDocument(summary);
    assert.strictEqual(doc.uri.scheme, 'iommu-review-git', 'a read-only document of git output');
    assert.strictEqual(doc.languageId, 'diff');
    assert.match(doc.getText(), /^diff --git a\/staged\/acme_copy\.c b\/staged\/acme_copy\.c/);
    assert.ok(vscode.languages.getDiagnostics(doc.uri).some((d) => codeOf(d) === 'OWN001'), 'OWN001 on the staged driver');
    await close(doc);
    git(root, 'commit', '-q', '-m', 'staged: add a copy of the acme driver');
  });

  test('Analyze Patch on a commit range (git format-patch) reviews the series as patch mail', async () => {
    const summary = await vscode.commands.executeCommand<AnalyzeSummary>('iommu-review.analyzePatch', { range: 'HEAD~1..HEAD' });
    assert.ok(summary && summary.findings >= 1, JSON.stringify(summary));
    const doc = reviewedDocument(summary);
    assert.strictEqual(doc.languageId, 'patch-mail');
    assert.match(doc.getText(), /^Subject: \[PATCH\] staged: add a copy of the acme driver$/m);
    await close(doc);
  });

  test('a range that looks like an option or a shell command is never run as one', async () => {
    const marker = path.join(root, 'pwned');
    for (const range of ['--output=pwned', `;touch\${IFS}${marker}`, `$(touch\${IFS}${marker})`, 'HEAD~1..HEAD;id']) {
      const summary = await vscode.commands.executeCommand<AnalyzeSummary>('iommu-review.analyzePatch', { range });
      assert.strictEqual(summary, undefined, `no review for ${range}`);
    }
    assert.ok(!fs.existsSync(marker), 'nothing was executed');
    assert.ok(!fs.readdirSync(root).some((n) => n.startsWith('pwned') || n.endsWith('.patch')), 'git wrote no file');
  });
});
