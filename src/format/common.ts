/** Helpers shared by the output formats. Pure: no I/O. */
import type { AnalysisResult, Finding, InputProblem, Severity } from '../core/types';

/** What every format may print besides the findings (tool version, the kernel target reviewed against). */
export interface ReportMeta {
  toolName: string;
  version: string;
  target: string;
  informationUri: string;
}

export const DEFAULT_META: ReportMeta = {
  toolName: 'iommu-review',
  version: '0.0.0',
  target: 'latest',
  // The project has no public web address; formats leave the link out when this is empty.
  informationUri: '',
};

/** checkpatch's level words; `info` has no checkpatch twin, so it keeps its own name. */
export const SEVERITY_LABEL: Record<Severity, string> = { error: 'ERROR', warning: 'WARNING', info: 'INFO' };

export interface SeverityCounts {
  error: number;
  warning: number;
  info: number;
}

export function countBySeverity(findings: readonly Finding[]): SeverityCounts {
  const counts: SeverityCounts = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity] += 1;
  return counts;
}

export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : pluralForm}`;
}

/**
 * Characters a terminal acts on rather than prints: C0 controls but tab (ESC starts escape sequences, CR/LF forge
 * lines), DEL, C1 controls (0x9b is a one-byte CSI), line/paragraph separators and the bidi overrides that make code
 * read differently from how it compiles. Input text (file names, subjects, quoted code) goes through escapeControls
 * before it reaches a terminal.
 */
// eslint-disable-next-line no-control-regex
const TERMINAL_CONTROLS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Input-derived text made safe for one terminal line: each control character shown as a visible escape (\x1b, \n, \u202e). */
export function escapeControls(text: string): string {
  return text.replace(TERMINAL_CONTROLS, (c) => {
    const code = c.charCodeAt(0);
    if (code === 10) return '\\n';
    if (code === 13) return '\\r';
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** The one-line form of a problem, as printed on standard error and in b4 details: always exactly one line. */
export function formatProblem(problem: InputProblem): string {
  const where = problem.line !== undefined ? `${problem.path}:${problem.line}` : problem.path;
  return `iommu-review: ${escapeControls(where)}: ${escapeControls(problem.message)}`;
}

/** Collapses runs of whitespace (including newlines) so one finding stays on one line where a format needs that. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** The exit status the command-line contract defines for a result: 1 when any finding is an error. */
export function hasErrors(result: Pick<AnalysisResult, 'findings'>): boolean {
  return result.findings.some((f) => f.severity === 'error');
}

/**
 * The result worth printing after a trace step. The simulation marks narrative steps (a callback being entered,
 * a state note) with the results 'call' and 'state'; those are not return values, so readers see none.
 */
export function displayResult(result: string): string | undefined {
  return result === '' || result === 'call' || result === 'state' ? undefined : result;
}

/** `step = result`, or the bare step for narrative steps. */
export function stepText(step: { step: string; result: string }): string {
  const result = displayResult(step.result);
  return result === undefined ? step.step : `${step.step} = ${result}`;
}
