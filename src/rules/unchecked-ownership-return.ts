/**
 * OWN026: the result of a claim or attach is dropped. These calls fail in ordinary situations (-EPERM while a
 * DMA-API driver is bound in the group, -EBUSY with a private domain or PASID attached, -EINVAL for
 * multi-device groups); a driver that carries on believes it owns the group or that its domain is live.
 * A query of the replay's 'unchecked-failure' violations: on a path where the call failed, the replay follows its
 * result (dropped at the call, overwritten, or never tested before the function returns).
 */
import type { Violation } from '../core/types';
import { createRule } from './types';
import { DRIVER_ERRNO_CALLS } from '../core/sim/vocabulary';
import { functionsCalling, hitsOf, traceTo } from './violation-sites';
import { functionScenarios } from './scenario-selection';
import { keyOf } from './reports';

const CODE = 'OWN026';

/** The calls whose results the replay follows (sim api-calls OWNERSHIP_APIS); the series names exist only there. */
const CHECKED_CALLS = DRIVER_ERRNO_CALLS;

const MESSAGE_OF: Record<NonNullable<Violation['unchecked']>['how'], string> = {
  ignored: 'ignored',
  'void-cast': 'voidCast',
  overwritten: 'overwritten',
  'never-tested': 'neverChecked',
};

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
    const reported = new Set<string>();
    for (const fn of functionsCalling(ctx, CHECKED_CALLS)) {
      // The shared-with-a-DMA-API-driver topology is where a claim is refused; a singleton forces the failures.
      for (const hit of hitsOf(ctx, functionScenarios(ctx, fn, ['shared-dma-api', 'singleton']), ['unchecked-failure'])) {
        const how = hit.violation.unchecked;
        const call = hit.call;
        if (!call || !how) continue;
        const fnName = call.inFunction || fn.name;
        const key = keyOf(CODE, fnName, call.callee);
        if (reported.has(key)) continue;
        reported.add(key);
        ctx.report({
          messageId: MESSAGE_OF[how.how],
          data: { function: fnName, callee: call.callee, ...(how.variable ? { var: how.variable } : {}), ...(how.line !== undefined ? { line: how.line } : {}) },
          span: call.calleeSpan,
          key,
          unseen: how.unseen,
          scenario: hit.scenario,
          trace: traceTo(hit),
          fixes: [{ title: `Check the result of ${call.callee}()`, edits: [], suggestion: `ret = ${call.callee}(${call.args.map((a) => a.text).join(', ')});\nif (ret)\n\tgoto err_unwind;` }],
        });
      }
    }
  },
});
