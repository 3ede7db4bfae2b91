/** Joins per-input analysis results (in-process and from workers) into one, keeping the inputs' order. */
import type { AnalysisResult, InputProblem } from '../core/types';

export function emptyResult(): AnalysisResult {
  return { findings: [], problems: [], inputs: [], stats: { inputs: 0, reviewed: 0, skipped: 0, failed: 0, findings: 0, ms: 0 } };
}

export function mergeResults(results: readonly AnalysisResult[], ms: number): AnalysisResult {
  const merged = emptyResult();
  for (const r of results) {
    // One element at a time: push(...list) passes every element as an argument and overflows the stack at ~10^5.
    for (const f of r.findings) merged.findings.push(f);
    for (const p of r.problems) merged.problems.push(p);
    for (const i of r.inputs) merged.inputs.push(i);
    addInputStats(merged.stats, r.stats);
  }
  merged.stats.findings = merged.findings.length;
  merged.stats.ms = ms;
  return merged;
}

/** A result for an input the CLI could not even read (missing file, git failure): one failed input. */
export function failedInputResult(problem: InputProblem): AnalysisResult {
  const r = emptyResult();
  r.problems.push(problem);
  r.stats.inputs = 1;
  r.stats.failed = 1;
  return r;
}

/**
 * Splits the result of one analyze() call over several inputs back into one result per input (same order), so
 * the output keeps following the inputs' order. inputs[] is one entry per input; findings and problems go to the
 * input they point at. The call's stats stay whole on the first part (mergeResults adds them up again).
 */
export function splitByInput(r: AnalysisResult, paths: readonly string[]): AnalysisResult[] {
  const parts = paths.map((_, k) => {
    const part = emptyResult();
    if (r.inputs[k]) part.inputs.push(r.inputs[k]);
    return part;
  });
  if (parts.length === 0) return parts;
  parts[0].stats = { ...r.stats };
  const firstIndex = new Map<string, number>();
  paths.forEach((p, k) => {
    if (!firstIndex.has(p)) firstIndex.set(p, k);
  });
  const at = (p: string): AnalysisResult => parts[firstIndex.get(p) ?? 0];
  for (const f of r.findings) at(f.location.path).findings.push(f);
  for (const p of r.problems) at(p.path).problems.push(p);
  return parts;
}

/** Adds one result's input counts and context counts to a running total (findings and time are the caller's). */
export function addInputStats(into: AnalysisResult['stats'], from: AnalysisResult['stats']): void {
  into.inputs += from.inputs;
  into.reviewed += from.reviewed;
  into.skipped += from.skipped;
  into.failed += from.failed;
  if (from.context) {
    const c = (into.context ??= { fullFile: 0, tree: 0, hunksOnly: 0 });
    c.fullFile += from.context.fullFile;
    c.tree += from.context.tree;
    c.hunksOnly += from.context.hunksOnly;
  }
}
