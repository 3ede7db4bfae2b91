/**
 * The pc-based interpreter of FunctionFact programs: conditions (three-valued, forking and refining), values,
 * calls (kernel APIs, inlined helpers, devm actions) and devres release.
 */
import type { ArgFact, Cond, FunctionFact, Instr, Subject, ValueExpr } from '../types';
import {
  ERRNO, assertNever, domainName, errnoText, groupOf, isFailureValue, parseErrno, restoreCoreDomain, valueText, type Kernel, type SimValue,
} from './model';
import { Tracer, placeText, type At } from './trace';
import { HANDLERS, OWNERSHIP_APIS, deviceGroup, forksOnFailure, simulatedOn } from './api-calls';
import {
  MAX_DEPTH, MAX_STEPS, clonePath, evalArg, hintFor, known, lookupVar, normText, setVar, top, unknown, validPtr,
  type DevresEntry, type EnvVal, type Frame, type Path, type RunContext, type RunResult, type TypeHint,
} from './env';

/** Calls that hand the device to user space (VFIO / iommufd): a bound driver that makes them expects VFIO to claim the group. */
export const USER_HANDOFF_CALLS = new Set(['vfio_register_group_dev', 'vfio_pci_core_register_device', 'iommufd_device_bind']);

// ───────────── conditions ─────────────
function subjectVal(p: Path, ctx: RunContext, s: Subject): EnvVal | undefined {
  return s.kind === 'var' ? lookupVar(p, ctx, s.name) : top(p).calls.get(s.pc);
}

function rhsValue(rhs: number | string): number | 'null' | undefined {
  if (typeof rhs === 'number') return rhs;
  const n = normText(rhs);
  if (n === 'NULL') return 'null';
  return parseErrno(n);
}

function compare(a: number, op: string, b: number): boolean {
  switch (op) {
    case '<': return a < b;
    case '<=': return a <= b;
    case '==': return a === b;
    case '!=': return a !== b;
    case '>': return a > b;
    default: return a >= b;
  }
}

function evalCond(p: Path, ctx: RunContext, c: Cond): boolean | undefined {
  switch (c.kind) {
    case 'const': return c.value;
    case 'unknown': return undefined;
    case 'not': {
      const v = evalCond(p, ctx, c.cond);
      return v === undefined ? undefined : !v;
    }
    case 'and': {
      const l = evalCond(p, ctx, c.left);
      if (l === false) return false;
      const r = evalCond(p, ctx, c.right);
      if (r === false) return false;
      return l === true && r === true ? true : undefined;
    }
    case 'or': {
      const l = evalCond(p, ctx, c.left);
      if (l === true) return true;
      const r = evalCond(p, ctx, c.right);
      if (r === true) return true;
      return l === false && r === false ? false : undefined;
    }
    case 'truthy': case 'isErr': case 'isErrOrNull': case 'cmp': {
      const v = subjectVal(p, ctx, c.subject);
      if (!v || v.kind !== 'known') return undefined;
      const val = v.value;
      if (c.kind === 'truthy') {
        switch (val.kind) {
          case 'int': return val.value !== 0;
          case 'bool': return val.value;
          case 'ptr': return val.ptr.kind !== 'null';
          case 'void': return undefined;
          default: return assertNever(val);
        }
      }
      if (c.kind === 'isErr') return val.kind === 'ptr' ? val.ptr.kind === 'err' : undefined;
      if (c.kind === 'isErrOrNull') return val.kind === 'ptr' ? val.ptr.kind !== 'valid' : undefined;
      const rhs = rhsValue(c.rhs);
      if (val.kind === 'ptr' && (rhs === 'null' || rhs === 0) && (c.op === '==' || c.op === '!=')) {
        return (val.ptr.kind === 'null') === (c.op === '==');
      }
      const num = val.kind === 'int' ? val.value : val.kind === 'bool' ? Number(val.value) : undefined;
      return num !== undefined && typeof rhs === 'number' ? compare(num, c.op, rhs) : undefined;
    }
  }
}

/** A value the replay assumed for an unknown subject at a fork (shown in the trace). */
interface Assumption { subject: string; origin?: string; value: SimValue; failure: boolean }

