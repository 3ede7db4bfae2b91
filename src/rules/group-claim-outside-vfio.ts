/**
 * OWN007: iommu_group_claim_dma_owner() outside VFIO. The kernel-doc reserves it for VFIO's legacy group path
 * and asks that new users be refused; the device-centric claim (6.2+) is the interface for everyone else.
 * Syntactic: the kernel runs the call the same wherever it sits (drivers/iommu/iommu.c has no caller check), so
 * which file calls it is a question of API policy, not of replayed state; no simulated trace.
 */
import { createRule } from './types';
import { GROUP_CLAIM, DEVICE_CLAIM } from '../core/sim/vocabulary';
import { callsTo, functionNameOf } from '../core/c/call-graph';
import { isUnder } from './analysed-file';
import { keyOf } from './reports';
import { existsOn } from './api-on-target';

const CODE = 'OWN007';

export const groupClaimOutsideVfio = createRule({
  meta: {
    code: CODE,
    name: 'group-claim-outside-vfio',
    category: 'ownership',
    defaultSeverity: 'warning',
    tier: 2,
    kind: 'syntactic',
    description: 'iommu_group_claim_dma_owner() is for VFIO only; other code should claim the device it drives.',
    messages: {
      groupClaim:
        '{{function}}() calls iommu_group_claim_dma_owner() outside drivers/vfio: the group claim is documented as VFIO-only, is exclusive even for the same owner, and takes every device of the group. {{advice}}',
    },
  },
  check(ctx) {
    // The IOMMU core and iommufd (drivers/iommu/) implement ownership; VFIO is the intended user.
    if (ctx.isCoreOrBusCode || isUnder(ctx, 'drivers/vfio/')) return;
    if (!existsOn(ctx, GROUP_CLAIM)) return;
    const deviceClaim = existsOn(ctx, DEVICE_CLAIM);
    const advice = deviceClaim
      ? 'Claim the device with iommu_device_claim_dma_owner(dev, owner) and release it with iommu_device_release_dma_owner(dev).'
      : 'This kernel has no device-level claim; reconsider owning the group at all.';
    for (const call of callsTo(ctx.facts, GROUP_CLAIM)) {
      const fn = functionNameOf(ctx.facts, call);
      ctx.report({
        messageId: 'groupClaim',
        data: { function: fn, advice },
        span: call.calleeSpan,
        key: keyOf(CODE, fn),
        fixes: deviceClaim ? [{ title: 'Use iommu_device_claim_dma_owner()', edits: [], suggestion: 'iommu_device_claim_dma_owner(dev, owner) … iommu_device_release_dma_owner(dev)' }] : [],
      });
    }
  },
});
