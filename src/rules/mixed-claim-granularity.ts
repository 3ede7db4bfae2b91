/**
 * OWN006: ownership claimed per device and released per group. Device claims are counted per owner; the group release
 * zeroes the count, so when the same owner has claimed another device of the group too (the replay's 'co-owned'
 * topology, sim/co-owner.ts) that claim is dropped: the replay's 'dropped-co-owner-claims' violation.
 *
 * The opposite mix (a group claim released per device) is not reported: at owner_cnt 1 the device release is the
 * group release (drivers/iommu/iommu.c @ v6.12 iommu_device_release_dma_owner), and a higher count can only come
 * from device claims of the same owner, which the device release counts down correctly.
 */
import type { CallFact, ScenarioResult, Violation } from '../core/types';
import { DEVICE_CLAIM, DEVICE_RELEASE, GROUP_RELEASE } from '../core/sim/vocabulary';
import { createRule, type RuleContext } from './types';
import { replayViolations } from './replay-violations';
import { callAtStep, traceOf } from './scenario-selection';
import { fixReplace } from './fixes';
import { keyOf } from './reports';
import { callsTo, functionNameOf } from '../core/c/call-graph';
import { existsOn } from './api-on-target';

const CODE = 'OWN006';

/** The device claim of the code under review the scenario ran before step `before` (not the co-owner's). */
function claimBefore(ctx: RuleContext, s: ScenarioResult, before: number): CallFact | undefined {
  for (let i = before - 1; i >= 0; i--) {
    if (s.trace[i].phase === 'co-owner') continue;
    const c = callAtStep(ctx, s.trace[i], DEVICE_CLAIM);
    if (c) return c;
  }
  return undefined;
}

/** The co-owner's release after the drop: the WARN the kernel prints for it ends the trace when the replay got there. */
function laterWarn(s: ScenarioResult, v: Violation): Violation | undefined {
  return s.violations.find((x) => x.stepIndex > v.stepIndex && x.api === DEVICE_RELEASE && x.phase === 'co-owner' && !!x.warn);
}

export const mixedClaimGranularity = createRule({
  meta: {
    code: CODE,
    name: 'mixed-claim-granularity',
    category: 'ownership',
    defaultSeverity: 'error',
    tier: 2,
    description: 'DMA ownership claimed per device must be released per device: a group release drops the other device claims of the same owner.',
    messages: {
      groupReleaseOfDeviceClaim:
        '{{function}}() calls {{release}}() but ownership is claimed per device with {{claim}}() in {{claimFunction}}(): device claims of one owner are counted, and the group release zeroes the count, so when the same owner has also claimed another device of the group that claim is dropped — the device goes back to the default domain while its holder still uses it, and the holder\'s {{matching}}() then WARNs. Use {{matching}}().',
    },
  },
  check(ctx) {
    // Only a file that spells both calls can pair them; the co-owned replay of every other driver would cost a full
    // replay for nothing. Targets without the device claim (5.19, the postings) give it no effect anyway.
    if (!existsOn(ctx, DEVICE_CLAIM) || callsTo(ctx.facts, DEVICE_CLAIM).length === 0 || callsTo(ctx.facts, GROUP_RELEASE).length === 0) return;
    const found = replayViolations(ctx, { kinds: ['dropped-co-owner-claims'], topologies: ['co-owned'], lifecycle: true });
    const reported = new Set<string>();
    for (const { scenario, violation, call: release } of found) {
      if (release?.callee !== GROUP_RELEASE) continue;
      const claim = claimBefore(ctx, scenario, violation.stepIndex);
      if (!claim) continue; // the claim was made by code the file does not show: another file's pairing
      const releaseFn = functionNameOf(ctx.facts, release);
      const claimFn = functionNameOf(ctx.facts, claim);
      const key = keyOf(CODE, releaseFn, release.callee);
      if (reported.has(key)) continue;
      reported.add(key);
      const arg = claim.args[0]?.text.trim();
      // The claim's argument is only in scope when both calls sit in the same function.
      const fix = arg !== undefined && claimFn !== '(unnamed)' && claimFn === releaseFn
        ? fixReplace(ctx, `Release with ${DEVICE_RELEASE}(${arg})`, release.span, `${DEVICE_RELEASE}(${arg})`)
        : { title: `Release with ${DEVICE_RELEASE}()`, edits: [], suggestion: `use ${DEVICE_RELEASE}() on the device passed to ${claim.callee}()` };
      ctx.report({
        messageId: 'groupReleaseOfDeviceClaim',
        data: { function: releaseFn, release: release.callee, claim: claim.callee, claimFunction: claimFn, matching: DEVICE_RELEASE },
        span: release.calleeSpan,
        scenario,
        trace: traceOf(scenario, laterWarn(scenario, violation) ?? violation),
        ...(violation.unseen ? { unseen: violation.unseen } : {}),
        key,
        fixes: [fix],
      });
    }
  },
});
