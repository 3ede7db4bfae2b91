/**
 * OWN020 pasid-detach-mismatch: iommu_detach_device_pasid() with a domain other than the one the PASID holds, or on a
 * path where the attach failed. The core erases the PASID entry anyway (and WARNed up to 6.11), tearing down whoever
 * had it attached. A query of the replay (sim/model.ts iommu_detach_device_pasid).
 */
import { createRule } from './types';
import { PASID_ATTACH, PASID_DETACH } from '../core/sim/vocabulary';
import { argOf, replayViolations } from './replay-violations';
import { apiExists } from './api-on-target';
import { isDriverCode } from './analysed-file';
import { keyOf } from './reports';

const MESSAGE_OF = {
  'pasid-detach-mismatch': 'wrongDomain',
  'pasid-detach-not-attached': 'notAttached',
} as const;

export const pasidDetachMismatch = createRule({
  meta: {
    code: 'OWN020',
    name: 'pasid-detach-mismatch',
    category: 'pasid',
    defaultSeverity: 'error',
    tier: 2,
    description: 'Detaching a PASID with a different domain or PASID than attached, or after the attach failed.',
    messages: {
      wrongDomain:
        '{{fn}}() detaches PASID {{pasid}} naming {{detached}}, but another domain is attached there: the kernel removes the PASID anyway, through the wrong domain.',
      notAttached:
        '{{fn}}() detaches PASID {{pasid}} on a path where attaching it failed: the kernel removes an entry that belongs to someone else, if any.',
    },
  },
  check(ctx) {
    if (!isDriverCode(ctx) || apiExists(PASID_DETACH, ctx.target) === false) return;
    const found = replayViolations(ctx, {
      kinds: Object.keys(MESSAGE_OF) as (keyof typeof MESSAGE_OF)[],
      aloneCallers: [PASID_ATTACH, PASID_DETACH],
      lifecycle: true,
    });
    for (const { scenario, violation, call, fn } of found) {
      if (!call) continue;
      const messageId = MESSAGE_OF[violation.kind as keyof typeof MESSAGE_OF];
      const label = fn?.name || call.inFunction || '';
      ctx.report({
        messageId,
        data: { fn: label, pasid: argOf(call, 2), detached: argOf(call, 0) },
        span: call.calleeSpan,
        key: keyOf('OWN020', label, messageId, argOf(call, 0), argOf(call, 2)),
        scenario,
        ...(violation.unseen ? { unseen: violation.unseen } : {}),
        fixes: [
          {
            title: 'Detach exactly the (domain, PASID) pair that was attached',
            edits: [],
            suggestion:
              messageId === 'notAttached'
                ? 'only detach after a successful iommu_attach_device_pasid(): on its failure there is nothing to undo'
                : "keep the domain and PASID of each attachment together (e.g. in the driver's private data) and pass both to iommu_detach_device_pasid()",
          },
        ],
      });
    }
  },
});
