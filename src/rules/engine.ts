/**
 * The rule engine: builds a RuleContext over one image's facts, runs the rules that apply to the target,
 * and collects their Reports. Locations stay in image coordinates here; analyze() maps them to the user's file.
 */
import type { CFacts, DriverStructFact, FunctionFact, ImageSpan, KernelTarget, Patch, ScenarioResult, Severity, SeverityOverride, TopologyKind } from '../core/types';
import { simulateDriver, simulateFunction, simulateLifecycle, type LifecycleResult } from '../core/sim';
import type { FunctionReplayOptions, Report, Rule, RuleContext, SimQueries } from './types';

/** Simulation answers memoised per (driver, topology) and (function, topology) for one file's facts. */
export function createSimQueries(target: KernelTarget, facts: CFacts): SimQueries {
  const driverMemo = new Map<string, ScenarioResult[]>();
  const fnMemo = new Map<string, ScenarioResult[]>();
  const lifecycleMemo = new Map<TopologyKind, LifecycleResult[]>();
  return {
    lifecycle(topology: TopologyKind): LifecycleResult[] {
      const hit = lifecycleMemo.get(topology);
      if (hit) return hit;
      const r = simulateLifecycle({ target, facts, topology });
      lifecycleMemo.set(topology, r);
      return r;
    },
    driverScenarios(driver: DriverStructFact, topology: TopologyKind): ScenarioResult[] {
      const k = `${driver.name}\u0000${driver.nameSpan.line}\u0000${driver.managedDma.state}\u0000${topology}`;
      const hit = driverMemo.get(k);
      if (hit) return hit;
      const r: ScenarioResult[] = simulateDriver({ target, driver, facts, topology });
      driverMemo.set(k, r);
      return r;
    },
    functionScenarios(fn: FunctionFact, topology: TopologyKind, options?: FunctionReplayOptions): ScenarioResult[] {
      const k = `${fn.name}\u0000${fn.nameSpan.line}\u0000${topology}${options ? `\u0000${JSON.stringify(options)}` : ''}`;
      const hit = fnMemo.get(k);
      if (hit) return hit;
      const r: ScenarioResult[] = simulateFunction({ target, fn, facts, topology, ...options });
      fnMemo.set(k, r);
      return r;
    },
  };
}

export interface EngineInput {
  target: KernelTarget;
  facts: CFacts;
  pre?: CFacts;
  patch?: Patch;
  isCoreOrBusCode: boolean;
  sim?: SimQueries;
}

export interface RuleReport {
  rule: Rule;
  report: Report;
}

export interface EngineResult {
  reports: RuleReport[];
  /** Rules that threw: the engine carries on with the others. */
  errors: { rule: string; message: string }[];
}

export function ruleAppliesTo(rule: Rule, target: KernelTarget): boolean {
  return !rule.meta.targets || rule.meta.targets.includes(target);
}

/** The added lines of each image as a set, made once: rules ask per call, and a patch can add 10^5 lines. */
const addedLineSets = new WeakMap<CFacts, Set<number>>();

function spanAdded(facts: CFacts, span: ImageSpan): boolean {
  if (facts.image === 'file') return true;
  let added = addedLineSets.get(facts);
  if (!added) {
    added = new Set(facts.addedLines);
    addedLineSets.set(facts, added);
  }
  for (let l = span.line; l <= Math.max(span.line, span.endLine); l++) if (added.has(l)) return true;
  return false;
}

export function createContext(input: EngineInput, report: (r: Report) => void): RuleContext {
  const { facts } = input;
  const byName = new Map<string, FunctionFact>();
  for (const f of facts.functions) if (!byName.has(f.name)) byName.set(f.name, f);
  return {
    target: input.target,
    facts,
    pre: input.pre,
    patch: input.patch,
    isCoreOrBusCode: input.isCoreOrBusCode,
    complete: facts.complete,
    sim: input.sim ?? createSimQueries(input.target, facts),
    isAdded: (span) => spanAdded(facts, span),
    functionByName: (name) => byName.get(name),
    report,
  };
}

/** Runs every applicable rule over one image; never throws. */
export function runRules(rules: readonly Rule[], input: EngineInput): EngineResult {
  const reports: RuleReport[] = [];
  const errors: { rule: string; message: string }[] = [];
  const sim = input.sim ?? createSimQueries(input.target, input.facts);
  for (const rule of rules) {
    if (!ruleAppliesTo(rule, input.target)) continue;
    const ctx = createContext({ ...input, sim }, (report) => reports.push({ rule, report }));
    try {
      rule.check(ctx);
    } catch (e) {
      errors.push({ rule: rule.meta.name, message: e instanceof Error ? e.message : String(e) });
    }
  }
  return { reports, errors };
}

/**
 * Severity: the user's override (by name or code) replaces the default; 'off' drops the finding. A finding built
 * on code the rule could not see stays 'info' whatever the override (spec: partial facts never raise an error).
 */
export function resolveSeverity(rule: Rule, report: Report, overrides?: Record<string, SeverityOverride>): Severity | undefined {
  const user = overrides?.[rule.meta.name] ?? overrides?.[rule.meta.code] ?? overrides?.[rule.meta.code.toLowerCase()];
  if (user === 'off') return undefined;
  if (report.unseen) return 'info';
  return user ?? rule.meta.defaultSeverity;
}
