/**
 * OWN009: a driver calling iommu_device_use_default_domain()/unuse. Those are the bus's job (dma_configure /
 * dma_cleanup); they are not exported, and a built-in driver calling them counts itself twice.
 */
import { createRule } from './types';
import { USE_UNUSE_CALLS } from '../core/sim/vocabulary';
import { callsTo } from '../core/c/call-graph';
import { isDriverCode } from './analysed-file';
import { keyOf } from './reports';

/**
 * Syntactic: the two names are not exported (drivers/iommu/iommu.c @ v6.12 has no EXPORT_SYMBOL for them), so any
 * driver call is wrong whatever path reaches it; no replay is needed to judge it, and none is shown.
 */
const USE_CALLS = USE_UNUSE_CALLS;

export const defaultDomainUseInDriver = createRule({
  meta: {
    code: 'OWN009',
    name: 'default-domain-use-in-driver',
    category: 'default-domain',
    defaultSeverity: 'error',
    tier: 1,
    kind: 'syntactic',
    description: 'Only bus code (dma_configure/dma_cleanup) may call iommu_device_use_default_domain()/unuse; a driver must not.',
    // The names exist on released kernels only; series-era spellings are stale-api-name's business.
    targets: ['5.19', '6.2', '6.14', '6.15', 'latest'],
    messages: {
      driverUses:
        '{{fn}}() calls {{callee}}(), which only the bus\'s dma_configure may call: it is not exported (a module fails to link) and the bus already counted this device, so the count is taken twice',
      driverUnuses:
        '{{fn}}() calls {{callee}}(), which only the bus\'s dma_cleanup may call: it is not exported (a module fails to link) and the bus drops the count itself, so it is dropped twice',
    },
  },
  check(ctx) {
    if (!isDriverCode(ctx)) return;
    const seen = new Map<string, number>();
    for (const call of callsTo(ctx.facts, USE_CALLS)) {
      if (!ctx.isAdded(call.span)) continue; // unchanged calls are the pre-image's problem
      const fn = call.inFunction ?? 'this code';
      const base = keyOf('OWN009', fn, call.callee);
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      ctx.report({
        messageId: call.callee.includes('unuse') ? 'driverUnuses' : 'driverUses',
        data: { fn, callee: call.callee },
        span: call.calleeSpan,
        key: keyOf(base, n > 1 ? n : undefined),
      });
    }
  },
});
