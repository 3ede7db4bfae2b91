/**
 * OWN016 attach-group-without-ownership: iommu_attach_group() outside VFIO/iommufd by code that holds no DMA-ownership
 * claim. The attach switches the domain under every other device of the group (the kernel does not check the owner),
 * and while it stays attached every DMA-API bind in the group fails with -EBUSY.
 */
import type { CallFact, FunctionFact } from '../core/types';
import { createdDeviceKey, createdDevices } from '../core/sim';
import { createRule, type RuleContext } from './types';
import { callsTo, driverScenarios, isDriverCode, isUnder, keyOf, scenariosMentioning } from './util';
import { EMULATED_VFIO_CALLS, USER_OWNERSHIP_CALLS } from '../core/sim/vocabulary';
import { argText, exprKey, functionLabel, functionOf, functionsCalling, stepFor } from './tier2b-util';

/** Anything that makes the caller the group's owner (claims, and the VFIO/iommufd paths that claim for it). */
const OWNERSHIP_EVIDENCE = new Set<string>([...USER_OWNERSHIP_CALLS, ...EMULATED_VFIO_CALLS]);

/**
 * The device whose group `iommu_attach_group(dom, group)` attaches, when the group comes from `iommu_group_get(dev)`
 * (in the attaching function, or stored in the same lvalue elsewhere in the file).
 */
function groupSource(ctx: RuleContext, attach: CallFact): { call: CallFact; fn: FunctionFact | undefined } | undefined {
  const group = argText(attach, 1);
  if (!group) return undefined;
  const key = exprKey(group);
  const fn = functionOf(ctx, attach);
  const gets = callsTo(ctx.facts, 'iommu_group_get').filter((g) => g.assignedTo !== undefined);
  const local = gets.find((g) => fn !== undefined && g.inFunction === fn.name && g.assignedTo!.replace(/\s+/g, '') === group.replace(/\s+/g, ''));
  const byField = key.kind === 'field' ? gets.find((g) => exprKey(g.assignedTo).kind === 'field' && exprKey(g.assignedTo).id === key.id) : undefined;
  const get = local ?? byField;
  return get ? { call: get, fn: functionOf(ctx, get) } : undefined;
}

/**
 * Upstream's model (drm/tegra, host1x, tegra-vde): the group attached is the group of the device the driver itself
 * drives, on a SoC bus. A SoC IOMMU groups devices by their master IDs (tegra-smmu swgroups, SMMU stream IDs), so that
 * group holds the devices sharing those IDs — the same IP block, attached by the same driver to the same domain — and
 * nobody else's DMA-API binding is moved. A PCI group is formed by ACS isolation and routinely holds functions bound
 * to other drivers; a group of a device the driver created or looked up belongs to that other device.
 */
function attachesOwnSocGroup(ctx: RuleContext, attach: CallFact): boolean {
  const src = groupSource(ctx, attach);
  if (!src) return false;
  const dev = argText(src.call, 0);
  if (!dev || createdDeviceKey(createdDevices(ctx.facts), src.fn, dev)) return false;
  if (ctx.facts.drivers.some((d) => d.bus === 'pci')) return false;
  const pciParam = (f: FunctionFact | undefined) => !!f && f.params.some((p) => /\bstruct\s+pci_dev\b/.test(p.type));
  if (pciParam(src.fn) || pciParam(functionOf(ctx, attach))) return false;
  if (/\bpdev\b|pci/.test(dev) && ctx.facts.functions.some((f) => pciParam(f))) return false;
  return true;
}

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
      if (attachesOwnSocGroup(ctx, attach)) continue;
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