/** Gives an unknown subject a value that makes the condition `truth`; returns true when that value is a failure. */
function refine(p: Path, ctx: RunContext, c: Cond, truth: boolean, seen: Assumption[] = []): boolean {
  switch (c.kind) {
    case 'const': case 'unknown': return false;
    case 'not': return refine(p, ctx, c.cond, !truth, seen);
    case 'and': {
      if (truth) return refine(p, ctx, c.left, true, seen) || refine(p, ctx, c.right, true, seen);
      return evalCond(p, ctx, c.left) === undefined ? refine(p, ctx, c.left, false, seen) : refine(p, ctx, c.right, false, seen);
    }
    case 'or': {
      if (!truth) return refine(p, ctx, c.left, false, seen) || refine(p, ctx, c.right, false, seen);
      return evalCond(p, ctx, c.left) === undefined ? refine(p, ctx, c.left, true, seen) : refine(p, ctx, c.right, true, seen);
    }
    default: {
      const cur = subjectVal(p, ctx, c.subject);
      if (cur?.kind === 'known') return false;
      let hint: TypeHint = cur?.kind === 'unknown' ? cur.hint : 'unknown';
      const rhs = c.kind === 'cmp' ? rhsValue(c.rhs) : undefined;
      // Comparing with another lvalue tells nothing about the subject's value: leave it unknown.
      if (c.kind === 'cmp' && rhs === undefined) return false;
      if (c.kind === 'isErr' || c.kind === 'isErrOrNull' || rhs === 'null') hint = 'ptr';
      if (hint === 'unknown') hint = 'int';
      const value = refinedValue(c, truth, hint, rhs);
      setSubject(p, c.subject, known(value));
      seen.push({ subject: subjectText(p, c.subject), origin: originOf(p, c.subject, cur), value, failure: isFailureValue(value) });
      return isFailureValue(value);
    }
  }
}

function subjectText(p: Path, s: Subject): string {
  if (s.kind === 'var') return s.name;
  const instr = top(p).fn.program[s.pc];
  return instr?.op === 'call' ? `${instr.call.callee}()` : 'a call';
}

/** The call whose unknown result the subject holds (`ret = foo_hw_init(x)` → foo_hw_init), when known. */
function originOf(p: Path, s: Subject, cur: EnvVal | undefined): string | undefined {
  if (s.kind === 'call') {
    const instr = top(p).fn.program[s.pc];
    return instr?.op === 'call' ? instr.call.callee : undefined;
  }
  if (cur?.kind === 'unknown' && /^[A-Za-z_]\w*$/.test(cur.text) && cur.text !== normText(s.name)) {
    // Unknown call results carry the callee's name; parameters and lvalues carry their own text.
    const f = top(p);
    if (f.fn.params.some((param) => param.name === cur.text)) return undefined;
    if (f.fn.program.some((i) => i.op === 'call' && i.call.callee === cur.text)) return cur.text;
  }
  return undefined;
}

/** C-like text of a condition, for trace steps. */
export function condText(p: Path, c: Cond): string {
  const wrap = (x: Cond) => {
    const t = condText(p, x);
    return /^[\w>.-]+(\(\))?$/.test(t) || /^IS_ERR/.test(t) ? t : `(${t})`;
  };
  switch (c.kind) {
    case 'const': return c.value ? 'true' : 'false';
    case 'unknown': return c.text;
    case 'not': return `!${wrap(c.cond)}`;
    case 'and': return `${wrap(c.left)} && ${wrap(c.right)}`;
    case 'or': return `${wrap(c.left)} || ${wrap(c.right)}`;
    case 'truthy': return subjectText(p, c.subject);
    case 'isErr': return `IS_ERR(${subjectText(p, c.subject)})`;
    case 'isErrOrNull': return `IS_ERR_OR_NULL(${subjectText(p, c.subject)})`;
    case 'cmp': return `${subjectText(p, c.subject)} ${c.op} ${c.rhs}`;
    default: return assertNever(c);
  }
}

/** C-like text of a returned expression. */
function valueExprText(p: Path, v: ValueExpr): string {
  switch (v.kind) {
    case 'int': return errnoText(v.value);
    case 'errno': return v.name;
    case 'null': return 'NULL';
    case 'var': return v.name;
    case 'call': return subjectText(p, { kind: 'call', pc: v.pc });
    case 'ptrErr': return `PTR_ERR(${subjectText(p, v.subject)})`;
    case 'errPtr': return `ERR_PTR(${valueExprText(p, v.value)})`;
    case 'unknown': return v.text;
    default: return assertNever(v);
  }
}

