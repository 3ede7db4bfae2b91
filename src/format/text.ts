/**
 * checkpatch-style text: one block per finding, then a `total:` line.
 *   ERROR:OWN001 missing-driver-managed-dma: <message>
 *   #42: FILE: series/0002-foo.patch:42:
 *   +	.probe = foo_probe,                      (the input line, when the host can provide it)
 *       in drivers/vfio/pci/foo/main.c:120 ([PATCH 2/3] vfio/foo: ...)
 *       trace:
 *         1. bind: ... = 0  (series/0002-foo.patch:57)
 * The `ERROR:...` + `#N: FILE: path:N:` pair is the shape editors' checkpatch problem matchers already parse.
 */
import type { AnalysisResult, Finding } from '../core/types';
import { SEVERITY_LABEL, countBySeverity, stepText } from './common';

export interface TextOptions {
  /** Include the simulated trace under each finding (default true). */
  traces?: boolean;
  /** The text of a line of an input, to quote under the FILE line as checkpatch does (the host owns the texts). */
  lineOf?: (path: string, line: number) => string | undefined;
}

export function formatFindingText(finding: Finding, options: TextOptions = {}): string {
  const lines: string[] = [];
  lines.push(`${SEVERITY_LABEL[finding.severity]}:${finding.code} ${finding.rule}: ${finding.message}`);
  lines.push(`#${finding.location.line}: FILE: ${finding.location.path}:${finding.location.line}:`);
  const quoted = options.lineOf?.(finding.location.path, finding.location.line);
  if (quoted !== undefined && quoted.trim() !== '') lines.push(quoted);
  if (finding.source && finding.source.file !== finding.location.path) {
    const patch = finding.source.patch ? ` (${finding.source.patch})` : '';
    lines.push(`    in ${finding.source.file}:${finding.source.line}${patch}`);
  }
  if (finding.partial) lines.push(`    partial: ${finding.partial}`);
  if (finding.fixedBy) lines.push(`    fixed later in the series by: ${finding.fixedBy}`);
  if (finding.context) lines.push(`    context: ${finding.context}`);
  if (options.traces !== false && finding.trace.length > 0) {
    lines.push('    trace:');
    finding.trace.forEach((step, i) => {
      const where = step.location ? `  (${step.location.path}:${step.location.line})` : '';
      lines.push(`      ${i + 1}. ${stepText(step)}${where}`);
    });
  }
  for (const fix of finding.fixes) {
    lines.push(`    fix: ${fix.title}`);
    if (fix.suggestion) for (const s of fix.suggestion.split(/\r?\n/)) lines.push(`         ${s}`);
  }
  return lines.join('\n');
}

export function formatTotalLine(result: Pick<AnalysisResult, 'findings' | 'stats'>): string {
  const c = countBySeverity(result.findings);
  const s = result.stats;
  // Fixed plurals, as checkpatch prints them ("total: 1 errors, ..."): scripts match this line with one pattern.
  return `total: ${c.error} errors, ${c.warning} warnings, ${c.info} info, ${s.reviewed} inputs reviewed (${s.skipped} skipped, ${s.failed} failed)`;
}

/** The whole standard-output text for a result (problems go to standard error: see formatProblem). */
export function formatText(result: Pick<AnalysisResult, 'findings' | 'stats'>, options: TextOptions = {}): string {
  const blocks = result.findings.map((f) => `${formatFindingText(f, options)}\n\n`);
  // What the patched files were judged on (before the total line, whose layout scripts match).
  const c = result.stats.context;
  const context = c ? `context: ${c.fullFile} full file, ${c.tree} tree, ${c.hunksOnly} hunks only\n` : '';
  return `${blocks.join('')}${context}${formatTotalLine(result)}\n`;
}
