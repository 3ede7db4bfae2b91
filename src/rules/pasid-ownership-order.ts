/**
 * OWN021 pasid-ownership-order: DMA ownership must wrap PASID attachments: claim → attach PASID … detach PASID → release.
 * A claim while a PASID is attached fails with -EBUSY; a release while one is attached WARNs and keeps the ownership
 * (6.12 __iommu_take_dma_ownership / __iommu_release_dma_ownership). A query of the replay.
 */
import { createRule } from './types';
import { PASID_ATTACH, SVA_BIND, PASID_DETACH } from '../core/sim/vocabulary';
import { replayViolations } from './replay-violations';
import { apiExists } from './api-on-target';
import { isDriverCode } from './analysed-file';
import { keyOf } from './reports';

const MESSAGE_OF = {
  'claim-with-pasid-attached': 'claimAfterAttach',
  'release-with-pasid-attached': 'releaseBeforeDetach',
} as const;

export const pasidOwnershipOrder = createRule({
  meta: {
    code: 'OWN021',
    name: 'pasid-ownership-order',
    category: 'pasid',
    defaultSeverity: 'error',
    tier: 2,
    description: 'A PASID attached before DMA ownership is claimed, or ownership released before the PASID is detached.',
    messages: {
      claimAfterAttach: '{{fn}}() claims DMA ownership with {{api}}() while a PASID is attached: the claim fails with -EBUSY.',
      releaseBeforeDetach:
        '{{fn}}() releases DMA ownership with {{api}}() while a PASID is still attached: the kernel WARNs and keeps the ownership.',
    },
  },
  check(ctx) {
    if (!isDriverCode(ctx) || apiExists(PASID_DETACH, ctx.target) === false) return;
    const found = replayViolations(ctx, {
      kinds: Object.keys(MESSAGE_OF) as (keyof typeof MESSAGE_OF)[],
      aloneCallers: [PASID_ATTACH, SVA_BIND, PASID_DETACH],
      lifecycle: true,
      alone: { startHeld: true },
    });
    for (const { scenario, violation, call, fn } of found) {
      if (!call) continue;
      const messageId = MESSAGE_OF[violation.kind as keyof typeof MESSAGE_OF];
      const label = fn?.name || call.inFunction || '';
      ctx.report({
        messageId,
        data: { fn: label, api: call.callee },
        span: call.calleeSpan,
        key: keyOf('OWN021', label, messageId, call.callee),
        scenario,
        ...(violation.unseen ? { unseen: violation.unseen } : {}),
        fixes: [{
          title: 'Claim → attach PASID … detach PASID → release',
          edits: [],
          suggestion: messageId === 'claimAfterAttach'
            ? `claim ownership before attaching the PASID (and release it only after the PASID is detached)`
            : `move ${call.callee}() after the PASID detach`,
        }],
      });
    }
  },
});
