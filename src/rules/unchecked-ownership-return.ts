/**
 * OWN026: the result of a claim or attach is dropped. These calls fail in ordinary situations (-EPERM while a
 * DMA-API driver is bound in the group, -EBUSY with a private domain or PASID attached, -EINVAL for
 * multi-device groups); a driver that carries on believes it owns the group or that its domain is live.
 */
import type { CallFact, FunctionFact } from '../core/types';
import { createRule, type RuleContext } from './types';
import { functionScenarios, keyOf, traceOf } from './util';
import { existsOn, mentionsName, readsOf, scenarioAtLine } from './tier2a-util';
import { pcOfCall } from '../core/c/program-lookup';
import { DRIVER_ERRNO_CALLS } from '../core/sim/vocabulary';

const CODE = 'OWN026';

// Names of the series postings among them are checked only on the series targets where they exist.
const CHECKED_CALLS = DRIVER_ERRNO_CALLS;

type Verdict = { kind: 'ok' } | { kind: 'overwritten'; at: number } | { kind: 'never' } | { kind: 'unseen' };

/**
 * Follows `var = call(...)` through the function's control flow: fine when some path reads the variable before
 * it is overwritten or the function returns; otherwise the first overwrite (or "never"), or unseen when a path
 * runs into code the patch does not show.
 */
function followAssigned(fn: FunctionFact, pc: number, name: string): Verdict {
  const seen = new Set<number>();
  const work = [pc + 1];
  let overwrittenAt: number | undefined;
  let unseen = false;
  while (work.length > 0) {
    const i = work.pop()!;
    if (seen.has(i)) continue;
    seen.add(i);
    if (i >= fn.program.length) {
      if (!fn.complete) unseen = true;
      continue;
    }
    const instr = fn.program[i];
    if (instr.op === 'gap') {
      unseen = true;
      continue;
    }
    if (readsOf(instr, fn).some((t) => mentionsName(t, name))) return { kind: 'ok' };
    if ((instr.op === 'assign' && instr.target === name) || (instr.op === 'call' && instr.assignTo === name)) {
      const line = instr.op === 'assign' ? instr.span.line : instr.call.span.line;
      overwrittenAt = overwrittenAt === undefined ? line : Math.min(overwrittenAt, line);
      continue;
    }
    switch (instr.op) {
      case 'return':
        break;
      case 'jump':
        work.push(instr.target);
        break;
      case 'branch':
        work.push(instr.target, i + 1);
        break;
      default:
        work.push(i + 1);
    }
  }
  if (unseen) return { kind: 'unseen' };
  return overwrittenAt !== undefined ? { kind: 'overwritten', at: overwrittenAt } : { kind: 'never' };
}

function report(ctx: RuleContext, fn: FunctionFact, call: CallFact, messageId: string, extra: Record<string, string | number> = {}, unseen?: string): void {
  // The shared-with-a-DMA-API-driver topology is where a claim is refused: show the replay ignoring that error.
  const scenario = scenarioAtLine(functionScenarios(ctx, fn, ['shared-dma-api', 'singleton']), call.calleeSpan.line);
  ctx.report({
    messageId,
    data: { function: fn.name, callee: call.callee, ...extra },
    span: call.calleeSpan,
    key: keyOf(CODE, fn.name, call.callee),
    unseen,
    scenario,
    trace: scenario ? traceOf(scenario) : undefined,
    fixes: [{ title: `Check the result of ${call.callee}()`, edits: [], suggestion: `ret = ${call.callee}(${call.args.map((a) => a.text).join(', ')});\nif (ret)\n\tgoto err_unwind;` }],
  });
}

export const uncheckedOwnershipReturn = createRule({
  meta: {
    code: CODE,
    name: 'unchecked-ownership-return',
    category: 'ownership',
    defaultSeverity: 'error',
    tier: 2,
    description: 'The result of a DMA-ownership claim or a domain attach must be checked and unwound on failure.',
    messages: {
      ignored: '{{function}}() ignores the result of {{callee}}(): when it fails (-EPERM, -EBUSY, -EINVAL) the code carries on as if it owned the group or its domain were attached.',
      voidCast: '{{function}}() casts the result of {{callee}}() to (void): the call fails in ordinary situations (-EPERM, -EBUSY, -EINVAL) and the failure must be handled, not discarded.',
      overwritten: '{{function}}() stores the result of {{callee}}() in {{var}} but overwrites it on line {{line}} before checking it.',
      neverChecked: '{{function}}() stores the result of {{callee}}() in {{var}} but never checks it.',
    },
  },
  check(ctx) {
    const names = CHECKED_CALLS.filter((n) => existsOn(ctx, n));
    for (const fn of ctx.facts.functions) {
      for (const call of fn.calls) {
        if (!names.includes(call.callee) || call.inErrorRegion) continue;
        if (call.resultUse === 'ignored') report(ctx, fn, call, 'ignored');
        else if (call.resultUse === 'void-cast') report(ctx, fn, call, 'voidCast');
        else if (call.resultUse === 'assigned' && call.assignedTo) {
          const pc = pcOfCall(fn, call);
          if (pc === undefined) continue;
          const v = followAssigned(fn, pc, call.assignedTo);
          if (v.kind === 'overwritten') report(ctx, fn, call, 'overwritten', { var: call.assignedTo, line: v.at });
          else if (v.kind === 'never') report(ctx, fn, call, 'neverChecked', { var: call.assignedTo });
          else if (v.kind === 'unseen') {
            report(ctx, fn, call, 'neverChecked', { var: call.assignedTo }, `the code after ${call.callee}() in ${fn.name}() is not in the patch`);
          }
        }
      }
    }
  },
});
