/**
 * `--format json`: one object. `findings` and `problems` carry exactly the fields of the stable contract
 * (spec/rules.md "Command-line contract"); everything else sits in extra top-level keys so scripts that
 * read the contract never see a field they did not expect inside a finding.
 */
import type { AnalysisResult, Finding, Fix, InputProblem } from '../core/types';
import { DEFAULT_META, type ReportMeta } from './common';

export interface JsonFinding {
  rule: string;
  code: string;
  severity: Finding['severity'];
  message: string;
  location: { path: string; line: number; column: number };
  source?: { file: string; line: number; patch?: string };
  trace: { step: string; result: string; location?: { path: string; line: number } }[];
}

export interface JsonProblem {
  path: string;
  message: string;
}

/** Per finding (same index as `findings`): what the contract has no field for. */
export interface JsonFindingDetails {
  fixes: Fix[];
  partial?: string;
  fixedBy?: string;
  /** What the finding was judged on: `full file (blob 9653d39)`, `tree`, `hunks only`. */
  context?: string;
}

export interface JsonReport {
  findings: JsonFinding[];
  problems: JsonProblem[];
  tool: { name: string; version: string };
  target: string;
  stats: AnalysisResult['stats'];
  findingDetails: JsonFindingDetails[];
}

export function toJsonFinding(f: Finding): JsonFinding {
  const out: JsonFinding = {
    rule: f.rule,
    code: f.code,
    severity: f.severity,
    message: f.message,
    location: { path: f.location.path, line: f.location.line, column: f.location.column },
    trace: f.trace.map((t) => {
      const step: JsonFinding['trace'][number] = { step: t.step, result: t.result };
      if (t.location) step.location = { path: t.location.path, line: t.location.line };
      return step;
    }),
  };
  if (f.source) {
    out.source = { file: f.source.file, line: f.source.line };
    if (f.source.patch !== undefined) out.source.patch = f.source.patch;
  }
  return out;
}

export function toJsonProblem(p: InputProblem): JsonProblem {
  // The contract's problem has no line field: keep the line in the message so it is not lost.
  return { path: p.path, message: p.line !== undefined ? `line ${p.line}: ${p.message}` : p.message };
}

export function toJsonReport(result: Pick<AnalysisResult, 'findings' | 'problems' | 'stats'>, meta: ReportMeta = DEFAULT_META): JsonReport {
  return {
    findings: result.findings.map(toJsonFinding),
    problems: result.problems.map(toJsonProblem),
    tool: { name: meta.toolName, version: meta.version },
    target: meta.target,
    stats: result.stats,
    findingDetails: result.findings.map((f) => {
      const d: JsonFindingDetails = { fixes: f.fixes };
      if (f.partial !== undefined) d.partial = f.partial;
      if (f.fixedBy !== undefined) d.fixedBy = f.fixedBy;
      if (f.context !== undefined) d.context = f.context;
      return d;
    }),
  };
}

/** `extra`: host-specific top-level keys (e.g. the CLI's worker count); never replaces a key of the report. */
export function formatJson(
  result: Pick<AnalysisResult, 'findings' | 'problems' | 'stats'>,
  meta: ReportMeta = DEFAULT_META,
  extra: Record<string, unknown> = {},
): string {
  const report = toJsonReport(result, meta);
  const merged: Record<string, unknown> = { ...report };
  for (const [k, v] of Object.entries(extra)) if (!(k in report)) merged[k] = v;
  return `${JSON.stringify(merged, null, 2)}\n`;
}
