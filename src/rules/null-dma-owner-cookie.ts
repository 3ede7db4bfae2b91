/**
 * OWN008: a claim with a NULL owner cookie. The owner pointer is what tells an explicit owner from DMA-API users
 * (which are counted with owner == NULL): 6.2+ refuses it with a WARN and -EINVAL; 5.19 accepted it and then
 * could never release the group. A query of the replay's 'null-owner' violations: the replay resolves the cookie
 * on each path (a NULL literal, or a local that holds NULL there) and records the claim made with it.
 */
import type { ArgFact, CallFact } from '../core/types';
import { createRule } from './types';
import { CLAIM_CALLS, SET_OWNER_CALLS } from '../core/sim/vocabulary';
import { functionsCalling, hitsOf, traceTo } from './violation-sites';
import { functionScenarios } from './scenario-selection';
import { keyOf } from './reports';

/** True when an argument is a NULL / 0 literal (the message then says so instead of naming a variable). */
export function isNullArg(text: string | undefined): boolean {
  return text !== undefined && /^\(?\s*(NULL|0|\(void\s*\*\)\s*0|0UL|0L)\s*\)?$/.test(text.trim());
}

const CODE = 'OWN008';

const CLAIMS_WITH_COOKIE: readonly string[] = [...CLAIM_CALLS, ...SET_OWNER_CALLS];

/**
 * Where the cookie is written (the finding points there): released claims take (target, owner); the v5 posting's
 * iommu_group_set_dma_owner(group, owner) too; the v1–v4 set-owner calls take (target, type, cookie).
 */
function cookieArg(call: CallFact): ArgFact | undefined {
  if (SET_OWNER_CALLS.includes(call.callee)) return call.args[call.args.length === 2 ? 1 : 2];
  return call.args[1];
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
    const reported = new Set<string>();
    for (const fn of functionsCalling(ctx, CLAIMS_WITH_COOKIE)) {
      for (const hit of hitsOf(ctx, functionScenarios(ctx, fn, ['singleton']), ['null-owner'])) {
        const call = hit.call;
        const cookie = call && cookieArg(call);
        if (!call || !cookie) continue;
        const fnName = call.inFunction || fn.name;
        const key = keyOf(CODE, fnName, call.callee);
        if (reported.has(key)) continue;
        reported.add(key);
        ctx.report({
          messageId: isNullArg(cookie.text) ? 'nullCookie' : 'nullLocal',
          data: { function: fnName, callee: call.callee, arg: cookie.text.trim() },
          span: cookie.span,
          key,
          scenario: hit.scenario,
          trace: traceTo(hit),
          fixes: [{ title: 'Pass a stable non-NULL owner cookie', edits: [], suggestion: `${call.callee}(${call.args[0]?.text ?? 'dev'}, <the owning file, context or private structure>)` }],
        });
      }
    }
  },
});
