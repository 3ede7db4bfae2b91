/**
 * Asking the replay and picking what a finding shows: scenarios of a driver or function (through ctx.sim), the
 * violation a rule selects, the trace cut at it, and the call fact at a step's place.
 */
import type { CallFact, DriverStructFact, FunctionFact, ImageSpan, ScenarioResult, TopologyKind, TraceStep, Violation, ViolationKind } from '../core/types';
import { simulateFunction } from '../core/sim';
import type { RuleContext } from './types';

export const DEFAULT_TOPOLOGIES: readonly TopologyKind[] = ['singleton', 'shared-dma-api', 'user-owned'];

/** The first violation (of one of `kinds`, or any) across the scenarios, with its scenario. */
export function firstViolation(
  scenarios: readonly ScenarioResult[],
  kinds?: readonly ViolationKind[],
): { scenario: ScenarioResult; violation: Violation } | undefined {
  for (const scenario of scenarios) {
    for (const violation of scenario.violations) {
      if (!kinds || kinds.includes(violation.kind)) return { scenario, violation };
    }
  }
  return undefined;
}

/** Scenarios of a driver over several topologies, flattened (memoised by ctx.sim). */
export function driverScenarios(ctx: RuleContext, driver: DriverStructFact, topologies: readonly TopologyKind[] = DEFAULT_TOPOLOGIES): ScenarioResult[] {
  const out: ScenarioResult[] = [];
  for (const t of topologies) {
    try {
      out.push(...ctx.sim.driverScenarios(driver, t));
    } catch {
      // A simulation failure must not take the other rules down; the rule simply gets no evidence.
    }
  }
  return out;
}

/** Scenarios of one function replayed on its own. */
export function functionScenarios(ctx: RuleContext, fn: FunctionFact, topologies: readonly TopologyKind[] = ['singleton']): ScenarioResult[] {
  const out: ScenarioResult[] = [];
  for (const t of topologies) {
    try {
      out.push(...ctx.sim.functionScenarios(fn, t));
    } catch {
      // see driverScenarios
    }
  }
  return out;
}

/** The trace of a scenario, up to and including the step that shows its first violation (whole trace otherwise). */
export function traceOf(scenario: ScenarioResult, violation?: Violation): TraceStep[] {
  const v = violation ?? scenario.violations[0];
  if (!v || v.stepIndex < 0 || v.stepIndex >= scenario.trace.length) return scenario.trace;
  return scenario.trace.slice(0, v.stepIndex + 1);
}

/** The trace step that runs a call at this image position (to find "the claim in probe failed with -EPERM"). */
export function stepAt(scenario: ScenarioResult, span: ImageSpan): TraceStep | undefined {
  return scenario.trace.find((s) => s.at !== undefined && s.at.line === span.line);
}

/** The call fact at a trace step (same image line; matching callee when given). */
export function callAtStep(ctx: RuleContext, step: TraceStep | undefined, callee?: string | readonly string[]): CallFact | undefined {
  if (!step?.at) return undefined;
  const wanted = callee === undefined ? undefined : new Set(typeof callee === 'string' ? [callee] : callee);
  for (const fn of ctx.facts.functions) {
    for (const c of fn.calls) {
      if (c.span.line !== step.at.line && c.calleeSpan.line !== step.at.line) continue;
      if (!wanted || wanted.has(c.callee)) return c;
    }
  }
  return undefined;
}

/** The violation's step of a scenario. */
export function violationStep(scenario: ScenarioResult, violation: Violation): TraceStep | undefined {
  return scenario.trace[violation.stepIndex];
}

/** Scenarios that mention one of the API names in any step (evidence the replay actually ran the calls). */
export function scenariosMentioning(scenarios: readonly ScenarioResult[], names: readonly string[]): ScenarioResult[] {
  return scenarios.filter((s) => s.trace.some((t) => names.some((n) => t.step.includes(n))));
}

/**
 * Replays a bus hook (dma_configure / dma_cleanup) with a bound driver whose flag is given.
 * Not memoised (bus files have one or two hooks).
 */
export function hookScenarios(
  ctx: RuleContext,
  fn: FunctionFact,
  role: 'dma_configure' | 'dma_cleanup',
  driverManagedDma: boolean,
  topology: TopologyKind = 'singleton',
): ScenarioResult[] {
  try {
    return simulateFunction({ target: ctx.target, fn, facts: ctx.facts, topology, role: { kind: role, driverManagedDma } });
  } catch {
    return [];
  }
}

/** A scenario's name for a message: its return line named with the file ("probe fails at main.c:57"), from `exit`. */
export function scenarioLabel(ctx: RuleContext, s: ScenarioResult): string {
  const line = s.exit?.returnLine;
  if (line === undefined) return s.name;
  const base = ctx.facts.path.replace(/\\/g, '/').split('/').pop() ?? ctx.facts.path;
  return s.name.split(`at line ${line}`).join(`at ${base}:${line}`);
}

/** The last call of `names` a scenario's trace went through (the acquisition its violation is about), else `fallback`. */
export function acquisitionOnPath(ctx: RuleContext, s: ScenarioResult, names: readonly string[], fallback: CallFact): CallFact {
  for (let i = s.trace.length - 1; i >= 0; i--) {
    const c = callAtStep(ctx, s.trace[i], names);
    if (c) return c;
  }
  return fallback;
}
