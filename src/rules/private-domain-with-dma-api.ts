/**
 * OWN015 private-domain-with-dma-api: a device gets DMA-API mappings and is also attached to a private domain: the DMA
 * API maps into the group's default domain, which the device no longer translates through. A query of the replay:
 * it records where each device got DMA-API mappings (sim/api-calls.ts dmaApiUse) and flags the attach that strands
 * them, or the mapping made while a private domain is attached.
 */
import { createRule } from './types';
import { USER_OWNERSHIP_CALLS, hasManagedDma, ATTACH_CALLS } from '../core/sim/vocabulary';
import { argOf, replayViolations } from './replay-violations';
import { callsTo } from '../core/c/call-graph';
import { isDriverCode } from './analysed-file';
import { keyOf } from './reports';

export const privateDomainWithDmaApi = createRule({
  meta: {
    code: 'OWN015',
    name: 'private-domain-with-dma-api',
    category: 'attach',
    defaultSeverity: 'warning',
    tier: 2,
    description: 'A driver attaches a private IOMMU domain to a device and also uses the DMA API on that device.',
    messages: {
      attachStrands:
        '{{fn}}() attaches {{domain}} to {{device}}, which already has DMA-API mappings: those live in the default domain, which is no longer the one the device uses.',
      mapsIntoDefault:
        '{{fn}}() maps {{device}} through the DMA API ({{api}}()) while a private domain is attached to it: the IOVA is made in the default domain, which the device does not use.',
    },
  },
  check(ctx) {
    if (!isDriverCode(ctx)) return;
    // Drivers that manage DMA themselves (the flag, or a VFIO hand-off) are driver-managed-dma-with-dma-api's case.
    if (ctx.facts.drivers.some(hasManagedDma) || callsTo(ctx.facts, USER_OWNERSHIP_CALLS).length > 0) return;
    const found = replayViolations(ctx, {
      kinds: ['dma-api-on-private-domain'],
      aloneCallers: ATTACH_CALLS,
      lifecycle: true,
    });
    for (const { scenario, violation, call, fn } of found) {
      if (!call) continue;
      const attach = ATTACH_CALLS.includes(call.callee);
      const messageId = attach ? 'attachStrands' : 'mapsIntoDefault';
      const label = fn?.name || call.inFunction || '';
      ctx.report({
        messageId,
        data: { fn: label, domain: argOf(call, 0), device: attach ? argOf(call, 1) : argOf(call, 0), api: call.callee },
        span: call.calleeSpan,
        key: keyOf('OWN015', label, messageId, call.callee),
        scenario,
        ...(violation.unseen ? { unseen: violation.unseen } : {}),
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