/**
 * The step that explains a fork on an unknown value: which way the branch went and, when that side assumed a
 * failure, which call failed ("foo_hw_init() fails (assumed -EIO on this path)"). A side that only assumed
 * success gets no step: success is what the replay assumes unless a step says otherwise.
 */
function forkStep(p: Path, ctx: RunContext, instr: Extract<Instr, { op: 'branch' }>, taken: boolean, seen: Assumption[]): void {
  const failures = seen.filter((a) => a.failure);
  if (seen.length > 0 && failures.length === 0) return;
  const why = failures.length
    ? failures.map((a) => (a.origin ? `${a.origin}() fails (assumed ${valueText(a.value)} on this path)` : `${a.subject} assumed ${valueText(a.value)} on this path`)).join(', ')
    : 'the condition depends on values the replay does not know';
  // `if (c) body` compiles to "branch over the body when !c" (c/program.ts negates, folding `!!`): show the source's
  // condition and whether the body ran. Either way the sentence is true of the condition's value.
  const shown = { cond: instr.cond.kind === 'not' ? instr.cond.cond : { kind: 'not' as const, cond: instr.cond }, taken: !taken };
  p.t.note(p.k, `if (${condText(p, shown.cond)}) — ${why}`, shown.taken ? 'taken' : 'not taken', deviceGroup(p, ctx), at(ctx, instr.span));
}

function refinedValue(c: Cond, truth: boolean, hint: TypeHint, rhs: number | 'null' | undefined): SimValue {
  const nullPtr: SimValue = { kind: 'ptr', ptr: { kind: 'null' } };
  const errPtr: SimValue = { kind: 'ptr', ptr: { kind: 'err', errno: -ERRNO.ENOMEM } };
  if (hint === 'ptr') {
    switch (c.kind) {
      case 'truthy': return truth ? validPtr() : nullPtr;
      case 'isErr': case 'isErrOrNull': return truth ? errPtr : validPtr();
      case 'cmp': {
        const wantNull = (c.op === '==') === truth;
        return wantNull ? nullPtr : validPtr();
      }
      default: return validPtr();
    }
  }
  if (hint === 'bool' && c.kind === 'truthy') return { kind: 'bool', value: truth };
  if (c.kind === 'truthy') return { kind: 'int', value: truth ? -ERRNO.EIO : 0 };
  if (c.kind === 'cmp' && typeof rhs === 'number') {
    const candidates = [rhs, 0, -ERRNO.EIO, 1, rhs - 1, rhs + 1];
    const pick = candidates.find((x) => compare(x, c.op, rhs) === truth);
    return { kind: 'int', value: pick ?? 0 };
  }
  return { kind: 'int', value: truth ? -ERRNO.EIO : 0 };
}

function setSubject(p: Path, s: Subject, v: EnvVal): void {
  if (s.kind === 'var') {
    setVar(p, s.name, v);
    return;
  }
  const f = top(p);
  f.calls.set(s.pc, v);
  const instr = f.fn.program[s.pc];
  const assignTo = instr?.op === 'call' ? assignTarget(instr) : undefined;
  if (assignTo) setVar(p, assignTo, v);
}

function assignTarget(instr: Extract<Instr, { op: 'call' }>): string | undefined {
  return instr.assignTo ?? (instr.call.resultUse === 'assigned' ? instr.call.assignedTo : undefined);
}

// ───────────── values ─────────────
function evalValue(p: Path, ctx: RunContext, v: ValueExpr): EnvVal {
  switch (v.kind) {
    case 'int': return known({ kind: 'int', value: v.value });
    case 'errno': {
      const n = parseErrno(v.name);
      if (n !== undefined) return known({ kind: 'int', value: n > 0 && !/^\d/.test(v.name) ? -n : n });
      return unknown('int', v.name, true);
    }
    case 'null': return known({ kind: 'ptr', ptr: { kind: 'null' } });
    case 'var': return lookupVar(p, ctx, v.name) ?? evalArg(p, ctx, v.name);
    case 'call': return top(p).calls.get(v.pc) ?? unknown('unknown', `call@${v.pc}`);
    case 'ptrErr': {
      const s = subjectVal(p, ctx, v.subject);
      if (s?.kind === 'known' && s.value.kind === 'ptr') {
        if (s.value.ptr.kind === 'err') return known({ kind: 'int', value: s.value.ptr.errno });
        if (s.value.ptr.kind === 'null') return known({ kind: 'int', value: 0 });
      }
      return unknown('int', 'PTR_ERR', true);
    }
    case 'errPtr': {
      const inner = evalValue(p, ctx, v.value);
      if (inner.kind === 'known' && inner.value.kind === 'int') return known({ kind: 'ptr', ptr: { kind: 'err', errno: inner.value.value } });
      return known({ kind: 'ptr', ptr: { kind: 'err', errno: -ERRNO.EIO } });
    }
    case 'unknown': return unknown('unknown', v.text);
    default: return assertNever(v);
  }
}

