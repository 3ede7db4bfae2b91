/**
 * OWN025: DMA-ownership calls on VFIO no-IOMMU ("fake") groups. Such a group is a real iommu_group with no IOMMU
 * behind its device: a claim oopses in dev_iommu_ops() (6.12, docs/kernel-model-notes.md row 16) and a release has
 * nothing to give back, so VFIO skips ownership for them. A query of the replay: where the file deals with fake
 * groups, its outermost functions that reach a claim/release are replayed on a fake group (FunctionSimInput.fakeGroup:
 * every test of fakeness holds), and each 'ownership-on-fake-group' violation is reported at its call.
 */
import { FAKE_GROUP_TEXT, CLAIM_CALLS, RELEASE_CALLS } from '../core/sim/vocabulary';
import { createRule, type RuleContext } from './types';
import { replayViolationsOf } from './replay-violations';
import { keyOf } from './reports';
import { uncalledFunctionsReaching } from '../core/c/call-graph';
import { traceOf } from './scenario-selection';
import { existsOn } from './api-on-target';

const CODE = 'OWN025';

/** The file names fake groups somewhere (an identifier, a callee or an argument): only there is the question asked. */
function fakeGroupsInFile(ctx: RuleContext): boolean {
  if (ctx.facts.identifiers.some((i) => FAKE_GROUP_TEXT.test(i.name))) return true;
  return ctx.facts.functions.some((fn) => fn.calls.some((c) => FAKE_GROUP_TEXT.test(c.callee) || c.args.some((a) => FAKE_GROUP_TEXT.test(a.text))));
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
        '{{function}}() calls {{callee}}() on a path that also runs for no-IOMMU (fake) groups: there is no IOMMU behind the device, so the claim cannot work (6.12 oopses on the NULL dev->iommu) and opening the device breaks. Skip ownership when the group is fake.',
      unguardedRelease:
        '{{function}}() calls {{callee}}() on a path that also runs for no-IOMMU (fake) groups: nothing was claimed for a fake group, so the release finds no owner (WARN). Skip ownership when the group is fake.',
    },
  },
  check(ctx) {
    if (!fakeGroupsInFile(ctx)) return;
    const names = [...CLAIM_CALLS, ...RELEASE_CALLS].filter((n) => existsOn(ctx, n));
    const entries = uncalledFunctionsReaching(ctx.facts, names);
    for (const hit of replayViolationsOf(ctx, entries, 'singleton', { fakeGroup: true }, ['ownership-on-fake-group'])) {
      const { call, fn, violation, scenario } = hit;
      if (!call || !fn || !names.includes(call.callee)) continue;
      // A static function whose callers the patch does not show may only ever be called for real groups.
      const hiddenCallers = !ctx.complete && fn.isStatic && !ctx.facts.functions.some((f) => f !== fn && f.calls.some((c) => c.callee === fn.name));
      const unseen = violation.unseen ? `${violation.unseen} (a test of the group there may skip the call)`
        : hiddenCallers ? `the callers of ${fn.name}() are not in the patch` : undefined;
      ctx.report({
        messageId: CLAIM_CALLS.includes(call.callee) ? 'unguardedClaim' : 'unguardedRelease',
        data: { function: fn.name, callee: call.callee },
        span: call.calleeSpan,
        key: keyOf(CODE, fn.name, call.callee),
        unseen,
        scenario,
        trace: traceOf(scenario, violation),
        fixes: [{ title: 'Skip DMA ownership for fake groups', edits: [], suggestion: `if (group->type != VFIO_NO_IOMMU) { ${call.callee}(…) }` }],
      });
    }
  },
});
