/**
 * How rules word what they found in a shared way: a finding's stable key, the info note that a replay stopped at a
 * budget, and the error exit of an entry point that leaves an acquisition behind.
 */
import type { CallFact, FunctionFact, ScenarioResult, ViolationKind } from '../core/types';
import { reaches } from '../core/c/call-graph';
import { acquisitionOnPath, functionScenarios, scenarioLabel, traceOf } from './scenario-selection';
import { unseenErrorPath } from './unseen-code';
import type { RuleContext } from './types';

/** A stable finding key: 'OWN005:foo_probe:iommu_group_claim_dma_owner'. */
export function keyOf(code: string, ...parts: (string | number | undefined)[]): string {
  return [code, ...parts.filter((p) => p !== undefined && p !== '')].join(':');
}

/**
 * Entry points (open/ioctl/bind handlers): what they acquire is meant to outlive a successful call, so only a failing exit
 * that leaves one of `leakKinds` behind is a leak. Reports the first such exit with `messageId` (data: fn, attach,
 * scenario) and returns the acquiring call it reported, if any.
 */
export function reportErrorExitLeak(
  ctx: RuleContext,
  fn: FunctionFact,
  code: string,
  messageId: string,
  acquireNames: readonly string[],
  leakKinds: readonly ViolationKind[],
): CallFact | undefined {
  // Helpers the entry point calls acquire on its paths too (a `*_bind_queue()` doing the bind).
  const acquisitions = reaches(ctx.facts, fn, acquireNames);
  if (acquisitions.length === 0) return undefined;
  const scenarios = functionScenarios(ctx, fn, ['singleton']);
  for (const s of scenarios) {
    if (s.outcome !== 'probe-failed') continue;
    const v = s.violations.find((x) => leakKinds.includes(x.kind));
    if (!v) continue;
    const acquisition = acquisitionOnPath(ctx, s, acquireNames, acquisitions[0]);
    ctx.report({
      messageId,
      data: { fn: fn.name, attach: acquisition.callee, scenario: scenarioLabel(ctx, s) },
      span: acquisition.calleeSpan,
      scenario: s,
      trace: traceOf(s, v),
      unseen: unseenErrorPath(ctx, acquisition, undefined, s),
      key: keyOf(code, fn.name, acquisition.callee, 'error-exit'),
    });
    return acquisition;
  }
  reportBudget(ctx, scenarios, code, fn.name, acquisitions[0]);
  return undefined;
}

/**
 * When the replay of `subject` hit a budget, the paths past it were not all explored: says so at info (as unseen
 * code), on the acquisition the rule was checking, instead of staying silent. Every rule that calls this declares a
 * 'replayBudget' message with {{fn}} and {{budget}}.
 */
export function reportBudget(ctx: RuleContext, scenarios: readonly ScenarioResult[], code: string, subject: string, at: CallFact): void {
  const budget = scenarios.find((s) => s.budget)?.budget;
  if (!budget) return;
  ctx.report({
    messageId: 'replayBudget',
    data: { fn: subject, budget },
    span: at.calleeSpan,
    unseen: `the replay of ${subject}() stopped at ${budget}`,
    key: keyOf(code, subject, 'replay-budget'),
  });
}
