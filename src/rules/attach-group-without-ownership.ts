/**
 * OWN016 attach-group-without-ownership: iommu_attach_group() of a group the caller does not own while it holds another
 * driver's DMA-API device. The kernel checks no owner: that device is moved to the caller's domain, and while it stays
 * attached every DMA-API bind in the group fails with -EBUSY. A query of the replay (sim/model.ts otherDriversDevice):
 * groups span drivers on PCI, fsl-mc and CDX and for a device looked up elsewhere; a SoC IOMMU groups one IP block's
 * masters, which one driver attaches to one domain (drm/tegra, host1x, tegra-vde: upstream's model, not a bug).
 */
import { createRule } from './types';
import { ATTACH_GROUP } from '../core/sim/vocabulary';
import { argOf, replayViolations } from './replay-violations';
import { isDriverCode } from './analysed-file';
import { keyOf } from './reports';

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
    if (!isDriverCode(ctx)) return;
    const found = replayViolations(ctx, {
      kinds: ['attach-group-unowned'],
      topologies: ['singleton', 'shared-dma-api'],
      aloneCallers: [ATTACH_GROUP],
      lifecycle: true,
    });
    for (const { scenario, violation, call, fn } of found) {
      if (!call) continue;
      const label = fn?.name || call.inFunction || '';
      ctx.report({
        messageId: 'noClaim',
        data: { fn: label, domain: argOf(call, 0), group: argOf(call, 1) },
        span: call.calleeSpan,
        key: keyOf('OWN016', label, argOf(call, 0)),
        scenario,
        // "Not owned" is only as sure as the view: a claim may sit in code a patch does not show.
        ...(violation.unseen || !ctx.complete ? { unseen: violation.unseen ?? 'no DMA-ownership claim is visible in the patch; the rest of the file may hold one' } : {}),
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
