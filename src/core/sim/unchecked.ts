/**
 * Unchecked results of the ownership calls that fail in ordinary situations (claims: -EPERM while a DMA-API driver
 * is bound or another owner holds the group, -EBUSY on a private domain or with PASIDs, -ENOMEM/-EINVAL from the
 * blocking domain; attaches: -EBUSY, -EINVAL, the IOMMU driver's error — 6.12 iommu.c). On a path where such a call
 * failed, the replay follows its result: dropped at the call (an expression statement or a `(void)` cast), or stored
 * and then overwritten, or never tested before the function returns — each is the 'unchecked-failure' violation: the
 * path goes on as if the group were owned or the domain attached.
 */
import type { CallFact, Cond, FunctionFact, Instr, Subject, Violation, ValueExpr } from '../types';
import { OWNERSHIP_APIS } from './api-calls';
import { isFailureValue, valueText, type ApiOutcome } from './model';
import { normText, top, type Frame, type Path, type UncheckedResult } from './env';

function record(p: Path, u: UncheckedResult, unchecked: NonNullable<Violation['unchecked']>, message: string): void {
  p.t.violate('unchecked-failure', message, u.stepIndex, u.api, u.errno);
  p.t.violations[p.t.violations.length - 1].unchecked = unchecked;
}

/** After an ownership call ran: a failed result nothing can test is a violation now; a stored one is watched. */
export function watchResult(p: Path, call: CallFact | undefined, out: ApiOutcome, stepIndex: number): void {
  if (!call || call.inErrorRegion || !OWNERSHIP_APIS.has(call.callee) || !isFailureValue(out.value)) return;
  const u: UncheckedResult = { api: call.callee, stepIndex, errno: valueText(out.value) };
  if (call.resultUse === 'ignored' || call.resultUse === 'void-cast') {
    record(p, u, { how: call.resultUse }, `${call.callee}() fails (${u.errno}) and its result is ${call.resultUse === 'void-cast' ? 'cast to (void)' : 'dropped'}: the path goes on as if it had succeeded`);
    return;
  }
  if (call.resultUse === 'assigned' && call.assignedTo) (top(p).unchecked ??= new Map()).set(normText(call.assignedTo), u);
}

const mentions = (text: string, name: string): boolean => {
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9_])${esc}($|[^A-Za-z0-9_])`).test(text.replace(/\s+/g, ''));
};

function subjectText(s: Subject, fn: FunctionFact): string {
  if (s.kind === 'var') return s.name;
  const i = fn.program[s.pc];
  return i?.op === 'call' ? `${i.call.callee}(${i.call.args.map((a) => a.text).join(',')})` : '';
}

function condTexts(c: Cond, fn: FunctionFact): string[] {
  switch (c.kind) {
    case 'truthy': case 'isErr': case 'isErrOrNull': return [subjectText(c.subject, fn)];
    case 'cmp': return [subjectText(c.subject, fn), String(c.rhs)];
    case 'not': return condTexts(c.cond, fn);
    case 'and': case 'or': return [...condTexts(c.left, fn), ...condTexts(c.right, fn)];
    case 'const': return [];
    case 'unknown': return [c.text];
  }
}

function valueTexts(v: ValueExpr | null, fn: FunctionFact): string[] {
  if (!v) return [];
  switch (v.kind) {
    case 'var': return [v.name];
    case 'call': return [subjectText({ kind: 'call', pc: v.pc }, fn)];
    case 'ptrErr': return [subjectText(v.subject, fn)];
    case 'errPtr': return valueTexts(v.value, fn);
    case 'unknown': return [v.text];
    default: return [];
  }
}

/** The texts an instruction reads (conditions, returned values, call arguments, assigned values). */
function reads(instr: Instr, fn: FunctionFact): string[] {
  switch (instr.op) {
    case 'branch': return condTexts(instr.cond, fn);
    case 'return': return valueTexts(instr.value, fn);
    case 'call': return instr.call.args.map((a) => a.text);
    case 'assign': return valueTexts(instr.value, fn);
    default: return [];
  }
}

function writes(instr: Instr): { target: string; line: number } | undefined {
  if (instr.op === 'assign') return { target: instr.target, line: instr.span.line };
  if (instr.op === 'call') {
    const t = instr.assignTo ?? (instr.call.resultUse === 'assigned' ? instr.call.assignedTo : undefined);
    if (t) return { target: t, line: instr.call.span.line };
  }
  return undefined;
}

/** Before `instr` runs in frame `f`: a watched result it reads is tested; one it overwrites (or unseen code) is lost. */
export function scanUnchecked(p: Path, f: Frame, instr: Instr): void {
  const watched = f.unchecked;
  if (!watched?.size) return;
  const texts = reads(instr, f.fn);
  const w = writes(instr);
  for (const [name, u] of [...watched]) {
    if (texts.some((t) => mentions(t, name))) {
      watched.delete(name);
      continue;
    }
    if (instr.op === 'gap') {
      watched.delete(name);
      record(p, u, { how: 'never-tested', variable: name, unseen: `the code after ${u.api}() in ${f.fn.name}() is not in the patch` },
        `${u.api}() fails (${u.errno}) into ${name}; what tests it is not in view`);
      continue;
    }
    if (w && normText(w.target) === name) {
      watched.delete(name);
      record(p, u, { how: 'overwritten', variable: name, line: w.line }, `${u.api}() fails (${u.errno}) into ${name}, which line ${w.line} overwrites before anything tests it`);
    }
  }
}

/** A frame ends: the results it still watches were never tested on this path. */
export function flushUnchecked(p: Path, f: Frame): void {
  if (!f.unchecked?.size) return;
  for (const [name, u] of f.unchecked) {
    const unseen = f.fn.complete ? undefined : `the code after ${u.api}() in ${f.fn.name}() is not in the patch`;
    record(p, u, { how: 'never-tested', variable: name, ...(unseen ? { unseen } : {}) }, `${u.api}() fails (${u.errno}) into ${name}, which ${f.fn.name}() never tests on this path`);
  }
  f.unchecked.clear();
}
