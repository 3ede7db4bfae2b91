/**
 * Text the editor shows, built from analysis data (no 'vscode' import: unit-tested in node):
 * code lens titles, the status bar summary, the trace document and the hover.
 */
import type { AnalysisResult, DriverVerdict, Finding, TopologyKind } from '../core/types';
import type { ApiInfo } from '../core/sim/index';

const TOPOLOGY_LABELS: Record<TopologyKind, string> = {
  singleton: 'singleton',
  'shared-dma-api': 'shared with DMA-API device',
  'user-owned': 'user-owned group',
  'no-iommu': 'no IOMMU',
};

export function modeLensTitle(mode: DriverVerdict['mode']): string {
  switch (mode) {
    case 'kernel-dma-api':
      return 'kernel DMA API — ownership taken at bind';
    case 'driver-managed':
      return 'driver-managed DMA';
    case 'unknown':
      return 'DMA ownership mode not visible in the patch';
  }
}

/** "singleton ✓ · shared with DMA-API device ✓ · user-owned group ✗ -EBUSY at bind" */
export function verdictLensTitle(verdict: Pick<DriverVerdict, 'scenarios'>): string {
  return verdict.scenarios.map((s) => `${TOPOLOGY_LABELS[s.topology] ?? s.topology} ${verdictMark(s.ok, s.summary)}`).join(' · ');
}

function verdictMark(ok: boolean, summary: string): string {
  const text = summary.trim();
  if (text.startsWith('✓') || text.startsWith('✗')) return text;
  return text ? `${ok ? '✓' : '✗'} ${text}` : ok ? '✓' : '✗';
}

export interface SeverityCounts {
  error: number;
  warning: number;
  info: number;
}

export function countSeverities(findings: readonly Finding[]): SeverityCounts {
  const counts: SeverityCounts = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "2 errors · 1 warning", or "no findings". */
export function summaryText(counts: SeverityCounts, problems = 0): string {
  const parts: string[] = [];
  if (counts.error) parts.push(plural(counts.error, 'error'));
  if (counts.warning) parts.push(plural(counts.warning, 'warning'));
  if (counts.info) parts.push(`${counts.info} info`);
  if (problems) parts.push(`${plural(problems, 'input problem')}`);
  return parts.length ? parts.join(' · ') : 'no findings';
}

export function resultSummary(result: Pick<AnalysisResult, 'findings' | 'problems'>): string {
  return summaryText(countSeverities(result.findings), result.problems.length);
}

/** Markdown-safe table cell. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export type TraceRow = Finding['trace'][number];

/** A step table; used when the simulation's own renderer is not available. */
export function traceTable(steps: readonly TraceRow[]): string {
  if (steps.length === 0) return '_No simulated steps._\n';
  const rows = steps.map((s, i) => `| ${i + 1} | ${cell(s.step)} | ${cell(s.result)} | ${s.location ? cell(`${s.location.path}:${s.location.line}`) : ''} |`);
  return ['| # | step | result | where |', '|---|---|---|---|', ...rows, ''].join('\n');
}

export function findingTraceMarkdown(finding: Finding, table: string, docsUrl: string | undefined, target: string): string {
  const lines = [
    `# ${finding.code} ${finding.rule}`,
    '',
    `**${finding.severity}** at \`${finding.location.path}:${finding.location.line}\` — kernel target \`${target}\``,
    '',
    finding.message,
    '',
  ];
  if (finding.source) lines.push(`Source: \`${finding.source.file}:${finding.source.line}\`${finding.source.patch ? ` in ${finding.source.patch}` : ''}`, '');
  if (finding.partial) lines.push(`_Could not see:_ ${finding.partial}`, '');
  if (finding.fixedBy) lines.push(`_Fixed later in the series by_ ${finding.fixedBy}`, '');
  lines.push('## Simulated trace', '', table);
  if (finding.fixes.length) lines.push('## Fixes', '', ...finding.fixes.map((f) => `- ${f.title}${f.suggestion ? `: \`${f.suggestion.trim()}\`` : ''}`), '');
  if (docsUrl) lines.push(`[Rule documentation](${docsUrl})`, '');
  return lines.join('\n');
}

export function driverTraceMarkdown(verdict: DriverVerdict, renderTable: (steps: readonly TraceRow[]) => string, target: string): string {
  const lines = [
    `# ${verdict.driver} (struct ${verdict.structType})`,
    '',
    `${modeLensTitle(verdict.mode)} — \`${verdict.file}\`, kernel target \`${target}\``,
    '',
  ];
  for (const s of verdict.scenarios) {
    lines.push(`## ${TOPOLOGY_LABELS[s.topology] ?? s.topology} ${verdictMark(s.ok, s.summary)}`, '', renderTable(s.trace), '');
  }
  return lines.join('\n');
}

export function hoverMarkdown(info: ApiInfo, target: string): string {
  const lines = ['```c', info.signature, '```', '', info.summary];
  if (!info.exists) lines.push('', `**Not available on \`${target}\`**${info.replacement ? ` — use \`${info.replacement}\`` : ''}.`);
  if (info.returns.length) lines.push('', `Returns on \`${target}\`:`, '', ...info.returns.map((r) => `- \`${r.split(':')[0]}\`${r.includes(':') ? ':' + r.slice(r.indexOf(':') + 1) : ''}`));
  if (info.history) lines.push('', `_${info.history}_`);
  return lines.join('\n');
}