function isFailure(p: Path, v: EnvVal | null): boolean {
  if (!v) return false;
  if (v.kind === 'known') return isFailureValue(v.value);
  return v.failure ?? p.failureSinceSuccess;
}

// ───────────── the interpreter ─────────────
export function at(ctx: RunContext, span: { line: number; column: number }): At {
  return { file: ctx.file, line: span.line, column: span.column };
}

export function fnByName(ctx: RunContext, name: string): FunctionFact | undefined {
  return ctx.facts.functions.find((f) => f.name === name && f.program.length > 0);
}

function pushFrame(p: Path, fn: FunctionFact, args: EnvVal[]): void {
  const vars = new Map<string, EnvVal>();
  fn.params.forEach((param, i) => {
    if (!param.name) return;
    vars.set(param.name, args[i] ?? unknown(/\*/.test(param.type) ? 'ptr' : 'int', param.name));
  });
  p.frames.push({ fn, pc: 0, vars, calls: new Map(), backEdges: new Map() });
}

/** Runs `fn` from the current state of `path`; returns every path's end (forks included). */
export function runFunction(path: Path, ctx: RunContext, fn: FunctionFact, args: EnvVal[]): RunResult[] {
  const base = path.frames.length;
  pushFrame(path, fn, args);
  const work: Path[] = [path];
  const results: RunResult[] = [];
  while (work.length) {
    const p = work.pop() as Path;
    const r = execute(p, ctx, base, work);
    results.push(r);
  }
  return results;
}

/** Executes one path until its base frame returns; forks are pushed onto `work`. */
function execute(p: Path, ctx: RunContext, base: number, work: Path[]): RunResult {
  for (;;) {
    const f = top(p);
    if (++p.steps > MAX_STEPS || f.pc >= f.fn.program.length) {
      const r = popFrame(p, base, null, undefined);
      if (r) return r;
      continue;
    }
    const instr = f.fn.program[f.pc];
    switch (instr.op) {
      case 'label': case 'gap':
        f.pc++;
        break;
      case 'jump':
        gotoTarget(f, instr.target);
        break;
      case 'assign':
        setVar(p, instr.target, evalValue(p, ctx, instr.value));
        f.pc++;
        break;
      case 'return': {
        const v = instr.value ? evalValue(p, ctx, instr.value) : null;
        if (instr.value && p.frames.length - 1 === base) returnStep(p, ctx, instr.value, v, instr.span);
        const r = popFrame(p, base, v, instr.span.line);
        if (r) return r;
        break;
      }
      case 'branch': {
        const v = evalCond(p, ctx, instr.cond);
        if (v !== undefined) {
          if (v) gotoTarget(f, instr.target);
          else f.pc++;
          break;
        }
        if (ctx.budget.forks > 0) {
          ctx.budget.forks--;
          const q = clonePath(p);
          const seenTaken: Assumption[] = [];
          if (refine(q, ctx, instr.cond, true, seenTaken)) q.failureSinceSuccess = true;
          forkStep(q, ctx, instr, true, seenTaken);
          gotoTarget(top(q), instr.target);
          work.push(q);
        }
        const seen: Assumption[] = [];
        if (refine(p, ctx, instr.cond, false, seen)) p.failureSinceSuccess = true;
        forkStep(p, ctx, instr, false, seen);
        f.pc++;
        break;
      }
      case 'call':
        executeCall(p, ctx, instr, work);
        break;
      default: assertNever(instr);
    }
  }
}

/** `return ret = -EIO` at the return of a callback (or of a function replayed alone). */
function returnStep(p: Path, ctx: RunContext, expr: ValueExpr, v: EnvVal | null, span: { line: number; column: number }): void {
  const text = valueExprText(p, expr);
  let result: string;
  if (v?.kind === 'known') result = valueText(v.value);
  else result = isFailure(p, v) ? 'error (errno not known)' : '0 (assumed)';
  p.t.note(p.k, text === result ? 'return' : `return ${text}`, result, deviceGroup(p, ctx), at(ctx, span));
}

