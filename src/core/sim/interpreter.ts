/**
 * The pc-based interpreter of FunctionFact programs: conditions (three-valued, forking and refining), values,
 * calls (kernel APIs, inlined helpers, devm actions) and devres release.
 */
import type { ArgFact, CallFact, Cond, FunctionFact, Instr, Subject, ValueExpr } from '../types';
import {
  ERRNO, assertNever, domainName, errnoText, groupOf, isFailureValue, parseErrno, restoreCoreDomain, valueText, type Kernel, type SimValue,
} from './model';
import { Tracer, placeText, type At } from './trace';
import { HANDLERS, OWNERSHIP_APIS, deviceGroup, dmaApiUse, forksOnFailure, simulatedOn } from './api-calls';
import {
  MAX_DEPTH, MAX_FORKS_TAKEN, MAX_PATHS, MAX_STEPS, clonePath, evalArg, makeFrame, makePath, forgetDecisions, ownFrame, ownMemo, ranFunction, hintFor, known, lastComponent, lookupVar, normText, operandsOf, setVar, top, unknown,
  validPtr, written, type DevresEntry, type EnvVal, type Frame, type Path, type RunContext, type RunResult, type TypeHint,
} from './env';
import { looksLikeErrno } from '../errno';
import { CLAIM_CALLS_ANY_ERA, FAKE_GROUP_TEXT, RELEASE_CALLS, USER_HANDOFF_CALLS, isDmaOnDevice, isDmaUse, isMmioUse } from './vocabulary';
import { RELEASE_APIS, isOpaqueTeardown, isTeardownHelper, reachableCallees } from './teardown';
import { checkDeviceAccess, checksAccess } from './device-access';
import { flushUnchecked, scanUnchecked, watchResult } from './unchecked';
import { applyOutcome, captureOutcome, distinctOutcomes, dropHelperEntry, helperEntry, type Outcome } from './summaries';
import { maskSetterCannotFail } from './dma-mask';

/** Calls that hand the device to user space (VFIO / iommufd): a bound driver that makes them expects VFIO to claim the group. */
const USER_HANDOFF = new Set(USER_HANDOFF_CALLS);

// ───────────── conditions ─────────────
function subjectVal(p: Path, ctx: RunContext, s: Subject): EnvVal | undefined {
  if (s.kind === 'call') return top(p).calls.get(s.pc);
  return lookupVar(p, ctx, s.name) ?? privateField(p, ctx, s.name) ?? initialZero(p, ctx, s.name);
}

/** Names and accessors of a driver's private data (`priv`, `drvdata`, `foo_priv(ar)`, `dev_get_drvdata()`, `to_foo()`). */
const PRIVATE_NAME = /priv|drvdata|drv_data/i;
const PRIVATE_ACCESSOR = /(_priv|priv_data|get_drvdata|drvdata|container_of)$|^to_\w+$|^\w+_to_\w+$/;

function isPrivateBase(p: Path, ctx: RunContext, base: string): boolean {
  if (PRIVATE_NAME.test(base)) return true;
  const v = lookupVar(p, ctx, base);
  return v?.kind === 'unknown' && PRIVATE_ACCESSOR.test(v.text);
}

/**
 * Heuristic (documented in replay.ts): a field of the driver's private data tested through one name (`ar_snoc->use_tz`)
 * reads what the path stored through another (`priv->use_tz`, in another function): same field path after the base,
 * the tested base is private data, the stored one a plain name, and every such entry agrees.
 */
function privateField(p: Path, ctx: RunContext, name: string): EnvVal | undefined {
  const m = /^([A-Za-z_]\w*)((?:->|\.).+)$/.exec(normText(name));
  if (!m || !isPrivateBase(p, ctx, m[1])) return undefined;
  let found: EnvVal | undefined;
  let foundKey = '';
  for (const [key, v] of p.globals) {
    if (!key.endsWith(m[2]) || !/^[A-Za-z_]\w*$/.test(key.slice(0, key.length - m[2].length)) || key === m[0]) continue;
    const text = stable(v);
    if (found && foundKey !== text) return undefined;
    found = v;
    foundKey = text;
  }
  return found;
}

// ───────────── the path's memory: decisions, pure predicates, fields at their initial value ─────────────

/**
 * Calls that only read state (no errno, no side effect): their result is a truth value the path decides once and
 * reuses until an operand is written. By name (the kernel's predicate idioms) or, for a function of the file, by a
 * bool return type and a body that calls nothing but such predicates.
 */
const PURE_NAMES = /^(test_bit|variable_test_bit|constant_test_bit|list_empty|list_empty_careful|list_is_singular|list_is_first|list_is_last|hlist_empty|capable|ns_capable|file_ns_capable|IS_ENABLED|IS_BUILTIN|IS_REACHABLE|is_[a-z0-9_]+|\w+_is_[a-z0-9_]+|has_[a-z0-9_]+|\w+_has_[a-z0-9_]+|\w+_enabled|\w+_supported|\w+_capable|\w+_present|\w+_available|device_is_\w+|dev_is_\w+|of_device_is_\w+|of_property_read_bool|of_property_present|fwnode_property_present|device_property_present|device_property_read_bool|pci_is_\w+|iommu_present|device_iommu_mapped|dev_iommu_fwspec_get)$/;

const pureFnCache = new WeakMap<FunctionFact, boolean>();

export function isPurePredicate(ctx: RunContext, name: string, depth = 0): boolean {
  if (Object.prototype.hasOwnProperty.call(HANDLERS, name)) return false;
  const fn = fnByName(ctx, name);
  if (!fn) return PURE_NAMES.test(name);
  const hit = pureFnCache.get(fn);
  if (hit !== undefined) return hit;
  let pure = /^(static\s+)?(inline\s+)?(const\s+)?bool$/.test(fn.returnType.trim().replace(/\s+/g, ' ')) && depth < 3;
  if (pure) {
    pure = fn.program.every((i) => i.op !== 'gap' && (i.op !== 'call' || (i.call.callee !== fn.name && isPurePredicate(ctx, i.call.callee, depth + 1))));
  }
  if (!pure && !fn.program.length) pure = PURE_NAMES.test(name);
  pureFnCache.set(fn, pure);
  return pure;
}

/** The memo key and operands of a pure call: `call:test_bit(FLAG,&priv->flags)` reads priv->flags. */
function pureKey(name: string, args: string[]): { key: string; operands: string[] } {
  const texts = args.map((a) => normText(a));
  return { key: `call:${name}(${texts.join(',')})`, operands: texts.flatMap((t) => operandsOf(t.replace(/^&/, ''))) };
}

/** Conditions kept as text that are decided once per path: not loop or switch dispatch, and no impure call in them. */
function memoisableText(ctx: RunContext, text: string): boolean {
  if (/^\s*(loop|case)\b/.test(text)) return false;
  for (const m of text.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)) if (!isPurePredicate(ctx, m[1]) && !/^(sizeof|defined)$/.test(m[1])) return false;
  return true;
}

function remember(p: Path, key: string, value: EnvVal, operands: string[]): void {
  ownMemo(p).set(key, { value, operands });
}

function decided(p: Path, key: string): boolean | undefined {
  const m = p.memo.get(key);
  return m?.value.kind === 'known' && m.value.value.kind === 'bool' ? m.value.value.value : undefined;
}

const isConstantName = (t: string): boolean => /^[A-Z][A-Z0-9_]*$/.test(t) && !looksLikeErrno(t) && t !== 'NULL';

/** `x == A` / `x != A` against a name that is not an errno: decided by what the path knows of x (x == A ⇒ x != B). */
function namedCompare(p: Path, subject: string, op: string, rhs: string): boolean | undefined {
  const direct = decided(p, `cond:${subject}${op}${rhs}`);
  if (direct !== undefined) return direct;
  if (op !== '==' && op !== '!=') return undefined;
  const flipped = decided(p, `cond:${subject}${op === '==' ? '!=' : '=='}${rhs}`);
  if (flipped !== undefined) return !flipped;
  const eq = p.memo.get(`eq:${subject}`);
  if (eq?.value.kind !== 'unknown') return undefined;
  const equal = eq.value.text === rhs ? true : isConstantName(eq.value.text) && isConstantName(rhs) ? false : undefined;
  return equal === undefined ? undefined : equal === (op === '==');
}

/**
 * Heuristic (documented in replay.ts): a struct field that functions of this (whole) file write, when every one of
 * them has run on this path and none wrote it, still holds its initial value, 0 — driver private data comes from
 * kzalloc/devm_kzalloc. (`if (!node) { priv->use_tz = true; return 0; }` ... later `if (priv->use_tz) return 0;`.)
 */
