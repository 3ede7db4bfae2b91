/**
 * Helpers for the tier-2b rules (attach/detach pairing, PASID order, probe-defer handling).
 * Two things live here: how two C expressions can be told to name the same object (a domain, a PASID, a device),
 * and a feasible-path walk over a FunctionFact program that keeps the outcome of each fallible IOMMU call
 * consistent with the conditions that later test it (so an error branch is only taken when that call failed).
 * Neither re-derives kernel behaviour: the walk only orders calls; what the kernel does with them is the simulation's.
 */
import type { CallFact, Cond, FunctionFact, ImageSpan, Instr, ScenarioResult, Subject, TraceStep, ValueExpr } from '../core/types';
import type { RuleContext } from './types';
import { driverScenarios, driversReaching, functionScenarios } from './util';
import { headingNameAt } from '../core/c/hunk-headings';

// ───────────────────────────── expression identity ─────────────────────────────

/**
 * What an expression names, for comparison:
 *   field — a member access: identity is the last member (`priv->domain`, `ctx->dom.pasid`) and survives across functions;
 *   var   — a plain local/parameter: identity holds within one function only;
 *   const — a literal or an upper-case macro (`0`, `IOMMU_NO_PASID`);
 *   other — anything else (calls, arithmetic): never compared.
 */
export interface ExprKey {
  kind: 'field' | 'var' | 'const' | 'other';
  id: string;
}

export function exprKey(text: string | undefined): ExprKey {
  if (text === undefined) return { kind: 'other', id: '' };
  let t = text.replace(/\s+/g, '');
  // Casts and redundant parentheses do not change what is named.
  t = t.replace(/^\((?:const)?(?:struct)?\w+\*?\)/, '');
  while (/^\(.*\)$/.test(t) && balanced(t.slice(1, -1))) t = t.slice(1, -1);
  t = t.replace(/^&/, '');
  if (/^-?(0[xX][0-9a-fA-F]+|\d+)[uUlL]*$/.test(t) || /^[A-Z][A-Z0-9_]*$/.test(t)) return { kind: 'const', id: t };
  if (/^[A-Za-z_]\w*$/.test(t)) return { kind: 'var', id: t };
  const member = /^[A-Za-z_][\w]*(?:(?:->|\.)[A-Za-z_]\w*|\[[^\]]*\])*(?:->|\.)([A-Za-z_]\w*)$/.exec(t);
  if (member) return { kind: 'field', id: member[1] };
  return { kind: 'other', id: t };
}

