/**
 * Helpers shared by the tier-2a rules (OWN002–OWN026 of this owner) that src/rules/util.ts does not offer.
 * Pure functions over CFacts; the kernel behaviour itself stays in the simulation.
 */
import type { CallFact, Cond, DriverStructFact, FunctionFact, ImageSpan, Instr, ScenarioResult, TraceStep, ValueExpr } from '../core/types';
import type { RuleContext } from './types';
import { apiExists, callbackFunctions } from './util';

/** A use of some API class located in a function (or in a fragment whose function header is not visible). */
export interface Use {
  callee: string;
  span: ImageSpan;
  inFunction?: string;
}

function spanKey(s: ImageSpan): string {
  return `${s.line}:${s.column}`;
}

/** Uses (calls matching `test`) in the given functions plus, when `orphans` is set, the file-level list outside functions. */
export function usesIn(fns: readonly FunctionFact[], test: (callee: string) => boolean, fileLevel: readonly Use[], orphans: boolean): Use[] {
  const out = new Map<string, Use>();
  for (const fn of fns) {
    for (const c of fn.calls) if (test(c.callee)) out.set(spanKey(c.calleeSpan), { callee: c.callee, span: c.calleeSpan, inFunction: fn.name });
  }
  const names = new Set(fns.map((f) => f.name));
  for (const u of fileLevel) {
    if (!test(u.callee)) continue;
    if (u.inFunction !== undefined && !names.has(u.inFunction)) continue;
    if (u.inFunction === undefined && !orphans) continue;
    const k = spanKey(u.span);
    if (![...out.values()].some((o) => o.span.line === u.span.line && o.callee === u.callee)) out.set(k, u);
  }
  return [...out.values()].sort((a, b) => a.span.line - b.span.line || a.span.column - b.span.column);
}

/** Driver-struct fields that name data, not code (a missing definition for them hides nothing). */
const DATA_FIELD = /(^|\.)(id_table|\w*match_table|name|owner|pm|groups|dev_groups|err_handler|bus|mod_name|probe_type|suppress_bind_attrs)$/;

/** Callbacks wired up whose code is not in this file's facts (data fields such as id_table do not count). */
export function missingCallbacks(ctx: RuleContext, driver: DriverStructFact): { field: string; fn: string }[] {
  return callbackFunctions(ctx, driver).missing.filter((m) => !DATA_FIELD.test(m.field) && m.fn !== 'NULL');
}

/**
 * The functions whose code belongs to a driver struct: everything its callbacks reach. When the view is partial
 * (callbacks not visible) and the file holds a single driver, every function of the file is taken instead, and
 * `orphans` says that calls outside any visible function header count too.
 */
export function driverCode(ctx: RuleContext, driver: DriverStructFact): { functions: FunctionFact[]; orphans: boolean } {
  const cbs = callbackFunctions(ctx, driver);
  const partial = missingCallbacks(ctx, driver).length > 0 || cbs.incomplete.length > 0 || !driver.complete || !ctx.complete;
  if (partial && ctx.facts.drivers.length === 1) return { functions: ctx.facts.functions, orphans: true };
  return { functions: cbs.functions, orphans: false };
}

/** False only when the simulation knows the name and says it does not exist on the target. */
export function existsOn(ctx: RuleContext, name: string, arity?: number): boolean {
  return apiExists(name, ctx.target, arity) !== false;
}

/** Span order: true when `a` starts before `b`. */
export function before(a: ImageSpan, b: ImageSpan): boolean {
  return a.line < b.line || (a.line === b.line && a.column < b.column);
}

/** The name of the function a call sits in (also for fragments whose name comes from the hunk heading). */
export function fnNameOf(ctx: RuleContext, call: CallFact): string {
  return call.inFunction || ctx.facts.functions.find((f) => f.calls.includes(call))?.name || '(unnamed)';
}

/** The trace of a scenario up to and including the first step matching `pred` (undefined when none matches). */
export function traceUpTo(scenario: ScenarioResult, pred: (step: TraceStep) => boolean): TraceStep[] | undefined {
  const i = scenario.trace.findIndex(pred);
  return i < 0 ? undefined : scenario.trace.slice(0, i + 1);
}

// ───────────────────────────── conditions and values ─────────────────────────────

/** Every piece of text a condition looks at (variable names, called functions, unparsed text). */
export function condTexts(cond: Cond, fn: FunctionFact): string[] {
  switch (cond.kind) {
    case 'truthy':
    case 'isErr':
    case 'isErrOrNull':
      return [subjectText(cond.subject, fn)];
    case 'cmp':
      return [subjectText(cond.subject, fn), String(cond.rhs)];
    case 'not':
      return condTexts(cond.cond, fn);
    case 'and':
    case 'or':
      return [...condTexts(cond.left, fn), ...condTexts(cond.right, fn)];
    case 'const':
      return [];
    case 'unknown':
      return [cond.text];
  }
}

function subjectText(subject: { kind: 'var'; name: string } | { kind: 'call'; pc: number }, fn: FunctionFact): string {
  if (subject.kind === 'var') return subject.name;
  const instr = fn.program[subject.pc];
  return instr && instr.op === 'call' ? `${instr.call.callee}(${instr.call.args.map((a) => a.text).join(', ')})` : '';
}

export function valueTexts(value: ValueExpr | null, fn: FunctionFact): string[] {
  if (!value) return [];
  switch (value.kind) {
    case 'var':
      return [value.name];
    case 'call':
      return [subjectText({ kind: 'call', pc: value.pc }, fn)];
    case 'ptrErr':
      return [subjectText(value.subject, fn)];
    case 'errPtr':
      return valueTexts(value.value, fn);
    case 'unknown':
      return [value.text];
    default:
      return [];
  }
}

/** A word-boundary test for a C identifier or lvalue inside some text. */
export function mentionsName(text: string, name: string): boolean {
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9_])${esc}($|[^A-Za-z0-9_])`).test(text);
}

/** All texts of an instruction that read values (conditions, returns, call arguments, assigned values). */
export function readsOf(instr: Instr, fn: FunctionFact): string[] {
  switch (instr.op) {
    case 'branch':
      return condTexts(instr.cond, fn);
    case 'return':
      return valueTexts(instr.value, fn);
    case 'call':
      return instr.call.args.map((a) => a.text);
    case 'assign':
      return valueTexts(instr.value, fn);
    default:
      return [];
  }
}

// ───────────────────────────── scenarios ─────────────────────────────

/** The first scenario whose trace shows a step at `line` with an error, a WARN or a violation (the evidence to attach). */
export function scenarioAtLine(scenarios: readonly ScenarioResult[], line: number): ScenarioResult | undefined {
  for (const s of scenarios) {
    const hit = s.trace.findIndex((t) => t.at?.line === line && (t.warn !== undefined || /^-E|WARN/.test(t.result)));
    if (hit >= 0) return s;
    if (s.violations.some((v) => s.trace[v.stepIndex]?.at?.line === line)) return s;
  }
  return undefined;
}

/** Image lines of the patch for files other than the analysed one (added+context for post, removed+context for pre). */
export function otherFilesLines(ctx: RuleContext): string[] {
  if (!ctx.patch) return [];
  const wantKinds = ctx.facts.image === 'pre' ? new Set(['del', 'context']) : new Set(['add', 'context']);
  const out: string[] = [];
  for (const f of ctx.patch.files) {
    const p = f.newPath ?? f.oldPath ?? '';
    if (p === ctx.facts.path) continue;
    for (const h of f.hunks) for (const l of h.lines) if (wantKinds.has(l.kind)) out.push(l.text);
  }
  return out;
}
