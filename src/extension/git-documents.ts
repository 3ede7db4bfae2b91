/**
 * Read-only documents holding git output (staged changes, a commit range) for review: `iommu-review-git:` URIs,
 * one per request, so an older review never shows up under a newer one's name.
 */
import * as vscode from 'vscode';

export const GIT_SCHEME = 'iommu-review-git';
const MAX_DOCUMENTS = 20;

export class GitDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly contents = new Map<string, string>();
  private next = 1;
  private readonly registration = vscode.workspace.registerTextDocumentContentProvider(GIT_SCHEME, this);

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.path) ?? '';
  }

  /** `name` ends in .diff (language diff) or .patch (patch-mail). */
  async open(name: string, text: string): Promise<vscode.TextDocument> {
    const docPath = `/${this.next++}/${name.replace(/[^\w.~^-]+/g, '_')}`;
    this.contents.set(docPath, text);
    if (this.contents.size > MAX_DOCUMENTS) this.contents.delete(this.contents.keys().next().value as string);
    return vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: GIT_SCHEME, path: docPath }));
  }

  dispose(): void {
    this.registration.dispose();
    this.contents.clear();
  }
}
