/**
 * What a semantic rule asks the replay: the violations of some kinds in every replay of the file, each with the
 * scenario that shows it and the call it happened at. The replay (src/core/sim) decides; this only selects and
 * dedupes (one finding per call and kind), so rules stay small checkers (smatch's check_*.c, the analyzer's checkers).
 */
import type { CallFact, FunctionFact, ScenarioResult, TopologyKind, Violation, ViolationKind } from '../core/types';
import type { FunctionReplayOptions, RuleContext } from './types';
import { driversReaching } from '../core/c/call-graph';

export interface ReplayViolation {
  scenario: ScenarioResult;
  violation: Violation;
  /** The call of the analysed file the violation's step ran (undefined for end-of-scenario verdicts). */
  call?: CallFact;
  /** The function holding that call. */
  fn?: FunctionFact;
}

export interface ReplayQuery {
  kinds: readonly ViolationKind[];
  /** Topologies of the driver replays (default: singleton). */
  topologies?: readonly TopologyKind[];
  /**
   * APIs whose callers are replayed on their own when no driver callback of the file reaches them (hunks of a patch,
   * exported helpers): the replay starts from a fresh group there, so only kinds proven on the path itself are asked.
   */
  aloneCallers?: readonly string[];
  /** Replay the file's entry points with their release partners too (sim/lifecycle.ts). */
  lifecycle?: boolean;
  /** How callers replayed alone are run (a role, a start state, a default-domain kind); default: a generic function. */
  alone?: FunctionReplayOptions;
}

function safely<T>(run: () => T[]): T[] {
  try {
    return run();
  } catch {
    return []; // a replay that throws takes no rule down; the rule has no evidence then
  }
}

/** Every scenario the query asks for, drivers first (their whole lifecycle is the most faithful context). */
function scenariosFor(ctx: RuleContext, q: ReplayQuery): ScenarioResult[] {
  const topologies = q.topologies ?? ['singleton'];
  const out: ScenarioResult[] = [];
  for (const driver of ctx.facts.drivers) for (const t of topologies) out.push(...safely(() => ctx.sim.driverScenarios(driver, t)));
  if (q.lifecycle && ctx.sim.lifecycle) for (const t of topologies) for (const r of safely(() => ctx.sim.lifecycle!(t))) out.push(...r.scenarios);
  if (q.aloneCallers?.length) {
    const apis = new Set(q.aloneCallers);
    for (const fn of ctx.facts.functions) {
      if (!fn.calls.some((c) => apis.has(c.callee)) || driversReaching(ctx.facts, fn.name).length > 0) continue;
      for (const t of topologies) out.push(...safely(() => ctx.sim.functionScenarios(fn, t, q.alone)));
    }
  }
  return out;
}

/** The call a violation's step ran: same place and callee. */
function callAt(ctx: RuleContext, v: Violation): { call?: CallFact; fn?: FunctionFact } {
  if (!v.at || v.at.file !== ctx.facts.path) return {};
  for (const fn of ctx.facts.functions) {
    const call = fn.calls.find((c) => c.span.line === v.at!.line && c.span.column === v.at!.column && (!v.api || c.callee === v.api))
      ?? fn.calls.find((c) => c.calleeSpan.line === v.at!.line && (!v.api || c.callee === v.api));
    if (call) return { call, fn };
  }
  return {};
}

/** The violations of the asked kinds, one per (kind, place), with the scenario that first showed each. */
export function replayViolations(ctx: RuleContext, q: ReplayQuery): ReplayViolation[] {
  const seen = new Set<string>();
  const out: ReplayViolation[] = [];
  for (const scenario of scenariosFor(ctx, q)) {
    for (const violation of scenario.violations) {
      if (!q.kinds.includes(violation.kind)) continue;
      const key = `${violation.kind}\u0000${violation.at?.line ?? ''}\u0000${violation.at?.column ?? ''}\u0000${violation.at ? '' : violation.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ scenario, violation, ...callAt(ctx, violation) });
    }
  }
  return out;
}

/** The text of a call's argument (for a message), '?' when absent. */
export function argOf(call: CallFact | undefined, i: number): string {
  return call?.args[i]?.text.replace(/\s+/g, ' ') ?? '?';
}

/** The violations of `kinds` in replays of `fns` run alone with `options` (one per kind and place). */
export function replayViolationsOf(ctx: RuleContext, fns: readonly FunctionFact[], topology: TopologyKind, options: FunctionReplayOptions, kinds: readonly ViolationKind[]): ReplayViolation[] {
  const seen = new Set<string>();
  const out: ReplayViolation[] = [];
  for (const fn of fns) {
    for (const scenario of safely(() => ctx.sim.functionScenarios(fn, topology, options))) {
      for (const violation of scenario.violations) {
        if (!kinds.includes(violation.kind)) continue;
        const key = `${violation.kind}\u0000${violation.at?.line ?? ''}\u0000${violation.at?.column ?? ''}\u0000${violation.at ? '' : violation.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ scenario, violation, ...callAt(ctx, violation) });
      }
    }
  }
  return out;
}