function gotoTarget(f: Frame, target: number): void {
  if (!Number.isInteger(target) || target < 0 || target >= f.fn.program.length) {
    f.pc = f.fn.program.length; // an unresolved target ends the function
    return;
  }
  if (target <= f.pc) {
    // Programs have no back edges except a backward goto; take it at most twice, then fall through.
    const taken = f.backEdges.get(target) ?? 0;
    if (taken >= 2) {
      f.pc++;
      return;
    }
    f.backEdges.set(target, taken + 1);
  }
  const label = f.fn.program[target];
  if (label?.op === 'label') f.lastGoto = label.name;
  f.pc = target;
}

/** Pops the top frame; returns the RunResult when that was the base frame, else delivers the value to the caller. */
function popFrame(p: Path, base: number, v: EnvVal | null, line: number | undefined): RunResult | undefined {
  const f = p.frames.pop() as Frame;
  if (p.frames.length === base) {
    return { path: p, ret: v, failed: isFailure(p, v), retLine: line, lastGoto: f.lastGoto };
  }
  const caller = top(p);
  const instr = caller.fn.program[caller.pc];
  const value = v ?? known({ kind: 'void' });
  caller.calls.set(caller.pc, value);
  if (instr?.op === 'call') {
    const target = assignTarget(instr);
    if (target) setVar(p, target, value);
  }
  caller.pc++;
  return undefined;
}

function executeCall(p: Path, ctx: RunContext, instr: Extract<Instr, { op: 'call' }>, work: Path[]): void {
  const f = top(p);
  const call = instr.call;
  const name = call.callee;
  const args = call.args.map((a: ArgFact) => a.text);
  const target = assignTarget(instr);
  const done = (v: EnvVal) => {
    f.calls.set(f.pc, v);
    if (target) setVar(p, target, v);
    f.pc++;
  };

  if (USER_HANDOFF_CALLS.has(name) && !p.handoff) p.handoff = `${name}() at ${placeText(at(ctx, call.span))}`;

  if (name === 'devm_add_action' || name === 'devm_add_action_or_reset') {
    const fnName = normText(args[1] ?? '').replace(/^&/, '');
    p.devres.push({ fn: fnName, data: evalArg(p, ctx, args[2] ?? 'NULL'), dataText: args[2] ?? 'NULL', at: at(ctx, call.span) });
    p.t.note(p.k, `${name}(${args.join(', ')}) — ${fnName}() runs at devres release`, '0', deviceGroup(p, ctx), at(ctx, call.span));
    done(known({ kind: 'int', value: 0 }));
    return;
  }

  const handler = Object.prototype.hasOwnProperty.call(HANDLERS, name) ? HANDLERS[name] : undefined;
  if (handler && simulatedOn(p.k, name)) {
    if (p.k.iommuApi && ctx.budget.forks > 0 && forksOnFailure(p, ctx, name, args)) {
      ctx.budget.forks--;
      const q = clonePath(p);
      invoke(q, ctx, name, args, call.span, true, target);
      work.push(q);
    }
    invoke(p, ctx, name, args, call.span, false, target);
    return;
  }
  if (handler) {
    p.t.note(p.k, `${name}(${args.join(', ')}) — not available on ${p.k.profile.target}, no effect`, 'n/a', deviceGroup(p, ctx), at(ctx, call.span));
    done(unknown(hintFor(name, target), name));
    return;
  }

  const callee = fnByName(ctx, name);
  const depth = p.frames.length;
  if (callee && depth <= MAX_DEPTH && !p.frames.some((fr) => fr.fn.name === name)) {
    pushFrame(p, callee, args.map((a) => evalArg(p, ctx, a)));
    return; // popFrame delivers the result and advances the caller
  }
  done(unknown(hintFor(name, target), name));
}

/** Calls that refuse a group on a private domain: before them, a domain a maybe-detach may have detached is assumed gone. */
const DOMAIN_SENSITIVE = new Set(['iommu_attach_device', 'iommu_attach_group', 'iommu_attach_device_shared', 'iommu_group_claim_dma_owner',
  'iommu_device_claim_dma_owner', 'iommu_device_set_dma_owner', 'iommu_group_set_dma_owner', 'iommu_device_use_default_domain', 'iommu_device_use_dma_api']);

