/**
 * OWN008: a claim with a NULL owner cookie. The owner pointer is what tells an explicit owner from DMA-API users
 * (which are counted with owner == NULL): 6.2+ refuses it with a WARN and -EINVAL; 5.19 accepted it and then
 * could never release the group.
 */
import type { ArgFact, CallFact, FunctionFact } from '../core/types';
import { createRule, type RuleContext } from './types';
import { callsTo, enclosingFunction, functionScenarios, isNullArg, keyOf, traceOf } from './util';
import { existsOn, fnNameOf, scenarioAtLine } from './tier2a-util';
import { CLAIM_CALLS, SET_OWNER_CALLS } from '../core/sim/vocabulary';
import { mentionsWord } from './default-domain-probe-defer';

const CODE = 'OWN008';

const IDENT = /^[A-Za-z_]\w*$/;

/** A local variable whose every visible assignment in the function is NULL (and that is not a parameter). */
function onlyNullLocal(fn: FunctionFact | undefined, arg: ArgFact): boolean {
  const name = arg.text.trim();
  if (!fn || !IDENT.test(name)) return false;
  if (fn.params.some((p) => p.name === name)) return false;
  let assigns = 0;
  for (const instr of fn.program) {
    if (instr.op === 'assign' && instr.target === name) {
      if (instr.value.kind !== 'null' && !(instr.value.kind === 'int' && instr.value.value === 0)) return false;
      assigns++;
    }
    if (instr.op === 'call') {
      if (instr.assignTo === name) return false;
      // Passing &owner lets the callee fill it in.
      if (instr.call.args.some((a) => mentionsWord(a.text.replace(/\s+/g, ''), `&${name.replace(/\s+/g, '')}`))) return false;
    }
    if (instr.op === 'gap') return false;
  }
  return assigns > 0;
}

/**
 * The owner-cookie argument of a claim, or undefined when the call does not claim for an explicit owner:
 * released claims take (target, owner); the v5 posting's iommu_group_set_dma_owner(group, owner) too; the v1–v4
 * set-owner calls take (target, type, cookie) and only user/private-user types need a cookie.
 */
function cookieArg(call: CallFact): ArgFact | undefined {
  if (call.callee === 'iommu_group_set_dma_owner' || call.callee === 'iommu_device_set_dma_owner') {
    if (call.args.length === 2) return call.callee === 'iommu_group_set_dma_owner' ? call.args[1] : undefined;
    return call.args.length === 3 && /USER/.test(call.args[1].text) ? call.args[2] : undefined;
  }
  return call.args[1];
}

function check(ctx: RuleContext, call: CallFact): void {
  const cookie = cookieArg(call);
  if (!cookie) return;
  const fnName = fnNameOf(ctx, call);
  const fn = enclosingFunction(ctx, call) ?? ctx.functionByName(fnName);
  const literal = isNullArg(cookie.text);
  if (!literal && !onlyNullLocal(fn, cookie)) return;
  const scenario = fn ? scenarioAtLine(functionScenarios(ctx, fn, ['singleton']), call.calleeSpan.line) : undefined;
  ctx.report({
    messageId: literal ? 'nullCookie' : 'nullLocal',
    data: { function: fnName, callee: call.callee, arg: cookie.text.trim() },
    span: cookie.span,
    key: keyOf(CODE, fnName, call.callee),
    scenario,
    trace: scenario ? traceOf(scenario) : undefined,
    fixes: [{ title: 'Pass a stable non-NULL owner cookie', edits: [], suggestion: `${call.callee}(${call.args[0]?.text ?? 'dev'}, <the owning file, context or private structure>)` }],
  });
}

export const nullDmaOwnerCookie = createRule({
  meta: {
    code: CODE,
    name: 'null-dma-owner-cookie',
    category: 'ownership',
    defaultSeverity: 'error',
    tier: 2,
    description: 'DMA ownership must be claimed with a stable non-NULL owner cookie.',
    messages: {
      nullCookie:
        '{{function}}() calls {{callee}}() with a NULL owner ({{arg}}): NULL is how DMA-API users are counted, so the claim WARNs and fails with -EINVAL (6.2+) or leaves a group that looks unowned and can never be released (5.19 and the series postings).',
      nullLocal:
        '{{function}}() calls {{callee}}() with owner {{arg}}, which is only ever NULL here: the claim WARNs and fails with -EINVAL (6.2+) or leaves a group that looks unowned and can never be released (5.19 and the series postings).',
    },
  },
  check(ctx) {
    for (const name of [...CLAIM_CALLS, ...SET_OWNER_CALLS]) {
      if (!existsOn(ctx, name)) continue;
      for (const call of callsTo(ctx.facts, name)) check(ctx, call);
    }
  },
});
