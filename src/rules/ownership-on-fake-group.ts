/**
 * OWN025: DMA-ownership calls on VFIO no-IOMMU ("fake") groups. Such a group has no IOMMU driver behind it, so
 * there is no blocking domain to claim with; VFIO had to learn to skip ownership for them.
 * The rule runs where fake groups are visible in the file and reports a claim/release that is reachable with
 * the fake-group condition true (a preceding test that skips it, here or in every caller, is a guard).
 */
import { pcOfCall } from '../core/c/program-lookup';
import type { CallFact, Cond, FunctionFact, ScenarioResult } from '../core/types';
import { createRule, type RuleContext } from './types';
import { functionScenarios, keyOf, traceOf } from './util';
import { CLAIM_CALLS, RELEASE_CALLS, existsOn } from './ownership-calls';

// Not yet a query of the replay (issue 11): the replay has no fake-group topology, so this rule still decides
// reachability for fake groups with the text evaluator below. See docs/kernel-model-notes.md for what a claim on a
// fake group does in the kernel.

/** Every piece of text a condition looks at (variable names, called functions, unparsed text). */
function condTexts(cond: Cond, fn: FunctionFact): string[] {
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

/** The instruction index of a call in its function's program. */
/** The first scenario with a violation at `line` (the evidence to attach). */
function scenarioAtLine(scenarios: readonly ScenarioResult[], line: number): ScenarioResult | undefined {
  return scenarios.find((s) => s.violations.some((v) => v.at?.line === line));
}

const CODE = 'OWN025';

const FAKE = /no_?iommu|NO_IOMMU|NOIOMMU|EMULATED_IOMMU|fake_?group/i;

type Tri = true | false | undefined;

const CONSTANT = /^[A-Z][A-Z0-9_]*$/;

/**
 * Lvalues the file compares with a fake-group constant (`group->type == VFIO_NO_IOMMU`): when the group is fake, such
 * a value equals that constant, so it differs from every other named constant (`group->type == VFIO_IOMMU` is false).
 */
function fakeSubjects(fns: readonly FunctionFact[]): Set<string> {
  const out = new Set<string>();
  const visit = (c: Cond, fn: FunctionFact): void => {
    if (c.kind === 'not') visit(c.cond, fn);
    else if (c.kind === 'and' || c.kind === 'or') { visit(c.left, fn); visit(c.right, fn); }
    else if (c.kind === 'cmp' && (c.op === '==' || c.op === '!=') && typeof c.rhs === 'string' && CONSTANT.test(c.rhs) && FAKE.test(c.rhs)) {
      out.add(condTexts(c, fn)[0]);
    } else if (c.kind === 'unknown') {
      for (const m of c.text.replace(/\s+/g, '').matchAll(/([\w>.-]+)[!=]=(\w+)/g)) if (FAKE.test(m[2]) && CONSTANT.test(m[2])) out.add(m[1].replace(/^\(+/, ''));
    }
  };
  for (const fn of fns) for (const i of fn.program) if (i.op === 'branch') visit(i.cond, fn);
  for (const fn of fns) for (const i of fn.program) if (i.op === 'assign' && i.value.kind === 'unknown') visit({ kind: 'unknown', text: i.value.text }, fn);
  return out;
}

/** Evaluates a condition assuming "the group is fake" and nothing else (3-valued: undefined = could be either). */
function evalFake(cond: Cond, fn: FunctionFact, fakes: ReadonlySet<string> = new Set()): Tri {
  switch (cond.kind) {
    case 'const':
      return cond.value;
    case 'not': {
      const v = evalFake(cond.cond, fn, fakes);
      return v === undefined ? undefined : !v;
    }
    case 'and': {
      const l = evalFake(cond.left, fn, fakes);
      const r = evalFake(cond.right, fn, fakes);
      if (l === false || r === false) return false;
      return l === true && r === true ? true : undefined;
    }
    case 'or': {
      const l = evalFake(cond.left, fn, fakes);
      const r = evalFake(cond.right, fn, fakes);
      if (l === true || r === true) return true;
      return l === false && r === false ? false : undefined;
    }
    case 'truthy':
      return condTexts(cond, fn).some((t) => FAKE.test(t)) ? true : undefined;
    case 'cmp': {
      const [subject, rhs] = condTexts(cond, fn);
      if (fakes.has(subject) && CONSTANT.test(rhs) && !FAKE.test(rhs) && (cond.op === '==' || cond.op === '!=')) return cond.op === '!=';
      if (!FAKE.test(subject) && !FAKE.test(rhs)) return undefined;
      if (cond.op === '==') return /^(0|false|NULL)$/.test(rhs) ? false : true;
      if (cond.op === '!=') return /^(0|false|NULL)$/.test(rhs) ? true : false;
      return undefined;
    }
    case 'unknown': {
      if (!FAKE.test(cond.text)) return undefined;
      const t = cond.text.replace(/\s+/g, '');
      if (/!=\w*(NO_?IOMMU|EMULATED_IOMMU)/i.test(t) || /^!\w*(\.|->)?\w*no_?iommu/i.test(t)) return false;
      if (/==\w*(NO_?IOMMU|EMULATED_IOMMU)/i.test(t)) return true;
      return undefined;
    }
    default:
      return undefined;
  }
}

/** Instruction indexes reachable from the entry when the group is fake. */
function reachableWhenFake(fn: FunctionFact, fakes: ReadonlySet<string> = new Set()): Set<number> {
  const seen = new Set<number>();
  const work = [0];
  while (work.length > 0) {
    const pc = work.pop()!;
    if (pc < 0 || pc >= fn.program.length || seen.has(pc)) continue;
    seen.add(pc);
    const instr = fn.program[pc];
    switch (instr.op) {
      case 'return':
        break;
      case 'jump':
        work.push(instr.target);
        break;
      case 'branch': {
        const v = evalFake(instr.cond, fn, fakes);
        if (v !== false) work.push(instr.target);
        if (v !== true) work.push(pc + 1);
        break;
      }
      default:
        work.push(pc + 1);
    }
  }
  return seen;
}

/** True when `fn` can run for a fake group: it has no visible caller, or some call to it is reachable when fake. */
function runsForFake(ctx: RuleContext, fn: FunctionFact, depth: number): boolean {
  if (depth > 3) return true;
  const callers = ctx.facts.functions.filter((f) => f !== fn && f.calls.some((c) => c.callee === fn.name));
  if (callers.length === 0) return true;
  return callers.some((caller) => {
    if (!runsForFake(ctx, caller, depth + 1)) return false;
    const reach = reachableWhenFake(caller, fakeSubjects(ctx.facts.functions));
    return caller.calls.some((c) => c.callee === fn.name && reach.has(pcOfCall(caller, c) ?? -1));
  });
}

function fakeGroupsInFile(ctx: RuleContext): boolean {
  if (ctx.facts.identifiers.some((i) => FAKE.test(i.name))) return true;
  for (const fn of ctx.facts.functions) {
    for (const instr of fn.program) {
      if (instr.op === 'branch' && condTexts(instr.cond, fn).some((t) => FAKE.test(t))) return true;
      if (instr.op === 'call' && (FAKE.test(instr.call.callee) || instr.call.args.some((a) => FAKE.test(a.text)))) return true;
    }
  }
  return false;
}

export const ownershipOnFakeGroup = createRule({
  meta: {
    code: CODE,
    name: 'ownership-on-fake-group',
    category: 'ownership',
    defaultSeverity: 'warning',
    tier: 3,
    description: 'DMA-ownership calls must be skipped for VFIO no-IOMMU (fake) groups, which have no IOMMU behind them.',
    messages: {
      unguardedClaim:
        '{{function}}() calls {{callee}}() on a path that also runs for no-IOMMU (fake) groups: there is no IOMMU domain to own, so the claim fails and opening the device breaks. Skip ownership when the group is fake.',
      unguardedRelease:
        '{{function}}() calls {{callee}}() on a path that also runs for no-IOMMU (fake) groups: nothing was claimed for a fake group, so the release finds no owner (WARN). Skip ownership when the group is fake.',
    },
  },
  check(ctx) {
    if (!fakeGroupsInFile(ctx)) return;
    const names = [...CLAIM_CALLS, ...RELEASE_CALLS].filter((n) => existsOn(ctx, n));
    const fakes = fakeSubjects(ctx.facts.functions);
    for (const fn of ctx.facts.functions) {
      const calls: CallFact[] = fn.calls.filter((c) => names.includes(c.callee));
      if (calls.length === 0) continue;
      if (!runsForFake(ctx, fn, 0)) continue;
      const reach = reachableWhenFake(fn, fakes);
      let scenarios: ReturnType<typeof functionScenarios> | undefined;
      const hiddenCallers = !ctx.complete && fn.isStatic && !ctx.facts.functions.some((f) => f !== fn && f.calls.some((c) => c.callee === fn.name));
      for (const call of calls) {
        const pc = pcOfCall(fn, call) ?? -1;
        if (pc >= 0 && !reach.has(pc)) continue;
        // A guard may sit in code the patch does not show: before the call, or in the callers of a static function.
        const gapBefore = fn.program.some((instr, i) => instr.op === 'gap' && (pc < 0 || i < pc) && reach.has(i));
        const unseen = gapBefore ? `part of ${fn.name}() before the call is not in the patch`
          : hiddenCallers ? `the callers of ${fn.name}() are not in the patch` : undefined;
        scenarios ??= functionScenarios(ctx, fn, ['no-iommu']);
        const scenario = scenarioAtLine(scenarios, call.calleeSpan.line);
        ctx.report({
          messageId: CLAIM_CALLS.includes(call.callee) ? 'unguardedClaim' : 'unguardedRelease',
          data: { function: fn.name, callee: call.callee },
          span: call.calleeSpan,
          key: keyOf(CODE, fn.name, call.callee),
          unseen,
          scenario,
          trace: scenario ? traceOf(scenario) : undefined,
          fixes: [{ title: 'Skip DMA ownership for fake groups', edits: [], suggestion: `if (group->type != VFIO_NO_IOMMU) { ${call.callee}(…) }` }],
        });
      }
    }
  },
});
