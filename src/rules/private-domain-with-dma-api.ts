/**
 * OWN015 private-domain-with-dma-api: a driver attaches its own domain to a device and also maps/allocates through the
 * DMA API on that same device. The DMA API maps into the group's default domain, which is not live any more.
 */
import type { CallFact } from '../core/types';
import { createdDeviceKey, createdDevices } from '../core/sim';
import { createRule } from './types';
import { callsTo, driverScenarios, isDriverCode, keyOf, scenariosMentioning } from './util';
import { hasManagedDma, isDmaOnDevice, USER_OWNERSHIP_CALLS } from '../core/sim/vocabulary';
import { argText, deviceKey, functionLabel, functionOf, stepFor } from './tier2b-util';

/** DMA-API calls that create mappings in the device's current (default) domain; first argument is the device. */

export const privateDomainWithDmaApi = createRule({
  meta: {
    code: 'OWN015',
    name: 'private-domain-with-dma-api',
    category: 'attach',
    defaultSeverity: 'warning',
    tier: 2,
    description: 'A driver attaches a private IOMMU domain to a device and also uses the DMA API on that device.',
    messages: {
      mixed:
        '{{fn}}() attaches {{domain}} to {{device}}, which also gets DMA-API mappings ({{dmaCall}}() at line {{dmaLine}}): those go to the default domain, which is no longer the one the device uses.',
    },
  },
  check(ctx) {
    if (!isDriverCode(ctx)) return;
    const attaches = callsTo(ctx.facts, 'iommu_attach_device');
    if (attaches.length === 0) return;
    // Drivers that manage DMA themselves (the flag, or an ownership claim) are driver-managed-dma-with-dma-api's case.
    if (ctx.facts.drivers.some(hasManagedDma) || callsTo(ctx.facts, USER_OWNERSHIP_CALLS).length > 0) return;
    const dmaCalls: CallFact[] = [];
    for (const fn of ctx.facts.functions) for (const c of fn.calls) if (isDmaOnDevice(c.callee) && c.args.length > 0) dmaCalls.push(c);
    if (dmaCalls.length === 0) return;
    // A device the driver created (a firmware child, an auxiliary device) is another device with its own group: DMA-API
    // use is charged to the device it names (ath10k/ath11k attach to a child `fw.dev`, map through the parent).
    const created = createdDevices(ctx.facts);
    const identity = (c: CallFact, i: number): string => {
      const child = createdDeviceKey(created, functionOf(ctx, c), argText(c, i));
      return child ? `created:${child}` : deviceKey(argText(c, i));
    };
    for (const attach of attaches) {
      const dev = identity(attach, 1);
      if (dev.startsWith('other:')) continue;
      const sameDev = dmaCalls.filter((c) => identity(c, 0) === dev);
      if (sameDev.length === 0) continue;
      // In a patch, point at the line the patch adds: the attach, else the DMA-API use it adds.
      const addedDma = sameDev.find((c) => c.added && ctx.isAdded(c.calleeSpan));
      const at = ctx.isAdded(attach.calleeSpan) || !addedDma ? attach : addedDma;
      const dma = at === attach ? sameDev[0] : addedDma!;
      const label = functionLabel(ctx, functionOf(ctx, attach), attach);
      const scenario = ctx.facts.drivers
        .flatMap((d) => scenariosMentioning(driverScenarios(ctx, d, ['singleton']), ['iommu_attach_device']))
        .find((s) => s.trace.some((t) => t.at?.line === attach.calleeSpan.line));
      ctx.report({
        messageId: 'mixed',
        data: {
          fn: label,
          domain: argText(attach, 0) ?? '?',
          device: argText(attach, 1) ?? '?',
          dmaCall: dma.callee,
          dmaLine: dma.calleeSpan.line,
        },
        span: at.calleeSpan,
        key: keyOf('OWN015', label, dev),
        ...(scenario
          ? { scenario }
          : {
              trace: [
                stepFor(ctx, attach, 'probe', '0', 'group now on the private domain'),
                stepFor(ctx, dma, 'dma', 'IOVA in the default domain', 'not translated by the attached domain'),
              ],
            }),
        fixes: [
          {
            title: 'Use one DMA model per device',
            edits: [],
            suggestion:
              'either drop the private domain and use the DMA API only, or map every buffer with iommu_map() in the private domain (and keep the group singleton)',
          },
        ],
      });
    }
  },
});