function balanced(s: string): boolean {
  let depth = 0;
  for (const ch of s) {
    if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

/** Same object for sure / different for sure / cannot tell. */
export type Sameness = 'same' | 'different' | 'unknown';

/**
 * Compares two expressions. `sameFunction` allows locals to be compared (a local in another function is a different
 * variable that may hold the same pointer, so across functions only fields and constants are compared).
 */
export function compareExpr(a: string | undefined, b: string | undefined, sameFunction: boolean): Sameness {
  const ka = exprKey(a);
  const kb = exprKey(b);
  // Calls, arithmetic and indexed elements (`domains[i]` in an unwind loop) may name a different object each time.
  if (ka.kind === 'other' || kb.kind === 'other') return 'unknown';
  if (ka.kind === kb.kind && ka.id === kb.id) return ka.kind === 'var' && !sameFunction ? 'unknown' : 'same';
  if (ka.kind !== kb.kind) return 'unknown';
  if (ka.kind === 'var' && !sameFunction) return 'unknown';
  return 'different';
}

/**
 * The device a `struct device *` expression names: the driver's own device (`dev`, `&pdev->dev`, `priv->dev`) is
 * 'self'; another member names another device (`hc->ctx_dev`); a local other than `dev` is only itself.
 */
export function deviceKey(text: string | undefined): string {
  const k = exprKey(text);
  if ((k.kind === 'field' || k.kind === 'var') && k.id === 'dev') return 'self';
  return `${k.kind}:${k.id}`;
}

export function sameDevice(a: string | undefined, b: string | undefined): boolean {
  return deviceKey(a) === deviceKey(b);
}

// ───────────────────────────── feasible paths ─────────────────────────────

/** Calls whose int result is 0 on success and a negative errno on failure: the walk forks on them. */
export const INT_RESULT_CALLS = new Set([
  'iommu_attach_device',
  'iommu_attach_group',
  'iommu_attach_device_pasid',
  'iommu_group_claim_dma_owner',
  'iommu_device_claim_dma_owner',
  'iommu_device_use_default_domain',
  'iommufd_device_bind',
]);
/** Calls returning a pointer or ERR_PTR. */
export const ERR_PTR_CALLS = new Set(['iommu_sva_bind_device']);

export type Outcome = 'ok' | 'fail' | 'unknown';

export type PathEvent =
  | { kind: 'call'; pc: number; call: CallFact; outcome: Outcome }
  | { kind: 'branch'; pc: number; cond: Cond; taken: boolean; decided: boolean; span: ImageSpan }
  | { kind: 'return'; pc: number; value: ValueExpr | null; span: ImageSpan }
  /** Code the patch does not show: anything may happen there. */
  | { kind: 'gap'; pc: number; span: ImageSpan };

export interface ExecPath {
  events: PathEvent[];
  /** 'cut' when a limit stopped the walk (loops, path explosion). */
  end: 'return' | 'end' | 'cut';
}

interface WalkState {
  pc: number;
  events: PathEvent[];
  /** variable → pc of the call whose result it holds */
  env: Map<string, number>;
  outcomes: Map<number, Outcome>;
  visits: Map<number, number>;
}

const MAX_PATHS = 256;
const MAX_STEPS = 4000;
const MAX_VISITS = 2;

/** Paths per function object: several rules walk the same function in one analysis. */
const pathCache = new WeakMap<FunctionFact, ExecPath[]>();

/** Every feasible path through a function's program (bounded), with call outcomes kept consistent. */
export function feasiblePaths(fn: FunctionFact): ExecPath[] {
  const cached = pathCache.get(fn);
  if (cached) return cached;
  const paths = walkPaths(fn);
  pathCache.set(fn, paths);
  return paths;
}

function walkPaths(fn: FunctionFact): ExecPath[] {
  const program = fn.program;
  const done: ExecPath[] = [];
  const work: WalkState[] = [{ pc: 0, events: [], env: new Map(), outcomes: new Map(), visits: new Map() }];
  let steps = 0;
  while (work.length > 0) {
    const st = work.pop()!;
    let finished = false;
    while (!finished) {
      if (++steps > MAX_STEPS || done.length + work.length > MAX_PATHS) {
        done.push({ events: st.events, end: 'cut' });
        finished = true;
        break;
      }
      if (st.pc < 0 || st.pc >= program.length) {
        done.push({ events: st.events, end: 'end' });
        break;
      }
      const seen = (st.visits.get(st.pc) ?? 0) + 1;
      if (seen > MAX_VISITS) {
        done.push({ events: st.events, end: 'cut' });
        break;
      }
      st.visits.set(st.pc, seen);
      const instr: Instr = program[st.pc];
      switch (instr.op) {
        case 'call': {
          const callee = instr.call.callee;
          const target = instr.assignTo ?? instr.call.assignedTo;
          const fallible = INT_RESULT_CALLS.has(callee) || ERR_PTR_CALLS.has(callee);
          if (fallible) {
            const alt = fork(st);
            record(alt, st.pc, instr.call, 'fail', target);
            alt.pc = st.pc + 1;
            work.push(alt);
            record(st, st.pc, instr.call, 'ok', target);
          } else {
            record(st, st.pc, instr.call, 'unknown', target);
          }
          st.pc += 1;
          break;
        }
        case 'assign':
          st.env.delete(instr.target);
          st.pc += 1;
          break;
        case 'branch': {
          const value = evalCond(instr.cond, st, program);
          if (value === undefined) {
            const alt = fork(st);
            alt.events.push({ kind: 'branch', pc: st.pc, cond: instr.cond, taken: true, decided: false, span: instr.span });
            alt.pc = instr.target;
            work.push(alt);
            st.events.push({ kind: 'branch', pc: st.pc, cond: instr.cond, taken: false, decided: false, span: instr.span });
            st.pc += 1;
          } else {
            st.events.push({ kind: 'branch', pc: st.pc, cond: instr.cond, taken: value, decided: true, span: instr.span });
            st.pc = value ? instr.target : st.pc + 1;
          }
          break;
        }
        case 'jump':
          st.pc = instr.target;
          break;
        case 'return':
          st.events.push({ kind: 'return', pc: st.pc, value: instr.value, span: instr.span });
          done.push({ events: st.events, end: 'return' });
          finished = true;
          break;
        case 'gap':
          st.events.push({ kind: 'gap', pc: st.pc, span: instr.span });
          st.env.clear(); // unseen code may assign any variable
          st.pc += 1;
          break;
        case 'label':
          st.pc += 1;
          break;
      }
    }
  }
  return done;
}

function fork(st: WalkState): WalkState {
  return { pc: st.pc, events: [...st.events], env: new Map(st.env), outcomes: new Map(st.outcomes), visits: new Map(st.visits) };
}

function record(st: WalkState, pc: number, call: CallFact, outcome: Outcome, target: string | undefined): void {
  st.events.push({ kind: 'call', pc, call, outcome });
  st.outcomes.set(pc, outcome);
  if (target) st.env.set(target, pc);
}

function subjectPc(subject: Subject, st: WalkState): number | undefined {
  return subject.kind === 'call' ? subject.pc : st.env.get(subject.name);
}

function calleeAt(program: Instr[], pc: number): string | undefined {
  const instr = program[pc];
  return instr && instr.op === 'call' ? instr.call.callee : undefined;
}

function errnoNumber(rhs: number | string): number | undefined {
  if (typeof rhs === 'number') return rhs;
  const m = /^-?\(?-?([A-Z][A-Z0-9_]*)\)?$/.exec(rhs.replace(/\s+/g, ''));
  if (!m) return undefined;
  const known: Record<string, number> = { EBUSY: 16, EPERM: 1, EINVAL: 22, ENODEV: 19, ENOMEM: 12, EPROBE_DEFER: 517, EOPNOTSUPP: 95 };
  const n = known[m[1]];
  return n === undefined ? undefined : rhs.trim().startsWith('-') ? -n : n;
}

/** Three-valued evaluation of a condition against the chosen call outcomes (undefined = cannot tell). */
function evalCond(cond: Cond, st: WalkState, program: Instr[]): boolean | undefined {
  switch (cond.kind) {
    case 'const':
      return cond.value;
    case 'not': {
      const v = evalCond(cond.cond, st, program);
      return v === undefined ? undefined : !v;
    }
    case 'and': {
      const l = evalCond(cond.left, st, program);
      const r = evalCond(cond.right, st, program);
      if (l === false || r === false) return false;
      return l === true && r === true ? true : undefined;
    }
    case 'or': {
      const l = evalCond(cond.left, st, program);
      const r = evalCond(cond.right, st, program);
      if (l === true || r === true) return true;
      return l === false && r === false ? false : undefined;
    }
    case 'unknown':
      return undefined;
    case 'truthy':
    case 'isErr':
    case 'isErrOrNull':
    case 'cmp': {
      const pc = subjectPc(cond.subject, st);
      if (pc === undefined) return undefined;
      const outcome = st.outcomes.get(pc);
      const callee = calleeAt(program, pc);
      if (!outcome || outcome === 'unknown' || !callee) return undefined;
      if (ERR_PTR_CALLS.has(callee)) {
        if (cond.kind === 'isErr' || cond.kind === 'isErrOrNull') return outcome === 'fail';
        if (cond.kind === 'truthy') return true;
        return undefined;
      }
      if (!INT_RESULT_CALLS.has(callee)) return undefined;
      // int result: 0 on success, some negative errno on failure.
      if (cond.kind === 'truthy') return outcome === 'fail';
      if (cond.kind !== 'cmp') return undefined;
      const rhs = errnoNumber(cond.rhs);
      if (rhs === undefined) return undefined;
      if (outcome === 'ok') return compare(0, cond.op, rhs);
      if (rhs === 0) {
        if (cond.op === '<' || cond.op === '!=' || cond.op === '<=') return true;
        if (cond.op === '==' || cond.op === '>=' || cond.op === '>') return false;
      }
      if (rhs > 0) {
        if (cond.op === '<' || cond.op === '<=' || cond.op === '!=') return true;
        if (cond.op === '>' || cond.op === '>=' || cond.op === '==') return false;
      }
      return undefined; // a failure compared with one particular errno: either way
    }
  }
}

function compare(a: number, op: '<' | '<=' | '==' | '!=' | '>' | '>=', b: number): boolean {
  switch (op) {
    case '<': return a < b;
    case '<=': return a <= b;
    case '==': return a === b;
    case '!=': return a !== b;
    case '>': return a > b;
    case '>=': return a >= b;
  }
}

/**
 * What a rule could not see between two events of a path (event indices, exclusive): the unseen lines of the first
 * gap there, as an `unseen` text, or undefined when everything in between is visible.
 */
export function unseenBetween(path: ExecPath, from: number, to: number, fnLabel: string): string | undefined {
  for (let i = from + 1; i < to && i < path.events.length; i++) {
    const e = path.events[i];
    if (e.kind === 'gap') return `lines ${e.span.line}–${e.span.endLine} of ${fnLabel}() are not in the patch`;
  }
  return undefined;
}

/** The call events of a path, in order. */
export function callEvents(path: ExecPath): { pc: number; call: CallFact; outcome: Outcome }[] {
  const out: { pc: number; call: CallFact; outcome: Outcome }[] = [];
  for (const e of path.events) if (e.kind === 'call') out.push(e);
  return out;
}

/** True when a condition looks at variable `name` (or at the call at `pc`). */
export function condMentions(cond: Cond, name: string | undefined, pc?: number): boolean {
  switch (cond.kind) {
    case 'not':
      return condMentions(cond.cond, name, pc);
    case 'and':
    case 'or':
      return condMentions(cond.left, name, pc) || condMentions(cond.right, name, pc);
    case 'const':
      return false;
    case 'unknown':
      return name !== undefined && new RegExp(`(^|[^\\w>.])${escapeRe(name)}($|[^\\w])`).test(cond.text);
    default:
      if (cond.subject.kind === 'call') return pc !== undefined && cond.subject.pc === pc;
      return cond.subject.name === name || (cond.kind === 'cmp' && typeof cond.rhs === 'string' && cond.rhs === name);
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
}

// ───────────────────────────── evidence ─────────────────────────────

/** A trace step for a call of the analysed file. */
export function stepFor(ctx: RuleContext, call: CallFact, phase: string, result: string, note?: string): TraceStep {
  const args = call.args.map((a) => a.text.replace(/\s+/g, ' ')).join(', ');
  return {
    step: `${phase}: ${call.inFunction ? `${call.inFunction}() → ` : ''}${call.callee}(${args})${note ? ` — ${note}` : ''}`,
    result,
    at: { file: ctx.facts.path, line: call.calleeSpan.line, column: call.calleeSpan.column },
    phase,
  };
}

/**
 * The simulated scenario that shows a violation at the call at `span`: first the full driver lifecycle
 * (bind → probe → remove → unbind) of each driver whose callbacks reach `fn`, then — only when `selfContained`
 * (everything that sets up the failure happens inside `fn`) — `fn` replayed on its own. A function replayed alone
 * starts from a fresh group, so for state set up elsewhere its verdict would name the wrong cause.
 */
export function scenarioAtCall(ctx: RuleContext, fn: FunctionFact | undefined, span: ImageSpan, api: string, selfContained = true): ScenarioResult | undefined {
  if (!fn) return undefined;
  const atCall = (s: ScenarioResult) =>
    s.violations.some((v) => {
      const step = s.trace[v.stepIndex];
      return step?.at?.line === span.line && step.step.includes(api);
    });
  for (const driver of driversReaching(ctx, fn.name)) {
    const hit = driverScenarios(ctx, driver, ['singleton']).find(atCall);
    if (hit) return hit;
  }
  return selfContained ? functionScenarios(ctx, fn, ['singleton']).find(atCall) : undefined;
}

/** Functions of the file that contain a call to one of `names`. */
export function functionsCalling(ctx: RuleContext, names: ReadonlySet<string>): FunctionFact[] {
  return ctx.facts.functions.filter((f) => f.calls.some((c) => names.has(c.callee)));
}

export function argText(call: CallFact, i: number): string | undefined {
  return call.args[i]?.text;
}

/** The function holding a call (by name, or by position when a hunk fragment left the name unknown). */
export function functionOf(ctx: RuleContext, call: CallFact): FunctionFact | undefined {
  if (call.inFunction) {
    const byName = ctx.functionByName(call.inFunction);
    if (byName) return byName;
  }
  const same = (c: CallFact) => c.calleeSpan.line === call.calleeSpan.line && c.calleeSpan.column === call.calleeSpan.column;
  return ctx.facts.functions.find((f) => f.calls.some(same));
}

/**
 * A name for messages and keys: the function's own name, else the one git put in the hunk header
 * (`@@ ... @@ static int foo_probe(...)`) for a fragment whose opening line the patch does not show.
 */
export function functionLabel(ctx: RuleContext, fn: FunctionFact | undefined, call?: CallFact): string {
  if (fn?.name) return fn.name;
  if (call?.inFunction) return call.inFunction;
  const line = call?.calleeSpan.line ?? fn?.span.line;
  if (line !== undefined && ctx.patch) {
    for (const file of ctx.patch.files) {
      if (file.newPath !== ctx.facts.path && file.oldPath !== ctx.facts.path) continue;
      const name = headingNameAt(file, line, ctx.facts.image === 'pre' ? 'pre' : 'post');
      if (name) return name;
    }
  }
  return 'the patched function';
}
