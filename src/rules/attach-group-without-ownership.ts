/**
 * OWN016 attach-group-without-ownership: iommu_attach_group() outside VFIO/iommufd by code that holds no DMA-ownership
 * claim. The attach switches the domain under every other device of the group (the kernel does not check the owner),
 * and while it stays attached every DMA-API bind in the group fails with -EBUSY.
 */
import { createRule } from './types';
import { callsTo, driverScenarios, isDriverCode, isUnder, keyOf, scenariosMentioning, VFIO_REGISTER_CALLS } from './util';
import { argText, exprKey, functionLabel, functionOf, functionsCalling, stepFor } from './tier2b-util';

/** Anything that makes the caller the group's owner (claims, and the VFIO/iommufd paths that claim for it). */
const OWNERSHIP_EVIDENCE = new Set<string>([...VFIO_REGISTER_CALLS, 'vfio_register_emulated_iommu_dev', 'iommu_device_claim_dma_owner', 'iommu_group_claim_dma_owner']);

export const attachGroupWithoutOwnership = createRule({
  meta: {
    code: 'OWN016',
    name: 'attach-group-without-ownership',
    category: 'attach',
    defaultSeverity: 'warning',
    tier: 2,
    description: 'iommu_attach_group() outside VFIO/iommufd without holding a DMA-ownership claim on the group.',
    messages: {
      noClaim:
        '{{fn}}() attaches {{domain}} to every device of the group {{group}} without owning the group: other devices in the group are moved to this domain and later DMA-API binds in the group fail with -EBUSY.',
    },
  },
  check(ctx) {
    if (!isDriverCode(ctx) || isUnder(ctx, 'drivers/vfio/')) return;
    const attaches = callsTo(ctx.facts, 'iommu_attach_group');
    if (attaches.length === 0) return;
    if (functionsCalling(ctx, OWNERSHIP_EVIDENCE).length > 0) return;
    for (const attach of attaches) {
      const fn = functionLabel(ctx, functionOf(ctx, attach), attach);
      const scenario = ctx.facts.drivers
        .flatMap((d) => scenariosMentioning(driverScenarios(ctx, d, ['shared-dma-api']), ['iommu_attach_group']))
        .find((s) => s.trace.some((t) => t.at?.line === attach.calleeSpan.line));
      ctx.report({
        messageId: 'noClaim',
        data: { fn, domain: argText(attach, 0) ?? '?', group: argText(attach, 1) ?? '?' },
        span: attach.calleeSpan,
        key: keyOf('OWN016', fn, exprKey(argText(attach, 0)).id),
        ...(ctx.complete ? {} : { unseen: 'no DMA-ownership claim is visible in the patch; the rest of the file may hold one' }),
        ...(scenario
          ? { scenario }
          : {
              trace: [
                {
                  step: 'bind: another device of the group, DMA-API driver → iommu_device_use_default_domain()',
                  result: '0',
                  after: 'grp: cnt=1 owner=- dom=default',
                  phase: 'bind',
                },
                stepFor(ctx, attach, 'probe', '0', 'no owner check: the co-grouped device now translates through this domain'),
              ],
            }),
        fixes: [
          {
            title: 'Own the group first, or attach a single device',
            edits: [],
            suggestion:
              'take ownership before attaching (iommu_device_claim_dma_owner(dev, owner), released after iommu_detach_group()), or use iommu_attach_device() on a singleton group',
          },
        ],
      });
    }
  },
});