/** Resolves a "may be the same" detach in the driver's favour before a call whose outcome it would decide. */
function settleMaybeDetached(p: Path, ctx: RunContext, name: string): string {
  if (!p.maybeDetached?.size || !DOMAIN_SENSITIVE.has(name)) return '';
  const g = groupOf(p.k, ctx.device);
  const maybe = g?.domain ? p.maybeDetached.get(g.domain) : undefined;
  if (!g || !maybe) return '';
  p.maybeDetached.delete(g.domain as string);
  const was = domainName(p.k.state, g, g.domain);
  restoreCoreDomain(p.k, g);
  return ` (assuming ${maybe.text}, detached at ${placeText(maybe.at)}, was ${was})`;
}

function invoke(p: Path, ctx: RunContext, name: string, args: string[], span: { line: number; column: number }, fail: boolean, target?: string): void {
  const f = top(p);
  const assumed = settleMaybeDetached(p, ctx, name);
  // The group is only known once the arguments are resolved, so the tracer asks for it after the call.
  const out = p.t.api(p.k, name, `${name}(${args.join(', ')})${fail ? (/alloc|bind|create|register/.test(name) ? ' [allocation fails]' : ' [the call fails]') : ''}${assumed}`, undefined, () => {
    const r = HANDLERS[name](p, ctx, args, fail, at(ctx, span));
    return { ...r.out, group: r.group };
  }, at(ctx, span));
  const failed = isFailureValue(out.value);
  if (out.value.kind !== 'void' && out.value.kind !== 'bool') p.failureSinceSuccess = failed;
  if (failed && name === 'iommu_device_use_default_domain') p.useErrors.push(valueText(out.value));
  if (failed && !fail && OWNERSHIP_APIS.has(name) && out.value.kind === 'int') {
    p.t.violate('error-return', `${name}() returns ${errnoText(out.value.value)}${out.note ? ` (${out.note})` : ''}`, p.t.steps.length - 1, name, errnoText(out.value.value));
  }
  f.calls.set(f.pc, known(out.value));
  if (target) setVar(p, target, known(out.value));
  f.pc++;
}

export function runDevres(p: Path, ctx: RunContext): Path[] {
  let paths = [p];
  const entries = [...p.devres].reverse();
  p.devres = [];
  for (const e of entries) {
    const next: Path[] = [];
    for (const q of paths) {
      const fn = fnByName(ctx, e.fn);
      if (!fn && Object.prototype.hasOwnProperty.call(HANDLERS, e.fn) && simulatedOn(q.k, e.fn)) {
        // A kernel API registered directly as the action (e.g. a cast iommu_sva_unbind_device): call it with the data.
        q.frames.push({ fn: devresShim(e), pc: 0, vars: new Map([[normText(e.dataText), e.data]]), calls: new Map(), backEdges: new Map() });
        invoke(q, ctx, e.fn, [e.dataText], e.at ?? { line: 0, column: 0 }, false);
        q.frames.pop();
        next.push(q);
        continue;
      }
      if (!fn) {
        q.t.note(q.k, `devres: ${e.fn}() (body not visible)`, 'void', deviceGroup(q, ctx), e.at);
        next.push(q);
        continue;
      }
      q.t.note(q.k, `devres: ${e.fn}()`, 'void', deviceGroup(q, ctx), e.at);
      for (const r of runFunction(q, ctx, fn, [e.data])) next.push(r.path);
    }
    paths = next;
  }
  return paths;
}


/** A one-instruction frame so an API registered as a devres action can be invoked like a call. */
function devresShim(e: DevresEntry): FunctionFact {
  const sp = { line: e.at?.line ?? 0, column: e.at?.column ?? 0, endLine: e.at?.line ?? 0, endColumn: e.at?.column ?? 0 };
  return { name: `devres:${e.fn}`, nameSpan: sp, span: sp, isStatic: true, params: [], returnType: 'void', complete: true, calls: [], program: [{ op: 'gap', span: sp }], devmActions: [], labels: {}, addedLines: [] };
}

export function newPath(k: Kernel): Path {
  return { k, t: new Tracer(), frames: [], globals: new Map(), devres: [], failureSinceSuccess: false, steps: 0, useErrors: [] };
}

