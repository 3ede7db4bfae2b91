/**
 * The two b4 check protocols (notes/peers.md §b4):
 *  - `b4.am-perpatch-check-cmd`: checkpatch `--terse` lines on stdout, `-:<line>: ERROR: ...` for stdin input;
 *    b4 counts a line containing `ERROR:` as a failure, any other line as a warning, and no output as a pass.
 *  - `b4.review-perpatch-check-cmd` / `review-series-check-cmd`: a JSON array of {tool, status, summary, url, details}.
 */
import type { AnalysisResult, Finding } from '../core/types';
import type { RuleMeta } from '../rules/types';
import { DEFAULT_META, SEVERITY_LABEL, countBySeverity, escapeControls, oneLine, plural, type ReportMeta } from './common';

/** One terse line; `fileLabel` is `-` for standard input, as checkpatch prints it. */
export function formatB4CheckLine(finding: Finding, fileLabel = '-'): string {
  return `${fileLabel}:${finding.location.line}: ${SEVERITY_LABEL[finding.severity]}: ${finding.code} ${finding.rule}: ${escapeControls(oneLine(finding.message))}`;
}

/** Nothing at all for a clean patch (b4 reads "no output" as "passed all checks"). */
export function formatB4Check(result: Pick<AnalysisResult, 'findings'>, fileLabel = '-'): string {
  return result.findings.map((f) => `${formatB4CheckLine(f, fileLabel)}\n`).join('');
}

export interface B4ReviewEntry {
  tool: string;
  status: 'pass' | 'warn' | 'fail';
  summary: string;
  url: string;
  details: string;
}

/** No diff anywhere in the message (a note, a cover letter, a reply that quotes none): nothing was reviewed. */
function holdsNoDiff(inputs: AnalysisResult['inputs'] | undefined): boolean {
  return inputs !== undefined && inputs.length > 0 && inputs.every((i) => i.kind !== 'c-source' && i.patches.every((p) => p.files.length === 0));
}

/** `inputs` (when given) tells a message without any diff from a clean one: the first is `warn`, never `pass`. */
export function toB4Review(
  result: Pick<AnalysisResult, 'findings' | 'problems'> & Partial<Pick<AnalysisResult, 'inputs'>>,
  rules: readonly RuleMeta[],
  meta: ReportMeta = DEFAULT_META,
): B4ReviewEntry[] {
  const counts = countBySeverity(result.findings);
  const failedInput = result.problems.some((p) => p.kind === 'failed');
  // Part of the message not reviewed (an undecodable part, a malformed hunk, a budget): never a plain pass.
  const unreviewed = result.problems.find((p) => p.kind === 'skipped');
  const noDiff = result.findings.length === 0 && !failedInput && !unreviewed && holdsNoDiff(result.inputs);
  const status: B4ReviewEntry['status'] =
    counts.error > 0 || failedInput ? 'fail' : counts.warning > 0 || counts.info > 0 || unreviewed || noDiff ? 'warn' : 'pass';

  let summary: string;
  if (result.findings.length === 0) {
    summary = failedInput
      ? 'could not review this message'
      : unreviewed
        ? `not all of this message was reviewed: ${oneLine(unreviewed.message)}`
        : noDiff
          ? 'nothing reviewed: no diff in this message'
          : 'no IOMMU DMA-ownership problems found';
  } else {
    const parts = [plural(counts.error, 'error'), plural(counts.warning, 'warning'), `${counts.info} info`];
    const first = result.findings.find((f) => f.severity === 'error') ?? result.findings[0];
    summary = `${parts.join(', ')}; first: ${first.code} ${first.rule}`;
  }

  // The most severe finding's doc page is the most useful single link; the project page otherwise.
  const lead = result.findings.find((f) => f.severity === 'error') ?? result.findings[0];
  const leadRule = lead ? rules.find((r) => r.code === lead.code) : undefined;
  const docs = leadRule?.docsUrl ?? meta.informationUri;
  // b4 shows `url` as a link: only an absolute address is one (rule pages ship with the tool: see details).
  const url = /^[a-z][a-z0-9+.-]*:/i.test(docs) ? docs : '';

  const detailLines = result.findings.map((f) => {
    const where = f.source ? `${f.source.file}:${f.source.line}` : `line ${f.location.line}`;
    const fixed = f.fixedBy ? ` (fixed later by ${f.fixedBy})` : '';
    return `${SEVERITY_LABEL[f.severity]}: ${f.code} ${f.rule}: ${where}: ${oneLine(f.message)}${fixed}`;
  });
  if (lead && !url) detailLines.push(`More: iommu-review --explain ${lead.code}`);
  for (const p of result.problems) detailLines.push(`${p.kind === 'failed' ? 'FAILED' : 'SKIPPED'}: ${p.message}`);

  return [{ tool: meta.toolName, status, summary, url, details: detailLines.join('\n') }];
}

export function formatB4Review(
  result: Pick<AnalysisResult, 'findings' | 'problems'> & Partial<Pick<AnalysisResult, 'inputs'>>,
  rules: readonly RuleMeta[],
  meta: ReportMeta = DEFAULT_META,
): string {
  return `${JSON.stringify(toB4Review(result, rules, meta))}\n`;
}
