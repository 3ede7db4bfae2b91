/** Hover on IOMMU ownership API names: signature, what it does to the group, return codes on the chosen target. */
import * as vscode from 'vscode';
import { allApiNames, lookupApi } from '../core/sim/index';
import { guard, type Log } from './log';
import { hoverMarkdown } from './presentation';
import type { ReviewController } from './review-controller';

export class ApiHoverProvider implements vscode.HoverProvider {
  private names: ReadonlySet<string> | undefined;
  readonly provideHover: (doc: vscode.TextDocument, position: vscode.Position) => Promise<vscode.Hover | undefined>;

  constructor(private readonly controller: ReviewController, log: Log) {
    this.provideHover = guard(log, 'hover', undefined, (doc, position) => this.hover(doc, position));
  }

  private hover(doc: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const range = doc.getWordRangeAtPosition(position, /[A-Za-z_][A-Za-z0-9_]*/);
    if (!range) return undefined;
    const name = doc.getText(range);
    this.names ??= new Set(allApiNames());
    if (!this.names.has(name)) return undefined;
    const target = this.controller.settingsFor(doc.uri).target;
    const info = lookupApi(name, target);
    if (!info) return undefined;
    return new vscode.Hover(new vscode.MarkdownString(hoverMarkdown(info, target)), range);
  }
}
