/**
 * OWN006: ownership claimed per device and released per group, or the other way round. A group release zeroes
 * the count and drops every co-owner's device claim; a device release after a group claim works only while the
 * count happens to be one.
 */
import type { CallFact } from '../core/types';
import { createRule, type RuleContext } from './types';
import { callsTo, fixReplace, keyOf } from './util';
import { existsOn, fnNameOf } from './ownership-calls';

const CODE = 'OWN006';

const GROUP_CLAIM = 'iommu_group_claim_dma_owner';
const DEVICE_CLAIM = 'iommu_device_claim_dma_owner';
const GROUP_RELEASE = 'iommu_group_release_dma_owner';
const DEVICE_RELEASE = 'iommu_device_release_dma_owner';

function firstArg(c: CallFact): string | undefined {
  return c.args[0]?.text.trim();
}

function report(ctx: RuleContext, release: CallFact, claim: CallFact, matching: string, messageId: string): void {
  const arg = firstArg(claim);
  // The claim's argument is only in scope when both calls sit in the same function.
  const releaseFn = fnNameOf(ctx, release);
  const claimFn = fnNameOf(ctx, claim);
  const fix = arg !== undefined && claimFn !== '(unnamed)' && claimFn === releaseFn
    ? fixReplace(ctx, `Release with ${matching}(${arg})`, release.span, `${matching}(${arg})`)
    : { title: `Release with ${matching}()`, edits: [], suggestion: `use ${matching}() on the ${matching === DEVICE_RELEASE ? 'device' : 'group'} passed to ${claim.callee}()` };
  ctx.report({
    messageId,
    data: { function: releaseFn, release: release.callee, claim: claim.callee, claimFunction: claimFn, matching },
    span: release.calleeSpan,
    key: keyOf(CODE, releaseFn, release.callee),
    fixes: [fix],
  });
}

export const mixedClaimGranularity = createRule({
  meta: {
    code: CODE,
    name: 'mixed-claim-granularity',
    category: 'ownership',
    defaultSeverity: 'error',
    tier: 2,
    description: 'DMA ownership claimed per device must be released per device, and a group claim per group.',
    messages: {
      groupReleaseOfDeviceClaim:
        '{{function}}() calls {{release}}() but ownership is claimed per device with {{claim}}() in {{claimFunction}}(): the group release zeroes owner_cnt and drops every other device claim of the same owner. Use {{matching}}().',
      deviceReleaseOfGroupClaim:
        '{{function}}() calls {{release}}() but ownership is claimed for the whole group with {{claim}}() in {{claimFunction}}(): the device release only undoes a group claim by accident. Use {{matching}}().',
    },
  },
  check(ctx) {
    // The device-level pair only exists from 6.2; elsewhere the mixed form cannot be written.
    if (!existsOn(ctx, DEVICE_CLAIM) || !existsOn(ctx, DEVICE_RELEASE, 1)) return;
    const groupClaims = callsTo(ctx.facts, GROUP_CLAIM);
    const deviceClaims = callsTo(ctx.facts, DEVICE_CLAIM);
    // The two-argument device release is the stale v1–v4 function (stale-api-name reports it).
    const groupReleases = callsTo(ctx.facts, GROUP_RELEASE).filter((c) => c.args.length <= 1);
    const deviceReleases = callsTo(ctx.facts, DEVICE_RELEASE).filter((c) => c.args.length <= 1);
    for (const rel of groupReleases) {
      if (deviceClaims.length === 0 || groupClaims.length > 0) continue;
      report(ctx, rel, deviceClaims[0], DEVICE_RELEASE, 'groupReleaseOfDeviceClaim');
    }
    for (const rel of deviceReleases) {
      if (groupClaims.length === 0 || deviceClaims.length > 0) continue;
      report(ctx, rel, groupClaims[0], GROUP_RELEASE, 'deviceReleaseOfGroupClaim');
    }
  },
});