function initialZero(p: Path, ctx: RunContext, name: string): EnvVal | undefined {
  const n = normText(name);
  if (!ctx.facts.complete || !/->|\./.test(n) || /\[|\(/.test(n)) return undefined;
  const field = lastComponent(n);
  const writers = fieldWriters(ctx).get(field);
  if (!writers || writers.size === 0) return undefined;
  for (const w of writers) if (!p.ran.has(w)) return undefined;
  for (const key of p.globals.keys()) if (lastComponent(key) === field) return undefined;
  return known({ kind: 'int', value: 0 });
}

const writersCache = new WeakMap<object, Map<string, Set<string>>>();

/** Field name → functions that may write it (assignment, call result, or its address handed to a call). */
function fieldWriters(ctx: RunContext): Map<string, Set<string>> {
  const hit = writersCache.get(ctx.facts);
  if (hit) return hit;
  const out = new Map<string, Set<string>>();
  const add = (text: string, fn: FunctionFact) => {
    const n = normText(text).replace(/^[&*]+/, '');
    if (!/->|\./.test(n)) return;
    const field = lastComponent(n).replace(/\[.*$/, '');
    if (!out.has(field)) out.set(field, new Set());
    out.get(field)?.add(fn.name);
  };
  for (const fn of ctx.facts.functions) {
    for (const i of fn.program) {
      if (i.op === 'assign') add(i.target, fn);
      if (i.op === 'call') {
        const t = assignTarget(i);
        if (t) add(t, fn);
        for (const a of i.call.args) if (/^\s*&/.test(a.text)) add(a.text, fn);
      }
      // Unseen code or an unknown function may write anything: such a function never counts as having run.
      if (i.op === 'gap') for (const set of out.values()) set.add(`${fn.name}\u0000gap`);
    }
    if (!fn.complete) for (const set of out.values()) set.add(`${fn.name}\u0000incomplete`);
  }
  writersCache.set(ctx.facts, out);
  return out;
}

function rhsValue(rhs: number | string): number | 'null' | undefined {
  if (typeof rhs === 'number') return rhs;
  const n = normText(rhs);
  if (n === 'NULL') return 'null';
  return parseErrno(n);
}

/** `-ENAME` for an errno name the table lacks: still an errno (negative, non-zero), value unknown. */
const isErrnoText = (rhs: number | string): boolean => typeof rhs === 'string' && /^-\s*\(?\s*E[A-Z0-9_]+\s*\)?$/.test(rhs.trim());

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

const FAKE_CONSTANT = (t: string): boolean => isConstantName(t) && FAKE_GROUP_TEXT.test(t);

/**
 * Lvalues the file compares with a fake-group constant (`group->type == VFIO_NO_IOMMU`): on a fake group such a value
 * is that constant, so it differs from every other named constant (`group->type == VFIO_IOMMU` is false).
 */
const fakeSubjectsCache = new WeakMap<object, Set<string>>();
function fakeSubjects(ctx: RunContext): Set<string> {
  const hit = fakeSubjectsCache.get(ctx.facts);
  if (hit) return hit;
  const out = new Set<string>();
  const visit = (c: Cond): void => {
    if (c.kind === 'not') visit(c.cond);
    else if (c.kind === 'and' || c.kind === 'or') { visit(c.left); visit(c.right); }
    else if (c.kind === 'cmp' && c.subject.kind === 'var' && (c.op === '==' || c.op === '!=') && typeof c.rhs === 'string' && FAKE_CONSTANT(normText(c.rhs))) out.add(normText(c.subject.name));
    else if (c.kind === 'unknown') {
      for (const m of c.text.replace(/\s+/g, '').matchAll(/([\w>.-]+)[!=]=(\w+)/g)) if (FAKE_CONSTANT(m[2])) out.add(normText(m[1].replace(/^\(+/, '')));
    }
  };
  for (const fn of ctx.facts.functions) for (const i of fn.program) if (i.op === 'branch') visit(i.cond);
  fakeSubjectsCache.set(ctx.facts, out);
  return out;
}

/** On a fake group (ctx.fakeGroup): what a test of fakeness says; undefined for conditions about anything else. */
function fakeGroupCond(ctx: RunContext, c: Cond): boolean | undefined {
  if (c.kind === 'truthy' && c.subject.kind === 'var') return FAKE_GROUP_TEXT.test(c.subject.name) ? true : undefined;
  if (c.kind === 'cmp' && c.subject.kind === 'var' && typeof c.rhs === 'string' && (c.op === '==' || c.op === '!=')) {
    const subject = normText(c.subject.name);
    const rhs = normText(c.rhs);
    const zero = /^(0|false|NULL)$/.test(rhs);
    let equal: boolean | undefined;
    if (FAKE_CONSTANT(rhs)) equal = true;
    else if (fakeSubjects(ctx).has(subject) && isConstantName(rhs)) equal = false;
    else if (FAKE_GROUP_TEXT.test(subject) && zero) equal = false;
    return equal === undefined ? undefined : equal === (c.op === '==');
  }
  if (c.kind === 'unknown' && FAKE_GROUP_TEXT.test(c.text)) {
    const t = c.text.replace(/\s+/g, '');
    if (/!=\w*(NO_?IOMMU|EMULATED_IOMMU)/i.test(t) || /^!\w*(\.|->)?\w*no_?iommu/i.test(t)) return false;
    if (/==\w*(NO_?IOMMU|EMULATED_IOMMU)/i.test(t)) return true;
  }
  return undefined;
}

function evalCond(p: Path, ctx: RunContext, c: Cond): boolean | undefined {
  if (ctx.fakeGroup) {
    const fake = fakeGroupCond(ctx, c);
    if (fake !== undefined) return fake;
  }
  switch (c.kind) {
    case 'const': return c.value;
    case 'unknown': return decided(p, `cond:${normText(c.text)}`);
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
      if (c.kind === 'cmp' && c.subject.kind === 'var' && typeof c.rhs === 'string' && rhsValue(c.rhs) === undefined && !isErrnoText(c.rhs)) {
        return namedCompare(p, normText(c.subject.name), c.op, normText(c.rhs));
      }
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
      if (num !== undefined && rhs === 'null') return compare(num, c.op, 0);
      // An errno the table does not value is still negative: 0 or a positive number is not it.
      if (num !== undefined && rhs === undefined && isErrnoText(c.rhs) && num >= 0 && (c.op === '==' || c.op === '!=')) return c.op === '!=';
      return num !== undefined && typeof rhs === 'number' ? compare(num, c.op, rhs) : undefined;
    }
  }
}

/** A value the replay assumed for an unknown subject at a fork (shown in the trace). */
interface Assumption { subject: string; origin?: string; value: SimValue; failure: boolean }

/** Gives an unknown subject a value that makes the condition `truth`; returns true when that value is a failure. */
function refine(p: Path, ctx: RunContext, c: Cond, truth: boolean, seen: Assumption[] = []): boolean {
  switch (c.kind) {
    case 'const': return false;
    case 'unknown': {
      const text = normText(c.text);
      if (memoisableText(ctx, c.text)) remember(p, `cond:${text}`, known({ kind: 'bool', value: truth }), operandsOf(text));
      return false;
    }
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
      // Comparing with a name tells nothing about the subject's value: remember the decision (and, for ==, the equality).
      if (c.kind === 'cmp' && rhsValue(c.rhs) === undefined) {
        if (c.subject.kind === 'var' && typeof c.rhs === 'string' && !isErrnoText(c.rhs)) {
          const subject = normText(c.subject.name);
          const other = normText(c.rhs);
          const operands = [subject, ...operandsOf(other)];
          remember(p, `cond:${subject}${c.op}${other}`, known({ kind: 'bool', value: truth }), operands);
          if ((c.op === '==' && truth) || (c.op === '!=' && !truth)) remember(p, `eq:${subject}`, unknown('unknown', other), operands);
        }
        return false;
      }
      const cur = subjectVal(p, ctx, c.subject);
      if (cur?.kind === 'known') return false;
      let hint: TypeHint = cur?.kind === 'unknown' ? cur.hint : 'unknown';
      const rhs = c.kind === 'cmp' ? rhsValue(c.rhs) : undefined;
      if (c.kind === 'isErr' || c.kind === 'isErrOrNull' || rhs === 'null') hint = 'ptr';
      // An ordering against a number (`slot < 0`) is an integer whatever the callee's name suggests (`*_alloc`).
      if (c.kind === 'cmp' && typeof rhs === 'number' && c.op !== '==' && c.op !== '!=') hint = 'int';
      if (hint === 'unknown') hint = 'int';
      const value = refinedValue(c, truth, hint, rhs);
      setSubject(p, ctx, c.subject, known(value));
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

/**
 * A branch over a release (`if (foo_enabled(x)) foo_disable(x);`) decided by a call the replay cannot see (a header
 * inline, another file's function): on the side that skips the release, what the unseen call answers decides
 * whether the release runs — the path where it "answers false" after the acquire may not exist (the driver sets the
 * very flag it tests). A leak resting on it is named as resting on unseen code (Violation.unseen), not claimed.
 */
function unseenGuardOfRelease(ctx: RunContext, fn: FunctionFact, pc: number, instr: Extract<Instr, { op: 'branch' }>): string | undefined {
  // It depends on the function's text only (a FunctionFact belongs to one file's facts): once per branch, not per fork.
  let byPc = unseenGuardCache.get(fn);
  if (!byPc) unseenGuardCache.set(fn, (byPc = new Map()));
  if (byPc.has(pc)) return byPc.get(pc) ?? undefined;
  let out: string | null = null;
  const unseen = instr.target > pc + 1
    ? condCallees(instr.cond, fn).find((name) => !fnByName(ctx, name) && !Object.prototype.hasOwnProperty.call(HANDLERS, name))
    : undefined;
  for (let i = pc + 1; unseen && out === null && i < instr.target && i < fn.program.length; i++) {
    const ins = fn.program[i];
    if (ins.op !== 'call') continue;
    const callee = ins.call.callee;
    const helper = fnByName(ctx, callee);
    if (RELEASE_APIS.has(callee) || (helper && [...reachableCallees(ctx.facts, helper)].some((c) => RELEASE_APIS.has(c)))) {
      out = `${unseen}() (not in this file) decides whether ${callee}() runs`;
    }
  }
  byPc.set(pc, out);
  return out ?? undefined;
}

const unseenGuardCache = new WeakMap<FunctionFact, Map<number, string | null>>();

/** The callees of the calls a condition tests. */
function condCallees(c: Cond, fn: FunctionFact): string[] {
  const of = (s: Subject): string[] => {
    if (s.kind !== 'call') return [];
    const i = fn.program[s.pc];
    return i?.op === 'call' ? [i.call.callee] : [];
  };
  switch (c.kind) {
    case 'truthy': case 'isErr': case 'isErrOrNull': case 'cmp': return of(c.subject);
    case 'not': return condCallees(c.cond, fn);
    case 'and': case 'or': return [...condCallees(c.left, fn), ...condCallees(c.right, fn)];
    default: return [];
  }
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

/** What a fork learnt about its subject (a refinement, not a write: decisions that read it stay). */
function setSubject(p: Path, ctx: RunContext, s: Subject, v: EnvVal): void {
  if (s.kind === 'var') {
    setVar(p, s.name, v, true);
    return;
  }
  const f = top(p);
  ownFrame(f).calls.set(s.pc, v);
  const instr = f.fn.program[s.pc];
  const assignTo = instr?.op === 'call' ? assignTarget(instr) : undefined;
  if (assignTo) setVar(p, assignTo, v, true);
  if (instr?.op === 'call' && isPurePredicate(ctx, instr.call.callee)) {
    const { key, operands } = pureKey(instr.call.callee, instr.call.args.map((a) => a.text));
    remember(p, key, v, operands);
  }
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
    case 'var': {
      const found = lookupVar(p, ctx, v.name);
      if (found) return found;
      // A device the replay made (`&child->dev`) keeps its identity; any other object's address
      // (`return &priv->base;`) is a valid pointer, never NULL or an error pointer.
      const arg = evalArg(p, ctx, v.name);
      if (arg.kind === 'known' || !/^&[A-Za-z_]/.test(normText(v.name))) return arg;
      return known(validPtr());
    }
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

function pushFrame(p: Path, fn: FunctionFact, args: EnvVal[], memoKey?: Frame['memoKey']): void {
  const vars = new Map<string, EnvVal>();
  fn.params.forEach((param, i) => {
    if (!param.name) return;
    vars.set(param.name, args[i] ?? unknown(/\*/.test(param.type) ? 'ptr' : 'int', param.name));
  });
  ranFunction(p, fn.name);
  for (const param of fn.params) if (param.name) written(p, param.name);
  p.frames.push(makeFrame({ fn, vars, failureAtEntry: p.failureSinceSuccess, memoKey }));
}

/** Runs `fn` from the current state of `path`; returns every path's end (forks included). */
export function runFunction(path: Path, ctx: RunContext, fn: FunctionFact, args: EnvVal[], helper = false): RunResult[] {
  if (!helper) path.stateToken = undefined; // the driver core may have changed the state since the last run
  const base = path.frames.length;
  pushFrame(path, fn, args);
  const work: Path[] = [path];
  const results: RunResult[] = [];
  const seen = new Set<string>();
  const forksAtStart = ctx.budget.taken ?? 0;
  while (work.length) {
    const p = work.pop() as Path;
    const r = execute(p, ctx, base, work, seen, forksAtStart, helper);
    if (r) results.push(r);
  }
  return results;
}

/** True when an earlier path reached this point in the same state (this one is then dropped); else remembers it. */
function mergedWith(p: Path, ctx: RunContext, base: number, seen: Set<string>): boolean {
  const key = stateKey(p, ctx, base);
  // A merged path is no distinct behaviour: its fork goes back to the path budget (MAX_FORKS_TAKEN still bounds the work).
  if (seen.has(key)) {
    ctx.budget.forks++;
    return true;
  }
  seen.add(key);
  return false;
}

/** A returning function's locals are gone: what the path decided about them cannot be asked again. */
function forgetLocals(p: Path, f: Frame): void {
  if (!p.memo.size) return;
  // A plain local or parameter, or a field reached through a local (not a parameter: the caller may test the same text).
  const local = (o: string) => {
    const baseName = /^[A-Za-z_]\w*/.exec(o)?.[0] ?? '';
    const isParam = f.fn.params.some((param) => param.name === baseName);
    if (baseName === o) return f.vars.has(o) || isParam;
    return f.vars.has(baseName) && !isParam;
  };
  forgetDecisions(p, local);
}

/**
 * Back from a helper, the caller's next instruction is a meeting point too — unless it is a join point, where the
 * loop's own check runs next: checking twice would find the path's own key and drop it (every helper call right
 * before an error label would end its path there).
 */
function backFromHelper(p: Path): boolean {
  const f = top(p);
  return !joinPoints(f.fn).has(f.pc);
}

/** Takes `n` forks from the run's budgets; false (and the budget recorded as hit) when either has no room left. */
function takeForks(p: Path, ctx: RunContext, n: number): boolean {
  if (n <= 0) return true;
  const taken = ctx.budget.taken ?? 0;
  if (ctx.budget.forks < n) budgetHit(p, ctx, `the path budget (${MAX_PATHS} forks per scenario run)`);
  else if (taken + n > MAX_FORKS_TAKEN) budgetHit(p, ctx, `the work budget (${MAX_FORKS_TAKEN} forks per scenario run, merged ones included)`);
  else {
    ctx.budget.forks -= n;
    ctx.budget.taken = taken + n;
    return true;
  }
  return false;
}

/** Records that a budget cut this run short (the first place it happened); scenarios of the run carry it. */
function budgetHit(p: Path, ctx: RunContext, what: string): void {
  ctx.budget.hit ??= `${what} in ${top(p).fn.name}()`;
}

/**
 * Executes one path until its base frame returns; forks are pushed onto `work`. At a join point (a label or a jump
 * target) a path whose state equals one an earlier path had there is dropped (null): its future is that path's.
 */
function execute(p: Path, ctx: RunContext, base: number, work: Path[], seen: Set<string>, forksAtStart: number, helper: boolean): RunResult | null {
  // Until this run forks there is one path: nothing to merge with, no state key worth computing.
  const merged = (q: Path, c: RunContext, b: number, s: Set<string>) => (ctx.budget.taken ?? 0) !== forksAtStart && mergedWith(q, c, b, s);
  for (;;) {
    const f = top(p);
    if (++p.steps > MAX_STEPS || f.pc >= f.fn.program.length) {
      if (p.steps > MAX_STEPS) budgetHit(p, ctx, `the step limit (${MAX_STEPS} steps per path)`);
      const r = popFrame(p, base, null, undefined);
      if (r) return r;
      if (backFromHelper(p) && merged(p, ctx, base, seen)) return null;
      continue;
    }
    if (joinPoints(f.fn).has(f.pc) && merged(p, ctx, base, seen)) return null;
    const instr = f.fn.program[f.pc];
    if (f.unchecked?.size) scanUnchecked(p, f, instr);
    switch (instr.op) {
      case 'label':
        f.pc++;
        break;
      case 'gap':
        p.t.gap(`lines ${instr.span.line}–${instr.span.endLine} of ${f.fn.name || 'the patched function'}() are not in view`);
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
        if (instr.value && p.frames.length - 1 === base && !helper) returnStep(p, ctx, instr.value, v, instr.span);
          const r = popFrame(p, base, v, instr.span.line, instr.span.column);
        if (r) return r;
        if (backFromHelper(p) && merged(p, ctx, base, seen)) return null; // back from a helper: paths meet here too
        break;
      }
      case 'branch': {
        if (inertLoop(ctx, f.fn, f.pc)) {
          gotoTarget(f, instr.target); // nothing in the body can change what the replay looks at: skip it
          break;
        }
        const v = evalCond(p, ctx, instr.cond);
        if (v !== undefined) {
          if (v) gotoTarget(f, instr.target);
          else f.pc++;
          break;
        }
        if (takeForks(p, ctx, 1)) {
          const q = clonePath(p);
          const seenTaken: Assumption[] = [];
          if (refine(q, ctx, instr.cond, true, seenTaken)) q.failureSinceSuccess = true;
          forkStep(q, ctx, instr, true, seenTaken);
          const guard = unseenGuardOfRelease(ctx, f.fn, f.pc, instr);
          if (guard) q.t.gap(guard);
          gotoTarget(top(q), instr.target);
          work.push(q);
        }
        const seen: Assumption[] = [];
        if (refine(p, ctx, instr.cond, false, seen)) p.failureSinceSuccess = true;
        forkStep(p, ctx, instr, false, seen);
        f.pc++;
        break;
      }
      case 'call': {
        const how = executeCall(p, ctx, instr, work);
        if (how === 'gone') return null;
        if (how === 'helper' && backFromHelper(p) && merged(p, ctx, base, seen)) return null; // back from a helper: paths meet here too
        break;
      }
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
    ownFrame(f).backEdges.set(target, taken + 1);
  }
  const label = f.fn.program[target];
  if (label?.op === 'label') f.lastGoto = label.name;
  f.pc = target;
}

/** Pops the top frame; returns the RunResult when that was the base frame, else delivers the value to the caller. */
function popFrame(p: Path, base: number, v: EnvVal | null, line: number | undefined, column?: number): RunResult | undefined {
  const f = p.frames.pop() as Frame;
  if (p.steps <= MAX_STEPS) flushUnchecked(p, f);
  forgetLocals(p, f);
  if (p.frames.length === base) {
    return { path: p, ret: v, failed: isFailure(p, v), retLine: line, ...(column !== undefined ? { retColumn: column } : {}), lastGoto: f.lastGoto };
  }
  deliver(p, v, f.failureAtEntry, f.memoKey);
  return undefined;
}

const fakeRunKeys = new WeakMap<object, object>();
function fakeRunKey(facts: object): object {
  let k = fakeRunKeys.get(facts);
  if (!k) fakeRunKeys.set(facts, (k = {}));
  return k;
}

const FAKE_OWNERSHIP = new Set([...CLAIM_CALLS_ANY_ERA, ...RELEASE_CALLS]);

/**
 * On a fake group: a predicate named for fakeness (vfio_device_is_noiommu()) answers true; a DMA-ownership claim or
 * release is a violation. 6.12: the claim reaches __iommu_group_domain_alloc() → dev_iommu_ops() on a NULL
 * dev->iommu (an oops, no errno; docs/kernel-model-notes.md row 16); a release has nothing claimed to give back.
 * The path continues as if the call were not made (the task is gone; nothing after it is evidence).
 */
function fakeGroupCall(p: Path, ctx: RunContext, name: string, call: CallFact, done: (v: EnvVal) => void): boolean {
  if (FAKE_OWNERSHIP.has(name)) {
    const claim = CLAIM_CALLS_ANY_ERA.includes(name);
    const where = at(ctx, call.span);
    const i = p.t.note(p.k, `${name}(${call.args.map((a) => a.text).join(', ')})`,
      claim ? 'oops: NULL dev->iommu in dev_iommu_ops()' : 'WARN: nothing claimed on a fake group', null, where);
    p.t.violate('ownership-on-fake-group', claim
      ? `${name}() on a VFIO no-IOMMU (fake) group: the claim allocates a blocking domain through dev_iommu_ops() of a device with no IOMMU (NULL dev->iommu)`
      : `${name}() on a VFIO no-IOMMU (fake) group: nothing was claimed for it`, i, name);
    const gap = p.t.gapBefore(i);
    if (gap) p.t.violations[p.t.violations.length - 1].unseen = gap;
    done(known({ kind: 'int', value: 0 }));
    return true;
  }
  if (FAKE_GROUP_TEXT.test(name) && !Object.prototype.hasOwnProperty.call(HANDLERS, name)) {
    done(known({ kind: 'int', value: 1 }));
    return true;
  }
  return false;
}

/** How a call left its path: done here, run through a helper of the file (a meeting point follows), or merged away. */
type CallEnd = 'done' | 'helper' | 'gone';

function executeCall(p: Path, ctx: RunContext, instr: Extract<Instr, { op: 'call' }>, work: Path[]): CallEnd {
  const f = top(p);
  const call = instr.call;
  const name = call.callee;
  const args = call.args.map((a: ArgFact) => a.text);
  const target = assignTarget(instr);
  const done = (v: EnvVal) => {
    ownFrame(f).calls.set(f.pc, v);
    if (target) setVar(p, target, v);
    f.pc++;
  };

  if (USER_HANDOFF.has(name) && !p.handoff) p.handoff = `${name}() at ${placeText(at(ctx, call.span))}`;
  if (ctx.access) checkDeviceAccess(p, ctx, name, args, at(ctx, call.span));
  if (ctx.fakeGroup && fakeGroupCall(p, ctx, name, call, done)) return 'done';

  // A pure predicate answers once per path until what it reads is written; it never fails with an errno.
  const pure = isPurePredicate(ctx, name);
  const memo = pure ? pureKey(name, args) : undefined;
  if (memo) {
    const hit = p.memo.get(memo.key);
    if (hit) {
      done(hit.value);
      return 'done';
    }
  } else {
    // `&x` handed to a call may be written through: what the path decided about x no longer holds.
    for (const a of args) if (/^\s*&/.test(a)) written(p, a);
  }

  if (name === 'devm_add_action' || name === 'devm_add_action_or_reset') {
    const fnName = normText(args[1] ?? '').replace(/^&/, '');
    p.devres.push({ fn: fnName, data: evalArg(p, ctx, args[2] ?? 'NULL'), dataText: args[2] ?? 'NULL', at: at(ctx, call.span) });
    p.t.note(p.k, `${name}(${args.join(', ')}) — ${fnName}() runs at devres release`, '0', deviceGroup(p, ctx), at(ctx, call.span));
    done(known({ kind: 'int', value: 0 }));
    return 'done';
  }

  // DMA-API mappings change no ownership state and return what they did before; only where they land is recorded.
  if (isDmaOnDevice(name)) { // a mapping or coherent buffer in the domain the device's group translates through
    p.stateToken = undefined; // the device remembers its first mapping
    const wrong = dmaApiUse(p, ctx, name, args, at(ctx, call.span));
    if (wrong) {
      const i = p.t.note(p.k, `${name}(${args.join(', ')}) — ${wrong}`, 'IOVA in the default domain', deviceGroup(p, ctx), at(ctx, call.span));
      p.t.violate('dma-api-on-private-domain', wrong, i, name, undefined, deviceGroup(p, ctx));
    }
  }

  const handler = Object.prototype.hasOwnProperty.call(HANDLERS, name) ? HANDLERS[name] : undefined;
  if (handler && simulatedOn(p.k, name)) {
    const mayFail = p.k.iommuApi && forksOnFailure(p, ctx, name, args);
    if (mayFail && takeForks(p, ctx, 1)) {
      const q = clonePath(p);
      invoke(q, ctx, name, args, call.span, true, target, call);
      work.push(q);
    }
    invoke(p, ctx, name, args, call.span, false, target, call);
    return 'done';
  }
  if (handler) {
    p.t.note(p.k, `${name}(${args.join(', ')}) — not available on ${p.k.profile.target}, no effect`, 'n/a', deviceGroup(p, ctx), at(ctx, call.span));
    done(unknown(hintFor(name, target), name));
    return 'done';
  }

  const callee = fnByName(ctx, name);
  if (!callee && maskSetterCannotFail(ctx.facts, f.fn, f.pc)) {
    done(known({ kind: 'int', value: 0 })); // a mask at least 32 bits wide (dma-mask.ts)
    return 'done';
  }
  const depth = p.frames.length;
  if (callee && depth <= MAX_DEPTH && !p.frames.some((fr) => fr.fn.name === name)) {
    return runHelper(p, ctx, callee, args.map((a) => evalArg(p, ctx, a)), memo, work);
  }
  if (!callee && isOpaqueTeardown(name, (n) => !!fnByName(ctx, n)) && p.frames.slice(1).every((fr) => isTeardownHelper(fr.fn.name))) {
    (p.teardowns ??= []).push(name);
  }
  const hint: TypeHint = pure || (callee && /\bbool$/.test(callee.returnType.trim())) ? 'bool' : hintFor(name, target);
  const v = unknown(hint, name);
  if (memo) remember(p, memo.key, v, memo.operands);
  done(v);
  return 'done';
}

// ───────────── helpers of the file: nested runs, memoised ─────────────
const summaryCache = new WeakMap<object, Map<string, Outcome[]>>();

/**
 * A helper's value handed to its caller (the call instruction the caller stands on): by a returning frame, or by a
 * helper summary applied in its place. `failureAtEntry` undefined: the frame did not record one (a devres shim).
 */
function deliver(p: Path, ret: EnvVal | null, failureAtEntry: boolean | undefined, memo: Frame['memoKey']): void {
  const caller = top(p);
  const instr = caller.fn.program[caller.pc];
  const value = ret ?? known({ kind: 'void' });
  // A helper that returned a known value (or nothing) says itself whether it failed: what it assumed inside stays inside.
  if (value.kind === 'known' && failureAtEntry !== undefined) p.failureSinceSuccess = failureAtEntry || isFailureValue(value.value);
  if (memo) remember(p, memo.key, value, memo.operands);
  ownFrame(caller).calls.set(caller.pc, value);
  if (instr?.op === 'call') {
    const target = assignTarget(instr);
    if (target) setVar(p, target, value);
  }
  caller.pc++;
}

/**
 * Runs a helper of the file on the caller's path as a nested replay; its ends continue the caller (the first one on
 * `p` itself, the others through `work`). The ends are kept as a summary under what the helper can read
 * (summaryKey): a later call in the same situation applies them instead of running the helper again.
 */
function runHelper(p: Path, ctx: RunContext, fn: FunctionFact, args: EnvVal[], memo: Frame['memoKey'], work: Path[]): CallEnd {
  const failureAtEntry = p.failureSinceSuccess;
  const { key, stateFree } = summaryKey(p, ctx, fn, args);
  // A fake-group run answers fakeness tests and ownership calls otherwise: its helper summaries are its own.
  const cacheOwner = ctx.fakeGroup ? fakeRunKey(ctx.facts) : ctx.facts;
  let cache = summaryCache.get(cacheOwner);
  if (!cache) summaryCache.set(cacheOwner, (cache = new Map()));
  const cached = cache.get(key);
  if (cached) {
    // Each end past the first is a fork of the caller's path: the path budget counts it as one.
    const outs = takeForks(p, ctx, cached.length - 1) ? cached : cached.slice(-1);
    outs.forEach((o, i) => {
      const q = i === outs.length - 1 ? p : clonePath(p);
      applyOutcome(q, o);
      if (o.state && o.stateToken === undefined) o.stateToken = stateTokenOf(q, ctx); // the next path it is applied to keeps it
      deliver(q, o.ret, failureAtEntry, memo);
      if (q !== p) work.push(q);
    });
    return 'helper';
  }
  const entry = helperEntry(p);
  const outerWrites = p.writes;
  p.writes = [];
  const hitBefore = ctx.budget.hit;
  const results = runFunction(p, ctx, fn, args, true);
  if (ctx.budget.hit === hitBefore) cache.set(key, distinctOutcomes(results.map((r) => captureOutcome(entry, r.path, r.ret, stateFree))));
  dropHelperEntry(entry);
  let alive = false;
  for (const r of results) {
    const q = r.path;
    if (outerWrites) q.writes = [...outerWrites, ...(q.writes ?? [])];
    else q.writes = undefined;
    deliver(q, r.ret, failureAtEntry, memo);
    if (q === p) alive = true;
    else work.push(q);
  }
  if (!alive && results.length) {
    // `p` itself was merged into another end inside the helper: it continues as the last end instead.
    const last = work.pop() as Path;
    Object.assign(p, last);
    alive = true;
  }
  return alive ? 'helper' : 'gone';
}

/** Operand names whose reading consults the model state (lookupVar: the bound driver, a device's group, a domain's type). */
const MODEL_READS = ['R:driver', 'R:driver_managed_dma', 'R:suppress_auto_claim_dma_owner', 'R:no_kernel_api_dma', 'R:iommu_group', 'R:type'];

/**
 * What a helper's run can depend on: its name and argument values, the stored fields, decisions and initial-0
 * fields it (or what it calls) can read, the path's failure state, the detaches in doubt, the tracer's phase and
 * completed APIs, the call stack (depth limit, recursion), and the model state unless it calls no modelled API and
 * reads nothing of the model (stateFree).
 */
function summaryKey(p: Path, ctx: RunContext, fn: FunctionFact, args: EnvVal[]): { key: string; stateFree: boolean } {
  const c = closureOf(ctx, fn.name);
  const stateFree = !touchesModel(ctx, fn.name) && !MODEL_READS.some((r) => c.has(r));
  const t = p.t as unknown as { phase: string; completed: Set<string> };
  // stable(..., true) of [name, args, model state and failed acquisitions (or null), IOMMU API, target, device, later,
  // stored fields, decisions and initial-0 fields it can read, failure, hand-off, detaches in doubt, phase,
  // completed APIs, the call stack], values as tokens:
  // see "state keys from cached pieces".
  const tokens = tokenTable(ctx);
  let key = `[${jsonText(fn.name)},[`;
  for (const a of args) key += `${tokenOf(tokens, a, true)},`;
  key += `],${stateFree ? '~' : stateTokenOf(p, ctx)},${stateFree ? '~' : stable(p.failedAttaches ?? null)},${p.k.iommuApi},${stable(p.k.profile.target, true)},${stable(ctx.device, true)},`;
  key += `${stable(ctx.later ?? null, true)},[`;
  p.globals.forEach((v, k) => { if (c.has(readKeyOf(k))) key += pairText(tokens, k, tokenOf(tokens, v, true)); });
  key += '],[';
  p.memo.forEach((m, k) => { if (c.has(memoReadOf(k))) key += pairText(tokens, k, tokenOf(tokens, m, true)); });
  key += `],${zeroFieldsText(p, zeroCandidatesOf(ctx, fn.name, c))},${p.failureSinceSuccess},${!!p.handoff},`;
  key += `${stable(p.maybeDetached ?? null, true)},${stable(p.unknownDetaches ?? null, true)},${stable(t.phase)},${grownSetText(t.completed, true)},[`;
  for (const f of p.frames) key += `${jsonText(f.fn.name)},`;
  key += '],]';
  return { key, stateFree };
}

const zeroByClosure = new WeakMap<object, Map<string, [string, string[]][]>>();

/** The fields `reads` tests (`C:<field>`), each with the functions that may write it (see initialZero). */
function fieldsTestedIn(ctx: RunContext, reads: ReadonlySet<string>): [string, string[]][] {
  return [...fieldWriters(ctx)].filter(([f]) => reads.has(`C:${f}`)).map(([f, ws]): [string, string[]] => [f, [...ws]]);
}

/** The fields a helper (with what it calls) tests, with their writers: the initial-0 fields its summary depends on. */
function zeroCandidatesOf(ctx: RunContext, name: string, closure: Set<string>): [string, string[]][] {
  let byName = zeroByClosure.get(ctx.facts);
  if (!byName) zeroByClosure.set(ctx.facts, (byName = new Map()));
  let out = byName.get(name);
  if (!out) {
    out = fieldsTestedIn(ctx, closure);
    byName.set(name, out);
  }
  return out;
}

const touchCache = new WeakMap<object, Map<string, boolean>>();

/** `name` or a function of the file it reaches calls a modelled kernel API. */
function touchesModel(ctx: RunContext, name: string): boolean {
  let byName = touchCache.get(ctx.facts);
  if (!byName) touchCache.set(ctx.facts, (byName = new Map()));
  const hit = byName.get(name);
  if (hit !== undefined) return hit;
  const c = closureOf(ctx, name);
  // Model handlers, and DMA-API / MMIO calls (checked against the group's state and recorded on the device).
  const out = [...c].some((r) => r.startsWith('F:') && (Object.prototype.hasOwnProperty.call(HANDLERS, r.slice(2)) || isDmaUse(r.slice(2)) || isMmioUse(r.slice(2))));
  byName.set(name, out);
  return out;
}

const inertCache = new WeakMap<FunctionFact, Map<number, boolean>>();

/**
 * A loop (`branch` on `loop ...` over its body) whose body only calls functions the replay knows nothing of, never
 * leaves the loop but to its end, and writes nothing read after it: running it or not makes the same path.
 */
function inertLoop(ctx: RunContext, fn: FunctionFact, pc: number): boolean {
  const instr = fn.program[pc];
  if (instr?.op !== 'branch' || instr.cond.kind !== 'unknown' || !/^loop\b/.test(instr.cond.text)) return false;
  let byPc = inertCache.get(fn);
  if (!byPc) inertCache.set(fn, (byPc = new Map()));
  const hit = byPc.get(pc);
  if (hit !== undefined) return hit;
  const end = instr.target;
  const after = laterReads(ctx, fn, end);
  let inert = end > pc;
  for (let i = pc + 1; inert && i < end; i++) {
    const b = fn.program[i];
    switch (b.op) {
      case 'call': {
        const name = b.call.callee;
        const t = assignTarget(b);
        if (Object.prototype.hasOwnProperty.call(HANDLERS, name) || fnByName(ctx, name) || USER_HANDOFF.has(name) || /^devm_add_action/.test(name)) inert = false;
        if (checksAccess(ctx, name)) inert = false;
        if (t && after.has(lastComponent(normText(t)))) inert = false;
        if (b.call.args.some((a) => /^\s*&/.test(a.text) && after.has(lastComponent(normText(a.text).replace(/^&/, ''))))) inert = false;
        break;
      }
      case 'assign': if (after.has(lastComponent(normText(b.target)))) inert = false; break;
      case 'branch': case 'jump': if (b.target <= pc || b.target > end) inert = false; break;
      case 'return': case 'gap': inert = false; break;
      default: break;
    }
  }
  byPc.set(pc, inert);
  return inert;
}

// ───────────── merging paths at join points ─────────────
const joinCache = new WeakMap<FunctionFact, Set<number>>();

/** Instruction indexes where paths meet: labels and jump/branch targets. */
function joinPoints(fn: FunctionFact): Set<number> {
  let out = joinCache.get(fn);
  if (out) return out;
  out = new Set<number>();
  fn.program.forEach((i, pc) => {
    if (i.op === 'label') out?.add(pc);
    if (i.op === 'jump' || i.op === 'branch') out?.add(i.target);
  });
  joinCache.set(fn, out);
  return out;
}

const readsCache = new WeakMap<FunctionFact, Map<number, Set<string>>>();

/** Calls whose arguments the replay evaluates: kernel APIs it models, functions of the file, devm actions. */
function interpreted(ctx: RunContext, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(HANDLERS, name) || /^devm_add_action/.test(name) || !!fnByName(ctx, name);
}

/** Last components of the names the rest of `fn` (from `pc`) mentions: a variable outside them cannot change its future. */
function laterReads(ctx: RunContext, fn: FunctionFact, pc: number): Set<string> {
  let byPc = readsCache.get(fn);
  if (!byPc) readsCache.set(fn, (byPc = new Map()));
  const hit = byPc.get(pc);
  if (hit) return hit;
  const out = new Set<string>();
  const backward = fn.program.some((i, at) => (i.op === 'jump' || i.op === 'branch') && i.target <= at);
  // `R:<field>` for every field name an operand reads (not a write target): which stored fields can matter later.
  const addRead = (t: string) => {
    for (const o of operandsOf(t)) {
      out.add(lastComponent(o));
      for (const part of o.split(/->|\./)) out.add(`R:${part}`);
    }
  };
  const addText = addRead;
  const addTarget = (t: string) => { for (const o of operandsOf(t)) out.add(lastComponent(o)); };
  const addCond = (c: Cond): void => {
    switch (c.kind) {
      case 'not': addCond(c.cond); return;
      case 'and': case 'or': addCond(c.left); addCond(c.right); return;
      case 'unknown': addText(c.text); out.add(`K:cond:${normText(c.text)}`); return;
      case 'const': return;
      case 'cmp':
        if (typeof c.rhs === 'number' && c.rhs < 0 && c.subject.kind === 'var') out.add(`E:${lastComponent(normText(c.subject.name))}`);
        if (typeof c.rhs === 'string' && /^-/.test(c.rhs.trim()) && c.subject.kind === 'var') out.add(`E:${lastComponent(normText(c.subject.name))}`);
        if (typeof c.rhs === 'string') {
          addText(c.rhs);
          if (c.subject.kind === 'var') {
            const subject = normText(c.subject.name);
            const rhs = normText(c.rhs);
            out.add(`K:eq:${subject}`);
            for (const op of ['==', '!=', c.op]) out.add(`K:cond:${subject}${op}${rhs}`);
          }
        }
        break;
      default: break;
    }
    if (c.subject.kind === 'var') {
      addText(c.subject.name);
      out.add(`C:${lastComponent(normText(c.subject.name))}`);
    } else out.add(`@${c.subject.pc}`);
  };
  const addValue = (v: ValueExpr): void => {
    if (v.kind === 'var' || v.kind === 'unknown') addText(v.kind === 'var' ? v.name : v.text);
    if (v.kind === 'call') out.add(`@${v.pc}`);
    if (v.kind === 'ptrErr') {
      if (v.subject.kind === 'var') addText(v.subject.name); else out.add(`@${v.subject.pc}`);
    }
    if (v.kind === 'errPtr') addValue(v.value);
  };
  for (let i = backward ? 0 : pc; i < fn.program.length; i++) {
    const instr = fn.program[i];
    if (instr.op === 'branch') addCond(instr.cond);
    if (instr.op === 'assign') { addValue(instr.value); addTarget(instr.target); }
    if (instr.op === 'return' && instr.value) addValue(instr.value);
    if (instr.op === 'call') {
      // An unknown callee has no effect and its result does not depend on its arguments: they are not read.
      if (interpreted(ctx, instr.call.callee)) for (const a of instr.call.args) addText(a.text);
      const t = assignTarget(instr);
      if (t) addTarget(t);
      out.add(pureKey(instr.call.callee, instr.call.args.map((a) => a.text)).key.replace(/^/, 'K:'));
      out.add(`F:${instr.call.callee}`);
    }
  }
  byPc.set(pc, out);
  return out;
}

/**
 * Stable text of a value: Maps and Sets sorted, so equal states give equal keys. An unknown value's text only names
 * where it came from (trace explanations): two paths that differ only there behave alike.
 */
function stable(x: unknown, withText = false): string {
  if (x === null || x === undefined) return '~';
  switch (typeof x) {
    case 'string': return jsonText(x);
    case 'number': case 'boolean': return String(x);
    case 'object': break;
    default: return '?';
  }
  if (Array.isArray(x)) {
    let s = '[';
    for (const e of x) s += `${stable(e, withText)},`;
    return `${s}]`;
  }
  if (x instanceof Map || x instanceof Set) {
    // The kernel state is mostly empty or one-entry maps (a group's PASIDs, SVA handles): no array to sort for them.
    if (x.size === 0) return '{}';
    if (x.size === 1) {
      for (const [k, e] of x instanceof Map ? x : [...x].map((v) => [v, true] as const)) return `{${jsonText(String(k))}:${stable(e, withText)},}`;
    }
    const entries: [string, unknown][] = x instanceof Map ? [...x].map(([k, e]) => [String(k), e]) : [...x].map((e) => [String(e), true]);
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let s = '{';
    for (const [k, e] of entries) s += `${jsonText(k)}:${stable(e, withText)},`;
    return `${s}}`;
  }
  const o = x as Record<string, unknown>;
  const unknownVal = !withText && o.kind === 'unknown' && 'hint' in o;
  let s = '(';
  for (const k in o) {
    if (o[k] === undefined || (unknownVal && k === 'text')) continue;
    s += `${k}:${stable(o[k], withText)},`;
  }
  return `${s})`;
}

// ───────────── state keys from cached pieces ─────────────
// A key is the stable() text of what decides a path's future. Most of it is values (EnvVal) and memo entries
// (Remembered), which are never changed once made (a write stores a new one): each is written as a token standing
// for its stable() text, made once per object (tokenOf). Strings' JSON text and the derived lookup names are cached
// too. Two keys are equal exactly when stable() of the same tuples would be, so exactly the same paths merge (checked
// on every key of the files drivers/ lets through), and keys are a fraction of the length to build and hash.

/** A cache of texts derived from strings the replay keeps seeing (names, memo keys); emptied when it gets large. */
function textCache(): (s: string, make: (s: string) => string) => string {
  let cache = new Map<string, string>();
  return (s, make) => {
    let t = cache.get(s);
    if (t === undefined) {
      if (cache.size >= 100_000) cache = new Map();
      t = make(s);
      cache.set(s, t);
    }
    return t;
  };
}
const jsonCache = textCache();
const jsonText = (s: string): string => jsonCache(s, JSON.stringify);
const lastCache = textCache();
const lastOf = (s: string): string => lastCache(s, lastComponent);
const readKeyCache = textCache();
/** `R:<last component>`: the futureReads name of a stored field. */
const readKeyOf = (s: string): string => readKeyCache(s, (x) => `R:${lastComponent(x)}`);
const errKeyCache = textCache();
const errKeyOf = (s: string): string => errKeyCache(s, (x) => `E:${lastComponent(x)}`);
const memoKeyCache = textCache();
const memoReadOf = (s: string): string => memoKeyCache(s, (x) => `K:${x}`);
const callReadNames: string[] = [];
const callReadOf = (pc: number): string => (callReadNames[pc] ??= `@${pc}`);

/**
 * Keys stand for an object never changed once made (EnvVal, Remembered, a devres entry's data) by a short token,
 * one per distinct stable() text: equal texts, equal tokens, so two keys are equal exactly when the texts they
 * stand for are. Tokens are numbered per file's facts (every key of a run, and every helper summary, belongs to one).
 */
interface TokenTable {
  ids: Map<string, string>;
  byObject: [WeakMap<object, string>, WeakMap<object, string>];
  /** Names (variables, fields, memo keys) as short tokens `$<n>`: keys stay short, and equal names give equal tokens. */
  names: Map<string, string>;
}
const tokenTables = new WeakMap<object, TokenTable>();

function tokenTable(ctx: RunContext): TokenTable {
  let table = tokenTables.get(ctx.facts);
  if (!table) tokenTables.set(ctx.facts, (table = { ids: new Map(), byObject: [new WeakMap(), new WeakMap()], names: new Map() }));
  return table;
}

/** The token of a text made elsewhere (equal texts, equal tokens; a token never equals a text). */
function tokenOfText(table: TokenTable, text: string): string {
  let t = table.ids.get(text);
  if (t === undefined) table.ids.set(text, (t = `#${table.ids.size}`));
  return t;
}

function tokenOf(table: TokenTable, o: unknown, withText: boolean): string {
  if (o === null || typeof o !== 'object') return stable(o, withText);
  const cache = table.byObject[withText ? 1 : 0];
  let t = cache.get(o);
  if (t === undefined) {
    t = tokenOfText(table, stable(o, withText));
    cache.set(o, t);
  }
  return t;
}

/** A `[name, value]` pair of a key, the name as its token (TokenTable.names). */
function pairText(table: TokenTable, name: string, valueText: string): string {
  let t = table.names.get(name);
  if (t === undefined) table.names.set(name, (t = `$${table.names.size}`));
  return `[${t},${valueText},],`;
}

/** A violation in a join key: its kind and message (fixed once made), as one token per violation object. */
const violationTokens = new WeakMap<object, string>();
function violationToken(table: TokenTable, v: { kind: string; message: string }): string {
  let t = violationTokens.get(v);
  if (t === undefined) violationTokens.set(v, (t = tokenOfText(table, `[${stable(v.kind)},${stable(v.message)},]`)));
  return t;
}

/** stable() of a set that only grows (the completed APIs, the functions a path ran), made again only when it grew. */
const grownSetTexts = new WeakMap<ReadonlySet<string>, { size: number; text: string }>();
function grownSetText(set: ReadonlySet<string>, withText: boolean): string {
  const hit = grownSetTexts.get(set);
  if (hit && hit.size === set.size) return hit.text;
  const text = stable(set, withText);
  grownSetTexts.set(set, { size: set.size, text });
  return text;
}

const fileReadsCache = new WeakMap<object, Set<string>>();

/** Every `R:<field>` any function of the file reads, and `C:<field>` it tests in a condition. */
function fileReadNames(ctx: RunContext): Set<string> {
  let out = fileReadsCache.get(ctx.facts);
  if (!out) {
    out = new Set<string>();
    for (const fn of ctx.facts.functions) for (const r of laterReads(ctx, fn, 0)) if (r.startsWith('R:') || r.startsWith('C:')) out.add(r);
    fileReadsCache.set(ctx.facts, out);
  }
  return out;
}

const closureCache = new WeakMap<object, Map<string, Set<string>>>();

/** laterReads of `name` (a function of the file) from its start, and of every function of the file it reaches through calls. */
function closureOf(ctx: RunContext, name: string): Set<string> {
  let byName = closureCache.get(ctx.facts);
  if (!byName) closureCache.set(ctx.facts, (byName = new Map()));
  const hit = byName.get(name);
  if (hit) return hit;
  const out = new Set<string>();
  const seenFns = new Set<string>([name]);
  const todo = [name];
  while (todo.length) {
    const fn = fnByName(ctx, todo.pop() as string);
    if (!fn) continue;
    for (const r of laterReads(ctx, fn, 0)) {
      out.add(r);
      const callee = r.startsWith('F:') ? r.slice(2) : '';
      if (callee && !seenFns.has(callee) && fnByName(ctx, callee)) {
        seenFns.add(callee);
        todo.push(callee);
      }
    }
  }
  byName.set(name, out);
  return out;
}

const futureCache = new WeakMap<RunContext, Map<string, Set<string>>>();

interface Exits { values: (ValueExpr | undefined)[]; written: Set<string> }
const exitsCache = new WeakMap<FunctionFact, Map<number, Exits>>();

/** The values `fn` can return from `pc` on (undefined: falls off the end or returns nothing) and what it writes there. */
function exitsFrom(fn: FunctionFact, pc: number): Exits {
  let byPc = exitsCache.get(fn);
  if (!byPc) exitsCache.set(fn, (byPc = new Map()));
  const hit = byPc.get(pc);
  if (hit) return hit;
  const out: Exits = { values: [], written: new Set() };
  const seenPc = new Set<number>();
  const work = [pc];
  while (work.length) {
    const at = work.pop() as number;
    if (seenPc.has(at)) continue;
    seenPc.add(at);
    const instr = fn.program[at];
    if (!instr) { out.values.push(undefined); continue; }
    switch (instr.op) {
      case 'return': out.values.push(instr.value ?? undefined); continue;
      case 'jump': work.push(instr.target); continue;
      case 'branch': work.push(instr.target, at + 1); continue;
      case 'assign': out.written.add(normText(instr.target)); break;
      case 'call': {
        const t = assignTarget(instr);
        if (t) out.written.add(normText(t));
        for (const a of instr.call.args) if (/^\s*&/.test(a.text)) out.written.add(normText(a.text).replace(/^&/, ''));
        break;
      }
      case 'gap': out.values.push(undefined); continue; // unseen code may return anything
      default: break;
    }
    work.push(at + 1);
  }
  byPc.set(pc, out);
  return out;
}

/** The run's entry function (frame `base`) returns a failure on every way out from where it stands now. */
function entryFails(p: Path, base: number): boolean {
  const f = p.frames[base];
  if (!f) return false;
  const ex = exitsFrom(f.fn, f.pc);
  const failing = (v: ValueExpr | undefined): boolean => {
    if (!v) return false;
    switch (v.kind) {
      case 'int': return v.value < 0;
      case 'errno': return true;
      case 'errPtr': return true;
      case 'var': {
        const n = normText(v.name);
        if (ex.written.has(n)) return false;
        const val = f.vars.get(n) ?? p.globals.get(n);
        return val?.kind === 'known' && isFailureValue(val.value);
      }
      default: return false;
    }
  };
  return ex.values.length > 0 && ex.values.every(failing);
}

/**
 * `R:<field>` the path's future can read: the rest of every running frame and what it calls, the functions that run
 * after this run (RunContext.later: remove, partners; every function of the file when not said) and the devres
 * actions the path registered. A stored field none of them reads cannot change the future.
 */
function futureReads(p: Path, ctx: RunContext, base: number): Set<string> {
  if (!ctx.later) return fileReadNames(ctx);
  let byKey = futureCache.get(ctx);
  if (!byKey) futureCache.set(ctx, (byKey = new Map()));
  // An entry point that can only fail from here is followed by no other function of the file (no remove, no partner).
  const later = base === 0 && entryFails(p, base) ? [] : ctx.later;
  const key = `${p.frames.map((f) => `${f.fn.name}@${f.pc}`).join('/')}|${p.devres.map((d) => d.fn).join('/')}|${later.length}`;
  const hit = byKey.get(key);
  if (hit) return hit;
  const out = new Set<string>();
  const addAll = (xs: Set<string>) => { for (const x of xs) out.add(x); };
  for (const f of p.frames) {
    for (const r of laterReads(ctx, f.fn, f.pc)) {
      if (r.startsWith('R:')) out.add(r);
      else if (r.startsWith('F:') && fnByName(ctx, r.slice(2))) addAll(closureOf(ctx, r.slice(2)));
    }
  }
  for (const name of later) addAll(closureOf(ctx, name));
  for (const d of p.devres) addAll(closureOf(ctx, d.fn));
  byKey.set(key, out);
  return out;
}

interface FileKeys {
  /** `K:<memo key>` → the functions of the file (by name, as fnByName would find them first) that can ask it. */
  askers: Map<string, string[]>;
  /** Fields the file tests (`C:<field>`) with the functions that may write them (see initialZero). */
  zeroCandidates: [string, string[]][];
}
const fileKeysCache = new WeakMap<object, FileKeys>();

function fileKeys(ctx: RunContext): FileKeys {
  let out = fileKeysCache.get(ctx.facts);
  if (out) return out;
  const byFn = new Map(ctx.facts.functions.map((fn) => [fn.name, laterReads(ctx, fn, 0)]));
  const askers = new Map<string, string[]>();
  for (const [name, reads] of byFn) {
    for (const r of reads) {
      if (!r.startsWith('K:')) continue;
      const list = askers.get(r);
      if (list) list.push(name);
      else askers.set(r, [name]);
    }
  }
  out = { askers, zeroCandidates: fieldsTestedIn(ctx, fileReadNames(ctx)) };
  fileKeysCache.set(ctx.facts, out);
  return out;
}

/**
 * Whether a memo entry can still be asked: its key occurs in the rest of a running function, in a function not
 * running now (it may run later: remove, a devm action, another helper), or in a running one called again later.
 */
function memoRelevant(p: Path, ctx: RunContext, base: number): (key: string) => boolean {
  const { askers } = fileKeys(ctx);
  const running = new Set(p.frames.map((f) => f.fn.name));
  const later = p.frames.slice(base).map((f) => laterReads(ctx, f.fn, f.pc));
  const calledAgain = new Set([...running].filter((n) => later.some((r) => r.has(`F:${n}`))));
  return (key) => {
    const k = memoReadOf(key);
    if (later.some((r) => r.has(k))) return true;
    const names = askers.get(k);
    return !!names && names.some((name) => !running.has(name) || calledAgain.has(name));
  };
}

/** Fields that would read as their initial 0 on this path (initialZero), of those the file tests. */
function zeroFieldsText(p: Path, candidates: readonly [string, string[]][]): string {
  // The answer only changes when the path runs a new function (p.ran only grows): kept per set and candidate list.
  let byList = zeroTexts.get(p.ran);
  if (!byList) zeroTexts.set(p.ran, (byList = new Map()));
  const hit = byList.get(candidates);
  if (hit && hit.size === p.ran.size) return hit.text;
  let s = '[';
  for (const [f, ws] of candidates) if (ws.every((w) => p.ran.has(w))) s += `${jsonText(f)},`;
  const text = `${s}]`;
  byList.set(candidates, { size: p.ran.size, text });
  return text;
}
const zeroTexts = new WeakMap<ReadonlySet<string>, Map<readonly [string, string[]][], { size: number; text: string }>>();

/** Set IOMMU_REVIEW_CHECK_KEYS=1 to have every kept model-state token checked against the state (tests of the cache). */
const CHECK_KEPT_STATE_TOKEN = typeof process !== 'undefined' && process.env?.IOMMU_REVIEW_CHECK_KEYS === '1';

/**
 * The model state in join and summary keys, as a per-file token standing for its stable() text (see "state keys
 * from cached pieces"). It is kept on the path until something may change the state (Path.stateToken): a modelled
 * API call (invoke), a DMA-API mapping (the device records it), a helper's outcome applied, a new outermost run (the
 * driver core acts between runs). Calls the replay does not model change nothing in it. The state holds no unknown
 * values, so its text is the same with or without their texts (stable's `withText`).
 */
function stateTokenOf(p: Path, ctx: RunContext): string {
  if (p.stateToken === undefined) p.stateToken = tokenOfText(tokenTable(ctx), stable(p.k.state));
  else if (CHECK_KEPT_STATE_TOKEN) {
    const text = stable(p.k.state);
    if (p.stateToken !== tokenOfText(tokenTable(ctx), text) || text !== stable(p.k.state, true)) throw new Error(`kept model-state token is stale in ${top(p)?.fn.name}()`);
  }
  return p.stateToken;
}

/** Everything that decides a path's future (and the violations it already has): equal keys, equal futures. */
function stateKey(p: Path, ctx: RunContext, base: number): string {
  // stable() of [frames, depth, globals, memo, zero fields, devres, failure, use errors, hand-off,
  // teardowns, detaches in doubt, failed acquisitions, model state, IOMMU API, phase, violations, completed APIs], values as tokens
  // (see "state keys from cached pieces").
  const tokens = tokenTable(ctx);
  let s = '[[';
  for (let i = base; i < p.frames.length; i++) {
    const f = p.frames[i];
    const reads = laterReads(ctx, f.fn, f.pc);
    s += `[${jsonText(f.fn.name)},${f.pc},[`;
    // Which errno a variable holds only matters where the rest compares it with one; otherwise "an error" is enough.
    f.vars.forEach((v, n) => {
      if (!reads.has(lastOf(n))) return;
      const asError = !reads.has(errKeyOf(n)) && v.kind === 'known' && v.value.kind === 'int' && v.value.value < 0;
      s += pairText(tokens, n, asError ? '"error"' : tokenOf(tokens, v, false));
    });
    s += '],[';
    f.calls.forEach((v, pc) => { if (reads.has(callReadOf(pc))) s += `[${pc},${tokenOf(tokens, v, false)},],`; });
    s += `],${stable(f.backEdges)},${jsonText(f.memoKey?.key ?? '')},[`;
    if (f.unchecked) for (const k of f.unchecked.keys()) s += `${stable(k)},`;
    s += '],],';
  }
  s += `],${p.frames.length},[`;
  // Subscripted fields (`x->irq[i].line`) are keyed by the loop variable's text: not state worth telling apart.
  // A stored field nothing in the file reads cannot change the future either.
  const future = futureReads(p, ctx, base);
  p.globals.forEach((v, k) => { if (!k.includes('[') && future.has(readKeyOf(k))) s += pairText(tokens, k, tokenOf(tokens, v, false)); });
  s += '],[';
  if (p.memo.size) {
    const relevant = memoRelevant(p, ctx, base);
    p.memo.forEach((m, k) => { if (relevant(k)) s += pairText(tokens, k, tokenOf(tokens, m, false)); });
  }
  // Only which fields would read as their initial 0 depends on the functions that ran (see initialZero).
  s += `],${zeroFieldsText(p, fileKeys(ctx).zeroCandidates)},[`;
  for (const d of p.devres) s += `[${stable(d.fn)},${tokenOf(tokens, d.data, false)},${stable(d.dataText)},],`;
  const t = p.t as unknown as { phase: string; violations: { kind: string; message: string }[]; completed: Set<string> };
  s += `],${p.failureSinceSuccess},${stable(p.useErrors)},${jsonText(p.handoff ?? '')},${stable(p.teardowns ?? null)},`;
  s += `${stable(p.maybeDetached ?? null)},${stable(p.unknownDetaches ?? null)},${stable(p.failedAttaches ?? null)},${stateTokenOf(p, ctx)},${p.k.iommuApi},${stable(t.phase)},[`;
  for (const x of t.violations) s += `${violationToken(tokens, x)},`;
  return `${s}],${grownSetText(t.completed, false)},]`;
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

function invoke(p: Path, ctx: RunContext, name: string, args: string[], span: { line: number; column: number }, fail: boolean, target?: string, call?: CallFact): void {
  p.stateToken = undefined;
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
  // A failed claim, remembered like a failed attach: a caller that still returns success leaves its partner a release
  // of ownership that was never taken (swallowedAcquireFailures).
  if (failed && CLAIM_CALLS_ANY_ERA.includes(name)) (p.failedAttaches ??= []).push(`${f.fn.name}|own:${name}`);
  if (failed && !fail && OWNERSHIP_APIS.has(name) && out.value.kind === 'int') {
    p.t.violate('error-return', `${name}() returns ${errnoText(out.value.value)}${out.note ? ` (${out.note})` : ''}`, p.t.steps.length - 1, name, errnoText(out.value.value));
  }
  watchResult(p, call, out, p.t.steps.length - 1);
  ownFrame(f).calls.set(f.pc, known(out.value));
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
        q.frames.push(makeFrame({ fn: devresShim(e), vars: new Map([[normText(e.dataText), e.data]]) }));
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
  return makePath({ k, t: new Tracer(), frames: [], globals: new Map(), devres: [], failureSinceSuccess: false, steps: 0, useErrors: [], memo: new Map(), ran: new Set() });
}
