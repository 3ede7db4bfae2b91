/**
 * OWN023 invalid-pasid: iommu_attach_device_pasid() with a PASID the core refuses: IOMMU_NO_PASID / 0 (the RID itself),
 * IOMMU_PASID_INVALID, or what iommu_alloc_global_pasid() returned when it ran out, used unchecked. A query of the
 * replay (sim/model.ts iommu_attach_device_pasid; iommu_alloc_global_pasid forks on exhaustion).
 */
import { createRule } from './types';
import { PASID_ATTACH } from '../core/sim/vocabulary';
import { lookupApi } from '../core/sim';
import { argOf, replayViolations } from './replay-violations';
import { keyOf } from './reports';

export const invalidPasid = createRule({
  meta: {
    code: 'OWN023',
    name: 'invalid-pasid',
    category: 'pasid',
    defaultSeverity: 'warning',
    tier: 3,
    description: 'iommu_attach_device_pasid() with IOMMU_NO_PASID/0, IOMMU_PASID_INVALID, or an unchecked allocated PASID.',
    messages: {
      noPasid:
        '{{fn}}() attaches {{domain}} at PASID {{pasid}}: PASID 0 (IOMMU_NO_PASID) is the RID itself and the core refuses it with -EINVAL; use iommu_attach_device() for the RID.',
      ridAsPasid:
        '{{fn}}() attaches {{domain}} at PASID {{pasid}}: PASID 0 addresses the RID itself, not a PASID, and newer kernels refuse it with -EINVAL; use iommu_attach_device() for the RID.',
      invalidPasid:
        '{{fn}}() attaches {{domain}} at PASID {{pasid}}, which can be IOMMU_PASID_INVALID here (an exhausted iommu_alloc_global_pasid() not checked): the core refuses it with -EINVAL.',
    },
  },
  check(ctx) {
    if (!lookupApi(PASID_ATTACH, ctx.target)?.exists) return;
    const found = replayViolations(ctx, { kinds: ['invalid-pasid'], aloneCallers: [PASID_ATTACH], lifecycle: true });
    for (const { scenario, violation, call, fn } of found) {
      if (!call) continue;
      // The model refuses PASID 0 with -EINVAL where the core checks it; before that the attach succeeds on the RID.
      const zero = /^\(?(IOMMU_NO_PASID|0+[uUlL]*)\)?$/.test(argOf(call, 2).replace(/\s+/g, ''));
      const messageId = !zero ? 'invalidPasid' : violation.errno ? 'noPasid' : 'ridAsPasid';
      const label = fn?.name || call.inFunction || '';
      ctx.report({
        messageId,
        data: { fn: label, domain: argOf(call, 0), pasid: argOf(call, 2) },
        span: call.calleeSpan,
        key: keyOf('OWN023', label, messageId, argOf(call, 2)),
        scenario,
        ...(violation.unseen ? { unseen: violation.unseen } : {}),
        fixes: [
          {
            title: zero ? 'Attach the RID with iommu_attach_device()' : 'Check the allocated PASID',
            edits: [],
            suggestion: zero
              ? 'use iommu_attach_device(domain, dev) for the RID; use iommu_attach_device_pasid() only with a PASID from the allocator or the mm'
              : `if (${argOf(call, 2)} == IOMMU_PASID_INVALID) return -ENOSPC;`,
          },
        ],
      });
    }
  },
});
