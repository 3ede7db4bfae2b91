/**
 * Queries over replay violations for the rules that report at the call a violation names: which entry points to
 * replay, the violations of a kind across scenarios, and the call fact at a violation's place (for the words and the
 * span of the finding). No program is walked here: the replay decided, these only select.
 */
import type { CallFact, FunctionFact, ScenarioResult, Violation, ViolationKind } from '../core/types';
import type { RuleContext } from './types';

export interface Hit {
  scenario: ScenarioResult;
  violation: Violation;
  /** The call the violation's step ran (undefined when its place is not a call of this view). */
  call?: CallFact;
}

/** Functions of the view that call one of `names` themselves: the entry points to replay alone. */
export function functionsCalling(ctx: RuleContext, names: readonly string[]): FunctionFact[] {
  const wanted = new Set(names);
  return ctx.facts.functions.filter((f) => f.program.length > 0 && f.calls.some((c) => wanted.has(c.callee)));
}

/** The call of this view that starts at a violation's place. */
export function callAt(ctx: RuleContext, at: Violation['at']): CallFact | undefined {
  if (!at || at.file !== ctx.facts.path) return undefined;
  for (const fn of ctx.facts.functions) {
    for (const c of fn.calls) if (c.span.line === at.line && c.span.column === at.column) return c;
  }
  return undefined;
}

/** Violations of `kinds` across scenarios, in scenario order, each with the call it names. */
export function hitsOf(ctx: RuleContext, scenarios: readonly ScenarioResult[], kinds: readonly ViolationKind[]): Hit[] {
  const out: Hit[] = [];
  for (const scenario of scenarios) {
    for (const violation of scenario.violations) {
      if (kinds.includes(violation.kind)) out.push({ scenario, violation, call: callAt(ctx, violation.at) });
    }
  }
  return out;
}

/** The trace of a scenario up to and including the step of the violation. */
export function traceTo(hit: Hit): ScenarioResult['trace'] {
  return hit.scenario.trace.slice(0, hit.violation.stepIndex + 1);
}
